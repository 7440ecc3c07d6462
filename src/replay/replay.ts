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
import { getStrategy, STRATEGY_IDS } from '../strategies/index.js';
import { groupStrategies } from './strategy-groups.js';
import { StrategyThreads } from './strategy-threads.js';
import { DmaCosts } from '../metrics/dma-costs.js';
import type { ResolvedProfile } from '../cost/profile.js';
import type { StrategyDefinition } from '../types/strategy.js';
import type { RunResult } from '../types/result.js';
import { CLASS_NAMES, type DeviceTable } from '../types/event.js';

export interface ReplayTraceOptions {
  strategies: readonly StrategyDefinition[];
  profile: ResolvedProfile;
  diagnostics?: Diagnostics;
  /** Name used for the trace in results (default: the path as given). */
  name?: string;
  read?: ReadOptions;
  /** Reference loops instead of the flat ones (StrategyContext.reference). */
  reference?: boolean;
  /** Threads to spread the strategies over (this one and threads-1 workers; default 1). */
  threads?: number;
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
  options: { diagnostics?: Diagnostics; name?: string; read?: ReadOptions; threads?: number; reference?: boolean } = {},
): Promise<ProfilesReplay> {
  const diagnostics = options.diagnostics ?? new Diagnostics();
  const first = profiles[0].params;
  const reader = await openTrace(path, diagnostics, options.read);
  const queues = { txRing: first['nic.tx_ring'], rxRing: first['nic.rx_ring'], diskQueue: first['disk.queue_depth'] };
  const tracker = new BufferTracker(path, diagnostics, reader.devices, queues, options.reference);
  const defs = strategies.includes(native) ? strategies : [native, ...strategies];
  // Every (profile, strategy) run; with --threads, some on workers (strategy-threads.ts).
  const all = profiles.flatMap((_, point) => defs.map((def) => ({ point, def })));
  const movable = (r: { def: StrategyDefinition }) => r.def !== native && isRegistered(r.def);
  const groups = groupStrategies(all.filter(movable), all.filter((r) => !movable(r)), Math.max(1, Math.floor(options.threads ?? 1)));
  const local = [...all.filter((r) => !movable(r)), ...groups[0]];
  const remote = groups.slice(1).filter((g) => g.length > 0);
  const runs = local.map((r) => r.def.create({ params: profiles[r.point].params, slots: tracker, reference: options.reference }));
  const threads = remote.length > 0 ? new StrategyThreads(path, queues, profiles.map((p) => p.params), remote.map((g) => g.map((r) => ({ point: r.point, id: r.def.id }))), options.reference) : null;

  // done[point][index in defs]: each run's counters and per-DMA costs, from this thread's runs
  // and the workers'.
  const done: { counters: Float64Array; costs?: DmaCosts }[][] = profiles.map(() => []);
  try {
    for await (const batch of reader.batches()) {
      if (threads) await threads.share(batch, reader.devices);
      tracker.process(batch);
      for (let s = 0; s < runs.length; s++) runs[s].consume(batch);
    }
    for (const [k, r] of local.entries()) {
      runs[k].finish(tracker.lastTs);
      done[r.point][defs.indexOf(r.def)] = runs[k];
    }
    for (const c of threads ? await threads.finish() : []) {
      done[c.point][defs.findIndex((def) => def.id === c.id)] = { counters: c.counters, costs: c.costs && DmaCosts.revive(c.costs) };
    }
  } finally {
    await threads?.terminate();
  }

  const results = done.map((byDef, k) => {
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
      devices: { names: reader.devices.names, classes: reader.devices.classes.map((cl) => CLASS_NAMES[cl]) },
    };
    const nativeCpuPerDma = cpuPerDma(byDef[defs.indexOf(native)].counters);
    return strategies.map((d) => {
      const run = byDef[defs.indexOf(d)];
      return finalizeRun(d, run.counters, facts, nativeCpuPerDma, run.costs);
    });
  });
  return { results, tracker, devices: reader.devices, rowsRead: reader.rowsRead, rowsAccepted: reader.rowsAccepted };
}

/** Whether a worker can make this strategy from its id (a library user's own definition cannot
 * cross to a worker, so it runs on the main thread). */
function isRegistered(def: StrategyDefinition): boolean {
  return STRATEGY_IDS.includes(def.id) && getStrategy(def.id) === def;
}
