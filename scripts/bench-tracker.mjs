#!/usr/bin/env node
// The buffer tracker's cost alone: reads a trace once into unpaired batches, then times
// BufferTracker.process() over a fresh copy of each (made just before, outside the timed span, as
// process() writes into its batch; so the batch is in the cache, as a reader's would be): its flat
// loop, and on request the reference loop (`reference: true`) and another BufferTracker module
// (`--before`, e.g. the previous commit's). The reference loop is for checking, not timing: run in
// the same process it shares the flat loop's functions and their type feedback, and made the flat
// loop about 15% slower here, so it is not timed by default. Rounds are interleaved, every other
// one in reverse order, so a burst of load on a shared machine hits all alike; each reports the
// minimum and the median over rounds, wall and CPU time (user + system of the whole process,
// summed over the process() calls; the clock readings add about 1.5 ms per 500 batches). A hash
// of every column of every batch after pairing, the tracker's counters, queues, problems and
// warnings must agree between the loops and between rounds.
//
// The minimum is a warm figure. One pass inside a replay costs more: there the first few hundred
// thousand rows run before the optimised code is in (on a loaded machine the compiler threads wait
// for a core, and process CPU time counts their work too), and the reader evicts the tracker's
// tables from the caches between batches. The first round shows the first.
//
//   node scripts/bench-tracker.mjs [trace] [--rounds N] [--loops flat,reference,before] [--before module.js] [--json]
//
// trace defaults to the bench's Arrow trace (scripts/bench-traces.mjs makes it). A previous
// tracker for --before, built next to the current one so its imports resolve:
//   git show <commit>:src/replay/buffer-tracker.ts > /tmp/bt.ts
//   npx esbuild /tmp/bt.ts --format=esm --outfile=dist/replay/buffer-tracker-before.js
import { BENCH_DIR } from './bench-traces.mjs';
import { openTrace } from '../dist/trace/open.js';
import { Diagnostics } from '../dist/trace/diagnostics.js';
import { BufferTracker } from '../dist/replay/buffer-tracker.js';
import { resolveProfileByName } from '../dist/cost/profile.js';
import { EventBatch } from '../dist/types/event.js';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

/** Every counter the tracker keeps (the outputs besides the batches and the problems). */
const COUNTERS = ['lastTs', 'firstTs', 'maps', 'segments', 'pagesMapped', 'unmaps', 'accesses', 'accessesToUnmappedHandles', 'units', 'inFlight', 'peakInFlight', 'bytesMapped', 'slotCapacity'];

/** Reads a trace once; returns copies of its batches as the reader gave them (not yet paired). */
export async function readRawBatches(path) {
  const d = new Diagnostics();
  const reader = await openTrace(path, d);
  const batches = [];
  let events = 0;
  let capacity = 0;
  for await (const b of reader.batches()) {
    const c = new EventBatch(b.capacity);
    c.copyFrom(b);
    batches.push(c);
    events += b.length;
    capacity = Math.max(capacity, b.capacity);
  }
  return { batches, devices: reader.devices, events, capacity };
}

/**
 * Times process() over the batches once with a new tracker.
 * @returns {{ ms: number, cpuMs: number, hash: string }}
 */
function runOnce(raw, path, params, Tracker, reference, work, hashAll) {
  const d = new Diagnostics();
  const tracker = new Tracker(path, d, raw.devices, { txRing: params['nic.tx_ring'], rxRing: params['nic.rx_ring'], diskQueue: params['disk.queue_depth'] }, reference);
  const h = hashAll ? createHash('sha1') : null;
  let ms = 0;
  let cpuUs = 0;
  for (const b of raw.batches) {
    work.copyFrom(b);
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    tracker.process(work);
    ms += performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    cpuUs += cpu.user + cpu.system;
    if (h) for (const k of Object.keys(work)) if (ArrayBuffer.isView(work[k])) h.update(new Uint8Array(work[k].buffer, work[k].byteOffset, work.length * work[k].BYTES_PER_ELEMENT));
  }
  const tail = createHash('sha1');
  if (h) tail.update(h.digest());
  tail.update(JSON.stringify({ counters: COUNTERS.map((k) => tracker[k]), live: tracker.liveAtEnd, overflows: tracker.queues.overflows, firstOverflow: tracker.queues.firstOverflow, problems: d.problems, kinds: [...d.countsByKind], warnings: d.warnings }));
  return { ms, cpuMs: cpuUs / 1000, hash: tail.digest('hex').slice(0, 10) };
}

/**
 * @param {{ path?: string, profile?: string, rounds?: number, loops?: string[], before?: string, log?: (line: string) => void }} options
 * `before`: a module exporting another BufferTracker (e.g. the previous commit's, built into
 * dist/), timed as the loop 'before'.
 * @returns {Promise<{ events: number, readMs: number, load: number[], rows: { loop: string, ms: number, medianMs: number, all: number[], cpuMs: number, cpuMedianMs: number, cpuAll: number[], hash: string }[] }>}
 */
export async function benchTracker(options = {}) {
  const path = options.path ?? join(BENCH_DIR, 'mixed-2000000.arrow');
  const params = resolveProfileByName(options.profile, []).params;
  const rounds = options.rounds ?? 5;
  const log = options.log ?? (() => {});
  const Before = options.before ? (await import(pathToFileURL(resolve(options.before)).href)).BufferTracker : null;
  const t0 = performance.now();
  const raw = await readRawBatches(path);
  const readMs = performance.now() - t0;
  const work = new EventBatch(raw.capacity);
  const rows = (options.loops ?? ['flat', ...(options.before ? ['before'] : [])]).map((loop) => ({ loop, all: [], cpuAll: [], hash: '' }));
  const load = [loadavg()[0]];
  for (let r = 0; r < rounds; r++) {
    for (const row of r % 2 === 0 ? rows : [...rows].reverse()) {
      // Every column is hashed in the first round only (a second pass of the same code on the
      // same rows); the counters and problems in every round.
      const { ms, cpuMs, hash } = runOnce(raw, path, params, row.loop === 'before' ? Before : BufferTracker, row.loop === 'reference', work, r === 0);
      row.all.push(ms);
      row.cpuAll.push(cpuMs);
      if (r === 0) row.hash = hash;
      else row.countersHash ??= hash;
      if (r > 0 && row.countersHash !== hash) throw new Error(`${row.loop}: results differ between rounds`);
    }
    load.push(loadavg()[0]);
    log(`round ${r + 1}/${rounds} done (load ${loadavg()[0].toFixed(2)})`);
  }
  if (rows.some((row) => row.hash !== rows[0].hash)) throw new Error(`the loops' results differ: ${rows.map((row) => `${row.loop} ${row.hash}`).join(', ')}`);
  const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return {
    events: raw.events,
    readMs,
    load,
    rows: rows.map((row) => ({ loop: row.loop, ms: Math.min(...row.all), medianMs: median(row.all), all: row.all, cpuMs: Math.min(...row.cpuAll), cpuMedianMs: median(row.cpuAll), cpuAll: row.cpuAll, hash: row.hash })),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const k = args.indexOf(name);
    return k >= 0 ? args.splice(k, 2)[1] : undefined;
  };
  const json = args.includes('--json') ? (args.splice(args.indexOf('--json'), 1), true) : false;
  const loops = flag('--loops');
  const r = await benchTracker({
    profile: flag('--profile'),
    rounds: Number(flag('--rounds') ?? 5),
    loops: loops ? loops.split(',') : undefined,
    before: flag('--before'),
    log: (l) => process.stderr.write(l + '\n'),
    path: args[0],
  });
  if (json) console.log(JSON.stringify(r, null, 1));
  else {
    console.log(`${r.events} events; read ${r.readMs.toFixed(0)} ms; load average ${r.load.map((l) => l.toFixed(2)).join(' -> ')} (${r.rows[0]?.all.length ?? 0} interleaved rounds)`);
    console.log(`${'loop'.padEnd(10)} ${'wall min'.padStart(9)} ${'median'.padStart(7)} ${'cpu min'.padStart(8)} ${'median'.padStart(7)}  ns/event (cpu min)  cpu of each round  results`);
    for (const row of r.rows) {
      console.log(`${row.loop.padEnd(10)} ${row.ms.toFixed(0).padStart(6)} ms ${row.medianMs.toFixed(0).padStart(4)} ms ${row.cpuMs.toFixed(0).padStart(5)} ms ${row.cpuMedianMs.toFixed(0).padStart(4)} ms  ${((row.cpuMs * 1e6) / r.events).toFixed(0).padStart(8)}            (${row.cpuAll.map((m) => m.toFixed(0)).join(' ')})  ${row.hash}`);
    }
  }
}
