/**
 * Parameter sweeps: every point of a grid over profile keys x every trace, each replayed in one
 * pass through the selected strategies. Grid points run in order, or on worker threads
 * (`jobs` > 1); either way the rows come out in the same order with the same values.
 *
 *   grid  (--grid k=a,b --grid j=x,y)  ->  points [(k=a,j=x), (k=a,j=y), (k=b,j=x), ...]
 *   tasks = traces x points             ->  replayTrace per task (worker pool when jobs > 1)
 *   rows  = RunResult + grid values     ->  table, CSV/JSON/Arrow, one line figure per key
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { replayTrace } from '../replay/replay.js';
import { loadProfile, parseOverrides, resolveProfile, DEFAULT_PROFILE } from '../cost/profile.js';
import { parseStrategyList } from '../strategies/index.js';
import { paramSpec, PARAM_KEYS } from '../cost/schema.js';
import { closestName } from '../util/closest.js';
import { inShard, type Shard } from './shard.js';
import { InputError, UsageError } from '../util/errors.js';
import type { RunResult } from '../types/result.js';

export interface GridAxis {
  key: string;
  values: number[];
}

export interface SweepRow extends RunResult {
  /** The grid point's values, by key. */
  grid: Record<string, number>;
  /** Position of the row's (trace, grid point) task in the whole run: shards merge by it. */
  task: number;
}

export interface SweepOptions {
  grid: readonly string[];
  strategies?: string;
  profile?: string;
  set?: readonly string[];
  /** Worker threads (1 = run in this thread). */
  jobs?: number;
  /** Run only this shard's tasks (see shard.ts). */
  shard?: Shard | null;
  onTaskDone?: (done: number, total: number) => void;
}

export interface SweepRun {
  axes: GridAxis[];
  rows: SweepRow[];
  failures: string[];
}

/** Parses `key=v1,v2,...` texts into axes; every value is checked like a --set. */
export function parseGrid(specs: readonly string[]): GridAxis[] {
  if (specs.length === 0) throw new UsageError('sweep needs at least one --grid key=v1,v2,... (e.g. --grid iotlb.entries=16,32,64)');
  const axes: GridAxis[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--grid '${spec}': expected key=v1,v2,..., e.g. --grid iotlb.entries=16,32,64`);
    const key = spec.slice(0, eq).trim();
    if (!paramSpec(key)) throw new UsageError(`--grid: unknown key '${key}'${closestName(key, PARAM_KEYS)}; valid: ${PARAM_KEYS.join(', ')}`);
    if (axes.some((a) => a.key === key)) throw new UsageError(`--grid: '${key}' is given twice`);
    const texts = spec.slice(eq + 1).split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (texts.length === 0) throw new UsageError(`--grid ${key}: no values`);
    const values = parseOverrides(texts.map((v) => `${key}=${v}`)).map(([, v]) => v);
    axes.push({ key, values });
  }
  return axes;
}

/** Every combination of axis values, the first axis varying slowest. */
export function gridPoints(axes: readonly GridAxis[]): Record<string, number>[] {
  let points: Record<string, number>[] = [{}];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.key]: v })));
  return points;
}

interface Task {
  id: number;
  path: string;
  strategies: string;
  profile: string;
  sets: string[];
}

/** Runs one task in this thread (also what each worker does). */
export async function runSweepTask(t: Task): Promise<RunResult[]> {
  const profile = resolveProfile(loadProfile(t.profile), parseOverrides(t.sets));
  const run = await replayTrace(t.path, { strategies: parseStrategyList(t.strategies), profile });
  return run.results;
}

export async function sweep(paths: readonly string[], options: SweepOptions): Promise<SweepRun> {
  const axes = parseGrid(options.grid);
  const points = gridPoints(axes);
  const strategies = options.strategies ?? 'all';
  parseStrategyList(strategies); // usage errors before any work
  const profile = options.profile ?? DEFAULT_PROFILE;
  const base = [...(options.set ?? [])];
  // Check the base profile and overrides, and every grid point's combination, before running.
  const baseProfile = loadProfile(profile);
  const tasks: Task[] = [];
  for (const path of paths) {
    for (const point of points) {
      const sets = [...base, ...Object.entries(point).map(([k, v]) => `${k}=${v}`)];
      resolveProfile(baseProfile, parseOverrides(sets));
      tasks.push({ id: tasks.length, path, strategies, profile, sets });
    }
  }
  const mine = tasks.filter((t) => inShard(t.id, options.shard ?? null));
  const outcomes = await runTasks(mine.map((t, k) => ({ ...t, id: k })), Math.max(1, options.jobs ?? 1), options.onTaskDone);
  const rows: SweepRow[] = [];
  const failures: string[] = [];
  mine.forEach((t, k) => {
    const o = outcomes[k];
    const point = points[t.id % points.length];
    if ('error' in o) {
      if (!failures.includes(o.error)) failures.push(o.error);
      return;
    }
    for (const r of o.results) rows.push({ ...r, grid: { ...point }, task: t.id });
  });
  return { axes, rows, failures };
}

type Outcome = { results: RunResult[] } | { error: string };

async function runTasks(tasks: Task[], jobs: number, onDone?: (done: number, total: number) => void): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(tasks.length);
  let done = 0;
  const finish = (i: number, o: Outcome) => {
    outcomes[i] = o;
    onDone?.(++done, tasks.length);
  };
  if (jobs <= 1 || tasks.length <= 1) {
    for (const t of tasks) {
      try {
        finish(t.id, { results: await runSweepTask(t) });
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        finish(t.id, { error: e.message });
      }
    }
    return outcomes;
  }
  const script = workerScript();
  let next = 0;
  const workers = Array.from({ length: Math.min(jobs, tasks.length) }, () => new Worker(script));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= tasks.length) return resolve();
              w.postMessage(tasks[next++]);
            };
            w.on('message', (m: { id: number; results?: RunResult[]; error?: string; fatal?: string }) => {
              if (m.fatal) return reject(new Error(m.fatal));
              finish(m.id, m.error !== undefined ? { error: m.error } : { results: m.results! });
              feed();
            });
            w.on('error', reject);
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return outcomes;
}

/** The compiled worker beside this file, or in dist/ when running from the TypeScript sources. */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const local = join(here, '..', 'replay', 'sweep-worker.js');
  if (existsSync(local)) return local;
  const built = join(here, '..', '..', 'dist', 'replay', 'sweep-worker.js');
  if (existsSync(built)) return built;
  throw new Error('sweep worker script not found: run npm run build');
}
