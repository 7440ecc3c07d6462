/**
 * Worker thread for `sweep --jobs N` and `replay --jobs N` (the pool is src/runs/worker-pool.ts):
 * receives tasks, runs each with the same function the main thread uses for `--jobs 1`, and posts
 * back progress (at most ten times a second) and the result. A runner returns bad input as part of
 * its result; anything it throws is a bug, reported as fatal, and stops the run.
 */
import { parentPort } from 'node:worker_threads';
import { runSweepTask } from '../runs/sweep.js';
import { runReplayTask } from '../pipeline.js';
import type { TaskKind, TaskMessage, WorkerMessage } from '../runs/worker-pool.js';

const RUNNERS: Record<TaskKind, (task: never, onProgress: (value: number) => void) => Promise<unknown>> = {
  sweep: runSweepTask,
  replay: runReplayTask,
};

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

parentPort!.on('message', async ({ index, kind, task }: TaskMessage) => {
  let last = 0;
  const onProgress = (value: number) => {
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    post({ index, progress: value });
  };
  try {
    post({ index, result: await RUNNERS[kind](task as never, onProgress) });
  } catch (e) {
    post({ index, fatal: (e as Error).stack ?? String(e) });
  }
});
