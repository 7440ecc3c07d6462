/**
 * Replays one trace through a set of strategies (for one or several profiles) in a single
 * streaming pass: the reader fills a batch, the buffer tracker pairs and checks it once, then
 * every strategy run consumes the same batch. `native` always runs (it is cheap) because every overhead is measured against it.
 */
import { type ReadOptions } from '../trace/csv-reader.js';
import { openTrace } from '../trace/open.js';
import { Diagnostics } from '../trace/diagnostics.js';
import { BufferTracker } from './buffer-tracker.js';
import { cpuPerDma, finalizeRun } from '../metrics/finalize.js';
import { C } from '../metrics/counters.js';
import { native } from '../strategies/native.js';
import type { ResolvedProfile } from '../cost/profile.js';
import type { StrategyDefinition, StrategyRun } from '../types/strategy.js';
import type { RunResult } from '../types/result.js';
import { CLASS_NAMES, type DeviceTable } from '../types/event.js';

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
  const pass = await replayProfiles(path, options.strategies, [options.profile], options);
  const { tracker, devices } = pass;
  const warnings: string[] = [];
  for (const [queue, line, occupancy] of tracker.queues.firstOverflow) {
    // Only a ring the trace shows: not the "TX ring" of a receive trace whose buffers are all
    // bidirectional, nor the queue of a device that stands for several (iommu: events name none).
    if (!tracker.queues.ringKnown(queue)) continue;
    const device = devices.names[queue >> 1];
    const cls = CLASS_NAMES[devices.classes[queue >> 1]];
    const what = cls === 'disk' ? 'disk queue' : (queue & 1) === 1 ? 'NIC RX ring' : 'NIC TX ring';
    const key = cls === 'disk' ? 'disk.queue_depth' : (queue & 1) === 1 ? 'nic.rx_ring' : 'nic.tx_ring';
    warnings.push(`${path}:${line}: ${device}: ${occupancy} descriptors in flight exceed the modelled ${what} of ${tracker.queues.capacity(queue)} (--set ${key}=N to model a larger one); replay goes on`);
  }
  const refused = refusedMapsWarning(path, pass.results[0]);
  if (refused) warnings.push(refused);
  if (tracker.liveAtEnd > 0) warnings.push(`${path}: ${tracker.liveAtEnd} buffer${tracker.liveAtEnd === 1 ? ' was' : 's were'} still mapped at the end of the trace (reported as live_at_end)`);
  return { results: pass.results[0], warnings, rowsRead: pass.rowsRead, rowsAccepted: pass.rowsAccepted };
}

/**
 * One line for the maps strategies refused on a trace (they fault every access of those DMAs, so
 * the numbers say less than they seem to), naming the first line refused; null when none was.
 */
export function refusedMapsWarning(path: string, results: readonly RunResult[]): string | null {
  const refusing = results.filter((r) => (r.counters.maps_rejected ?? 0) > 0);
  if (refusing.length === 0) return null;
  const line = Math.min(...refusing.map((r) => r.counters.first_rejected_line));
  const counts = refusing.map((r) => `${r.strategy} ${r.counters.maps_rejected.toLocaleString('en-US')}`).join(', ');
  return `${path}:${line}: maps refused (${counts}): a page beyond the guest's 52-bit guest-physical space (not its own) or, where IOVA = guest-physical address, beyond the IOMMU's 48-bit input width; those DMAs fault`;
}

export interface ProfilesReplay {
  /** Per profile (in the order given), one result per strategy. */
  results: RunResult[][];
  tracker: BufferTracker;
  devices: DeviceTable;
  rowsRead: number;
  rowsAccepted: number;
}

/**
 * The single pass for several profiles at once (a sweep's grid points): the trace is read,
 * checked and paired once, and every profile's strategy runs consume the same batches (runs only
 * read a batch). Each profile gets exactly the results a replay with it alone gives. The
 * profiles must agree on the buffer tracker's parameters (ring and queue sizes; the first
 * profile's are used).
 */
export async function replayProfiles(
  path: string,
  strategies: readonly StrategyDefinition[],
  profiles: readonly ResolvedProfile[],
  options: { diagnostics?: Diagnostics; name?: string; read?: ReadOptions } = {},
): Promise<ProfilesReplay> {
  const diagnostics = options.diagnostics ?? new Diagnostics();
  const first = profiles[0].params;
  const reader = await openTrace(path, diagnostics, options.read);
  const tracker = new BufferTracker(path, diagnostics, reader.devices, {
    txRing: first['nic.tx_ring'],
    rxRing: first['nic.rx_ring'],
    diskQueue: first['disk.queue_depth'],
  });
  const defs = strategies.includes(native) ? strategies : [native, ...strategies];
  const points: StrategyRun[][] = profiles.map((p) => defs.map((d) => d.create({ params: p.params, slots: tracker })));

  for await (const batch of reader.batches()) {
    tracker.process(batch);
    for (let k = 0; k < points.length; k++) {
      const runs = points[k];
      for (let s = 0; s < runs.length; s++) runs[s].consume(batch);
    }
  }

  const results = points.map((runs, k) => {
    for (const r of runs) r.finish(tracker.lastTs);
    const facts = {
      trace: options.name ?? path,
      profile: profiles[k].id,
      units: tracker.units,
      segments: tracker.segments,
      pages: tracker.pagesMapped,
      durationNs: tracker.firstTs < 0 ? 0 : tracker.lastTs - tracker.firstTs,
      bytesMapped: tracker.bytesMapped,
      liveAtEnd: tracker.liveAtEnd,
      cpuHz: profiles[k].params['cpu.hz'],
      dmaLatencyNs: profiles[k].params['iommu.dma_latency_ns'],
      readLatencyNs: profiles[k].params['iommu.read_latency_ns'],
    };
    const nativeCounters = runs[defs.indexOf(native)].counters;
    const nativeCpuPerDma = cpuPerDma(runs[defs.indexOf(native)].counters);
    return strategies.map((d) => finalizeRun(d, runs[defs.indexOf(d)].counters, facts, nativeCpuPerDma));
  });
  return { results, tracker, devices: reader.devices, rowsRead: reader.rowsRead, rowsAccepted: reader.rowsAccepted };
}
