/**
 * The worker-thread pool behind `sweep --jobs N` and `replay --jobs N`. Tasks are plain,
 * structured-cloneable objects of one kind ('sweep': one trace at one grid point, 'replay': one
 * trace); the worker (src/replay/worker.ts) runs them with the same function as this thread does
 * for `--jobs 1`, so results are identical whatever N is. Results come back by task index, in
 * whatever order the workers finish; callers that print as they go commit them in index order.
 *
 *   tasks[0..n)  --(order: e.g. largest trace first)-->  N workers, one task each at a time
 *   worker: {index, progress} ... {index, result}   (a runner never throws for bad input: it
 *           returns that as part of its result; anything it throws is a bug and stops the pool)
 *
 * `jobs` N means N tasks at a time: this thread runs tasks too, beside N-1 workers, which start
 * in parallel (about 0.1 s each to load the modules) and are ended when the pool is done.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fileSize } from '../cli/progress.js';

/** Task kinds the worker knows (see src/replay/worker.ts). */
export type TaskKind = 'sweep' | 'replay';

/** What the main thread posts to a worker. */
export interface TaskMessage<T = unknown> {
  index: number;
  kind: TaskKind;
  task: T;
}

/** What a worker posts back: progress through a task, its result, or a bug that stops the run. */
export type WorkerMessage<R = unknown> = { index: number; progress: number } | { index: number; result: R } | { index: number; fatal: string };

export interface PoolOptions<T, R> {
  kind: TaskKind;
  /** Tasks at a time: this thread and jobs-1 workers; 1 (or a single task) runs every task in
   * this thread, in index order. */
  jobs: number;
  /** Runs one task in this thread: what a worker does too. */
  local: (task: T, onProgress: (value: number) => void) => Promise<R>;
  /** Indices in the order to start them (default 0..n-1); results still come back by index. */
  order?: readonly number[];
  /** Called as each task starts and ends, and with the progress a task reports. */
  onStart?: (index: number) => void;
  onResult?: (index: number, result: R) => void;
  onProgress?: (index: number, value: number) => void;
  /** After a result for which this is true, tasks with a higher index are not started (those
   * already running finish); tasks with a lower index still all run. */
  stopAfter?: (result: R) => boolean;
}

/**
 * Runs every task (or, with stopAfter, every task up to the first stop) and returns the results
 * by index; tasks skipped after a stop are undefined.
 */
export async function runPool<T, R>(tasks: readonly T[], options: PoolOptions<T, R>): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array(tasks.length).fill(undefined);
  let stopAt = Infinity;
  const finish = (index: number, result: R) => {
    results[index] = result;
    if (options.stopAfter?.(result)) stopAt = Math.min(stopAt, index);
    options.onResult?.(index, result);
  };

  if (options.jobs <= 1 || tasks.length <= 1) {
    for (let i = 0; i < tasks.length && i <= stopAt; i++) {
      options.onStart?.(i);
      finish(i, await options.local(tasks[i], (v) => options.onProgress?.(i, v)));
    }
    return results;
  }

  const queue = [...(options.order ?? tasks.map((_, i) => i))];
  let failed = false;
  const next = (): number | undefined => {
    let index: number | undefined;
    while (!failed && (index = queue.shift()) !== undefined && index > stopAt);
    return failed ? undefined : index;
  };
  const script = workerScript();
  // This thread is one of the `jobs`: it would only wait otherwise, and a worker costs a start-up
  // (about 0.1 s) and its own JIT warm-up.
  const workers = Array.from({ length: Math.min(options.jobs, tasks.length) - 1 }, () => new Worker(script));
  const inWorkers = workers.map(
    (w) =>
      new Promise<void>((resolve, reject) => {
        const feed = () => {
          const index = next();
          if (index === undefined) return resolve();
          options.onStart?.(index);
          w.postMessage({ index, kind: options.kind, task: tasks[index] } satisfies TaskMessage);
        };
        w.on('message', (m: WorkerMessage<R>) => {
          if ('progress' in m) return options.onProgress?.(m.index, m.progress);
          if ('fatal' in m) return reject(new Error(m.fatal));
          finish(m.index, m.result);
          feed();
        });
        w.on('error', reject);
        w.on('exit', (code) => reject(new Error(`worker thread exited (code ${code}) before its tasks were done`)));
        feed();
      }),
  );
  const inThisThread = (async () => {
    for (let index = next(); index !== undefined; index = next()) {
      const i = index;
      options.onStart?.(i);
      finish(i, await options.local(tasks[i], (v) => options.onProgress?.(i, v)));
    }
  })();
  try {
    await Promise.all([inThisThread, ...inWorkers]);
  } catch (e) {
    failed = true; // nothing more starts here; let this thread's task end before rethrowing
    await inThisThread.catch(() => undefined);
    throw e;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

/**
 * Task indices by trace size, largest first (stable, so equal sizes keep their order): with
 * several workers the long tasks start first and the short ones fill in at the end.
 */
export function largestFirst(paths: readonly string[]): number[] {
  const sizes = new Map<string, number>();
  for (const p of paths) if (!sizes.has(p)) sizes.set(p, fileSize(p));
  return paths.map((_, i) => i).sort((a, b) => sizes.get(paths[b])! - sizes.get(paths[a])! || a - b);
}

/** The compiled worker beside this file, or in dist/ when running from the TypeScript sources. */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const local = join(here, '..', 'replay', 'worker.js');
  if (existsSync(local)) return local;
  const built = join(here, '..', '..', 'dist', 'replay', 'worker.js');
  if (existsSync(built)) return built;
  throw new Error('worker script (replay/worker.js) not found: run npm run build');
}
