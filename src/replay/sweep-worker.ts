/**
 * Worker thread for `sweep --jobs N`: receives tasks, replays them, posts results back.
 * Input errors become per-task errors; anything else is fatal for the sweep.
 */
import { parentPort } from 'node:worker_threads';
import { runSweepTask } from '../analysis/sweep.js';
import { InputError } from '../util/errors.js';

parentPort!.on('message', async (task: { id: number }) => {
  try {
    const results = await runSweepTask(task as Parameters<typeof runSweepTask>[0]);
    parentPort!.postMessage({ id: task.id, results });
  } catch (e) {
    if (e instanceof InputError) parentPort!.postMessage({ id: task.id, error: e.message });
    else parentPort!.postMessage({ id: task.id, fatal: (e as Error).stack ?? String(e) });
  }
});
