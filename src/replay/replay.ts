/**
 * Replays one trace through a set of strategies in a single streaming pass: the reader fills a
 * batch, the buffer tracker pairs and checks it once, then every strategy consumes the same
 * batch. `native` always runs (it is cheap) because every overhead is measured against it.
 */
import { type ReadOptions } from '../trace/csv-reader.js';
import { openTrace } from '../trace/open.js';
import { Diagnostics } from '../trace/diagnostics.js';
import { BufferTracker } from './buffer-tracker.js';
import { finalizeRun, totalCycles } from '../metrics/finalize.js';
import { C } from '../metrics/counters.js';
import { native } from '../strategies/native.js';
import type { ResolvedProfile } from '../cost/profile.js';
import type { StrategyDefinition, StrategyRun } from '../types/strategy.js';
import type { RunResult } from '../types/result.js';
import { CLASS_NAMES } from '../types/event.js';

export interface ReplayTraceOptions {
  strategies: readonly StrategyDefinition[];
  profile: ResolvedProfile;
  diagnostics?: Diagnostics;
  /** Name used for the trace in results (default: the path as given). */
  name?: string;
  read?: ReadOptions;
}

export interface TraceReplay {
  results: RunResult[];
  /** Whole-trace warnings (queue overflows, live maps at the end). */
  warnings: string[];
  rowsRead: number;
  rowsAccepted: number;
}

export async function replayTrace(path: string, options: ReplayTraceOptions): Promise<TraceReplay> {
  const diagnostics = options.diagnostics ?? new Diagnostics();
  const params = options.profile.params;
  const reader = await openTrace(path, diagnostics, options.read);
  const tracker = new BufferTracker(path, diagnostics, reader.devices, {
    txRing: params['nic.tx_ring'],
    rxRing: params['nic.rx_ring'],
    diskQueue: params['disk.queue_depth'],
  });
  const ctx = { params, slots: tracker };
  const defs = options.strategies.includes(native) ? options.strategies : [native, ...options.strategies];
  const runs: StrategyRun[] = defs.map((d) => d.create(ctx));

  for await (const batch of reader.batches()) {
    tracker.process(batch);
    for (let s = 0; s < runs.length; s++) runs[s].consume(batch);
  }
  for (const r of runs) r.finish(tracker.lastTs);

  const facts = {
    trace: options.name ?? path,
    profile: options.profile.id,
    units: tracker.units,
    durationNs: tracker.firstTs < 0 ? 0 : tracker.lastTs - tracker.firstTs,
    bytesMapped: tracker.bytesMapped,
    liveAtEnd: tracker.liveAtEnd,
    cpuHz: params['cpu.hz'],
  };
  const nativeCounters = runs[defs.indexOf(native)].counters;
  const nativePerDma = nativeCounters[C.maps] > 0 ? Math.round((totalCycles(nativeCounters) / nativeCounters[C.maps]) * 1000) / 1000 : null;
  const results = options.strategies.map((d) => finalizeRun(d, runs[defs.indexOf(d)].counters, facts, nativePerDma));

  const warnings: string[] = [];
  for (const [queue, line, occupancy] of tracker.queues.firstOverflow) {
    const device = reader.devices.names[queue >> 1];
    const cls = CLASS_NAMES[reader.devices.classes[queue >> 1]];
    const what = cls === 'disk' ? 'disk queue' : (queue & 1) === 1 ? 'NIC RX ring' : 'NIC TX ring';
    const key = cls === 'disk' ? 'disk.queue_depth' : (queue & 1) === 1 ? 'nic.rx_ring' : 'nic.tx_ring';
    warnings.push(`${path}:${line}: ${device}: ${occupancy} descriptors in flight exceed the modelled ${what} of ${tracker.queues.capacity(queue)} (--set ${key}=N to model a larger one); replay goes on`);
  }
  if (tracker.liveAtEnd > 0) warnings.push(`${path}: ${tracker.liveAtEnd} buffer${tracker.liveAtEnd === 1 ? ' was' : 's were'} still mapped at the end of the trace (reported as live_at_end)`);
  return { results, warnings, rowsRead: reader.rowsRead, rowsAccepted: reader.rowsAccepted };
}
