/**
 * A worker thread of `replay --threads N` (the main side is strategy-threads.ts): it copies each
 * batch the main thread shares out of shared memory into a batch of its own, pairs it with its
 * own buffer tracker (the same code on the same rows, so the same slots and segments as the main
 * thread's), and runs its group of strategies over it. At the end it closes its runs and posts
 * their counters. Problems its tracker finds are the main thread's to report: here they are
 * counted and dropped.
 */
import { parentPort } from 'node:worker_threads';
import { BufferTracker } from './buffer-tracker.js';
import { Diagnostics } from '../trace/diagnostics.js';
import { getStrategy } from '../strategies/index.js';
import { DeviceTable, EventBatch } from '../types/event.js';
import type { StrategyRun } from '../types/strategy.js';
import type { ToWorker, FromWorker } from './strategy-threads.js';

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

let tracker: BufferTracker;
let runs: { point: number; id: string; run: StrategyRun }[] = [];
const devices = new DeviceTable();
/** The shared slots, as batches viewing the shared memory (replaced when a slot grows). */
const shared: EventBatch[] = [];
let own = new EventBatch();

port.on('message', (m: ToWorker) => {
  try {
    if (m.type === 'start') {
      tracker = new BufferTracker(m.path, new Diagnostics(false, 0), devices, m.queues, m.reference);
      runs = m.runs.map(({ point, id }) => ({ point, id, run: getStrategy(id).create({ params: m.params[point], slots: tracker, reference: m.reference }) }));
    } else if (m.type === 'batch') {
      for (const [name, cls] of m.newDevices) devices.intern(name, cls);
      if (m.memory) shared[m.slot] = new EventBatch(m.capacity, m.memory);
      const from = shared[m.slot];
      from.length = m.length;
      if (own.capacity < m.length) own = new EventBatch(m.capacity);
      own.copyFrom(from);
      post({ type: 'freed', slot: m.slot }); // the slot may be refilled while this batch runs
      tracker.process(own);
      for (let r = 0; r < runs.length; r++) runs[r].run.consume(own);
    } else if (m.type === 'finish') {
      const counters = runs.map(({ point, id, run }) => {
        run.finish(tracker.lastTs);
        return { point, id, counters: run.counters, costs: run.costs };
      });
      post({ type: 'done', counters });
    }
  } catch (e) {
    post({ type: 'fatal', error: (e as Error).stack ?? String(e) });
  }
});
