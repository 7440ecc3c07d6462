#!/usr/bin/env node
// Per-strategy cost: reads a trace once, pairs it with the buffer tracker, then times each
// strategy's consume() alone over the saved batches and prints a hash of its counters, so an
// optimisation can be checked to change no result. Rounds are interleaved (round 1 of every
// strategy, then round 2, ..., every other round in reverse order) so that a burst of load on a
// shared machine hits all strategies alike; each strategy reports the minimum over rounds. With --mode both, each strategy's flat
// loop and its reference loop (StrategyContext.reference) are timed side by side, and their
// hashes must agree.
//
//   node scripts/bench-strategies.mjs [trace] [--ids a,b] [--profile id] [--set key=value ...] [--rounds N] [--mode flat|reference|both] [--json]
//
// trace defaults to the bench's Arrow trace (scripts/bench.mjs makes it). scripts/bench.mjs can
// call benchStrategies() directly.
import { BENCH_DIR } from './bench-traces.mjs';
import { openTrace } from '../dist/trace/open.js';
import { Diagnostics } from '../dist/trace/diagnostics.js';
import { BufferTracker } from '../dist/replay/buffer-tracker.js';
import { STRATEGIES } from '../dist/strategies/index.js';
import { resolveProfileByName } from '../dist/cost/profile.js';
import { EventBatch } from '../dist/types/event.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

/** Reads and pairs a trace once; returns copies of its batches and the tracker. */
export async function readBatches(path, params) {
  const d = new Diagnostics();
  const reader = await openTrace(path, d);
  const tracker = new BufferTracker(path, d, reader.devices, { txRing: params['nic.tx_ring'], rxRing: params['nic.rx_ring'], diskQueue: params['disk.queue_depth'] });
  const batches = [];
  let events = 0;
  for await (const b of reader.batches()) {
    tracker.process(b);
    const c = new EventBatch(b.length);
    for (const k of Object.keys(b)) if (ArrayBuffer.isView(b[k])) c[k].set(b[k].subarray(0, b.length));
    c.length = b.length;
    batches.push(c);
    events += b.length;
  }
  return { batches, tracker, events };
}

/**
 * Times each strategy's consume() over pre-read batches.
 * @param {{ path?: string, ids?: string[] | null, profile?: string, set?: string[], rounds?: number, mode?: 'flat' | 'reference' | 'both', log?: (line: string) => void }} options
 * `ms` is wall time; `cpuMs` the process's CPU time over the same span (user + system: on a
 * loaded machine it leaves out time spent waiting for a core, though not caches shared with the
 * other load). Both are minimums over rounds; `all` and `cpuAll` keep every round.
 * @returns {Promise<{ events: number, readMs: number, load: number[], rows: { id: string, mode: string, ms: number, all: number[], cpuMs: number, cpuAll: number[], hash: string }[] }>}
 */
export async function benchStrategies(options = {}) {
  const path = options.path ?? join(BENCH_DIR, 'mixed-2000000.arrow');
  const params = resolveProfileByName(options.profile, options.set ?? []).params;
  const rounds = options.rounds ?? 5;
  const modes = options.mode === 'both' ? ['flat', 'reference'] : [options.mode ?? 'flat'];
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  const { batches, tracker, events } = await readBatches(path, params);
  const readMs = performance.now() - t0;
  const defs = STRATEGIES.filter((d) => !options.ids || options.ids.includes(d.id));
  const rows = defs.flatMap((def) => modes.map((mode) => ({ id: def.id, mode, def, ms: Infinity, all: [], cpuMs: Infinity, cpuAll: [], hash: '' })));
  const load = [loadavg()[0]];
  for (let r = 0; r < rounds; r++) {
    // Odd rounds run in reverse order, so that no strategy (or loop) always runs first or last.
    for (const row of r % 2 === 0 ? rows : [...rows].reverse()) {
      const run = row.def.create({ params, slots: tracker, reference: row.mode === 'reference' });
      const t = performance.now();
      const cpu0 = process.cpuUsage();
      for (const b of batches) run.consume(b);
      run.finish(tracker.lastTs);
      const cpu = process.cpuUsage(cpu0);
      const ms = performance.now() - t;
      const cpuMs = (cpu.user + cpu.system) / 1000;
      row.all.push(ms);
      row.ms = Math.min(row.ms, ms);
      row.cpuAll.push(cpuMs);
      row.cpuMs = Math.min(row.cpuMs, cpuMs);
      const hash = createHash('sha1').update(Buffer.from(run.counters.buffer)).digest('hex').slice(0, 10);
      if (row.hash !== '' && row.hash !== hash) throw new Error(`${row.id} (${row.mode}): counters differ between rounds`);
      row.hash = hash;
    }
    load.push(loadavg()[0]);
    log(`round ${r + 1}/${rounds} done (load ${loadavg()[0].toFixed(2)})`);
  }
  for (const def of defs) {
    const mine = rows.filter((row) => row.id === def.id);
    if (mine.some((row) => row.hash !== mine[0].hash)) throw new Error(`${def.id}: the flat loop's counters differ from the reference loop's`);
  }
  return { events, readMs, load, rows: rows.map(({ def, ...row }) => row) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const k = args.indexOf(name);
    return k >= 0 ? args.splice(k, 2)[1] : undefined;
  };
  const json = args.includes('--json') ? (args.splice(args.indexOf('--json'), 1), true) : false;
  const ids = flag('--ids');
  const set = [];
  for (let v = flag('--set'); v !== undefined; v = flag('--set')) set.push(v);
  const opts = {
    set,
    ids: ids ? ids.split(',') : null,
    profile: flag('--profile'),
    rounds: Number(flag('--rounds') ?? 5),
    mode: flag('--mode') ?? 'flat',
    log: (l) => process.stderr.write(l + '\n'),
  };
  opts.path = args[0];
  const r = await benchStrategies(opts);
  if (json) console.log(JSON.stringify(r, null, 1));
  else {
    console.log(`${r.events} events; read+track ${r.readMs.toFixed(0)} ms; load average ${r.load.map((l) => l.toFixed(2)).join(' -> ')} (${r.rows[0]?.all.length ?? 0} interleaved rounds, min shown)`);
    const totals = {};
    console.log(`${'strategy'.padEnd(14)} ${'loop'.padEnd(9)} ${'wall'.padStart(8)} ${'cpu'.padStart(8)}  wall of each round  counters`);
    for (const row of r.rows) {
      const t = (totals[row.mode] ??= [0, 0]);
      t[0] += row.ms;
      t[1] += row.cpuMs;
      console.log(`${row.id.padEnd(14)} ${row.mode.padEnd(9)} ${row.ms.toFixed(0).padStart(5)} ms ${row.cpuMs.toFixed(0).padStart(5)} ms  (${row.all.map((m) => m.toFixed(0)).join(' ')})  ${row.hash}`);
    }
    for (const [mode, [ms, cpu]] of Object.entries(totals)) console.log(`${'total'.padEnd(14)} ${mode.padEnd(9)} ${ms.toFixed(0).padStart(5)} ms ${cpu.toFixed(0).padStart(5)} ms`);
  }
}
