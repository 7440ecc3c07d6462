/**
 * Small hand-made replay results for the figure tests: only the fields the figures read, with
 * round numbers so that expected values can be worked out by hand.
 */
import type { RunResult } from '../../src/types/result.js';

export interface Given {
  dmas?: number;
  /** Cycles by category over the whole trace (CPU categories and iotlb-walk). */
  cycles: Record<string, number>;
  /** KiB of buffers mapped over the trace (cycles.per_kib = total / kib). */
  kib?: number;
  /** null: the strategy translates through no IOMMU. */
  missRate?: number | null;
  invalidations?: number;
  hypercalls?: number;
  reuse?: number | null;
  exposedKib?: number;
}

export function result(trace: string, strategy: string, g: Given): RunResult {
  const dmas = g.dmas ?? 100;
  const total = Object.values(g.cycles).reduce((a, b) => a + b, 0);
  const cpu = total - (g.cycles['iotlb-walk'] ?? 0);
  const kib = g.kib ?? 400;
  return {
    trace,
    strategy,
    profile: 'xen-2008',
    dmas,
    duration_ns: 1e6,
    cycles: { total, cpu, per_dma: total / dmas, per_unit: null, per_kib: total / kib, by_category: g.cycles },
    overhead_vs_native: null,
    cpu_utilization: null,
    hypercalls: g.hypercalls ?? 0,
    pt_updates: 0,
    mappings: { peak: 0, avg: 0 },
    faults: 0,
    setup: { cycles: 0, pt_updates: 0 },
    live_at_end: 0,
    iotlb: { hits: 0, misses: 0, miss_rate: g.missRate === undefined ? 0.1 : g.missRate, invalidations: g.invalidations ?? 0, evictions: 0, waits: 0 },
    reuse_rate: g.reuse === undefined ? null : g.reuse,
    exposure: { avg_bytes: (g.exposedKib ?? 0) * 1024, max_bytes: (g.exposedKib ?? 0) * 1024 },
    counters: {},
  } as unknown as RunResult;
}
