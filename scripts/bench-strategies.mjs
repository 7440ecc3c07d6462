#!/usr/bin/env node
// Per-strategy cost: reads a trace once, pairs it with the buffer tracker, then times each
// strategy's consume() alone over the saved batches (best of 3) and prints a hash of its counters,
// so an optimisation can be checked to change no result. Usage:
//   node scripts/bench-strategies.mjs [trace (default: the bench's Arrow trace)] [ids,...] [profile]
import { openTrace } from '../dist/trace/open.js';
import { Diagnostics } from '../dist/trace/diagnostics.js';
import { BufferTracker } from '../dist/replay/buffer-tracker.js';
import { STRATEGIES } from '../dist/strategies/index.js';
import { resolveProfileByName } from '../dist/cost/profile.js';
import { EventBatch } from '../dist/types/event.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
const path = process.argv[2] || join(tmpdir(), 'dmareplay-bench', 'mixed-2000000.arrow');
const only = process.argv[3] ? process.argv[3].split(',') : null;
const profile = resolveProfileByName(process.argv[4] || undefined);
const params = profile.params;
const d = new Diagnostics();
const reader = await openTrace(path, d);
const tracker = new BufferTracker(path, d, reader.devices, { txRing: params['nic.tx_ring'], rxRing: params['nic.rx_ring'], diskQueue: params['disk.queue_depth'] });
const batches = [];
let t0 = performance.now();
for await (const b of reader.batches()) {
  tracker.process(b);
  const c = new EventBatch(b.length);
  for (const k of Object.keys(b)) if (ArrayBuffer.isView(b[k])) c[k].set(b[k].subarray(0, b.length));
  c.length = b.length;
  batches.push(c);
}
console.log(`read+track ${(performance.now() - t0).toFixed(0)} ms`);
const ctx = { params, slots: tracker };
let total = 0;
for (const def of STRATEGIES) {
  if (only && !only.includes(def.id)) continue;
  const best = [];
  let hash;
  for (let rep = 0; rep < 3; rep++) {
    const run = def.create(ctx);
    t0 = performance.now();
    for (const b of batches) run.consume(b);
    run.finish(tracker.lastTs);
    best.push(performance.now() - t0);
    hash = createHash('sha1').update(Buffer.from(run.counters.buffer)).digest('hex').slice(0, 10);
  }
  const ms = Math.min(...best);
  total += ms;
  console.log(`${def.id.padEnd(14)} ${ms.toFixed(0).padStart(5)} ms  ${hash}`);
}
console.log(`total ${total.toFixed(0)} ms`);
