/**
 * Turns a strategy run's raw counters into a RunResult: totals by category, per-DMA and per-unit
 * figures, rates, and time averages. Stats are derived here and nowhere else.
 */
import { C, CATEGORIES, COUNTER_SPECS } from './counters.js';
import type { CostDist, DeviceCost, PerPage, RunResult } from '../types/result.js';
import type { CostHistogram, DmaCosts } from './dma-costs.js';
import type { StrategyDefinition } from '../types/strategy.js';

export interface TraceFacts {
  trace: string;
  profile: string;
  units: number;
  /** Segments and pages mapped over the trace (a plain buffer is one segment). */
  segments: number;
  pages: number;
  durationNs: number;
  bytesMapped: number;
  liveAtEnd: number;
  cpuHz: number;
  /** Throughput projection constants (ns): per page with no IOMMU work, per IOMMU memory read. */
  dmaLatencyNs: number;
  readLatencyNs: number;
  /** The trace's devices by id: names and class names. */
  devices?: { names: readonly string[]; classes: readonly string[] };
}

/** Rounds derived ratios so results are stable text across platforms and easy to diff. */
function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function totalCycles(c: Float64Array): number {
  let total = 0;
  for (const cat of CATEGORIES) total += c[cat.id];
  return total;
}

/** CPU cycles: every category but the IOMMU's own time (page walks on IOTLB misses). */
export function cpuCycles(c: Float64Array): number {
  let cpu = 0;
  for (const cat of CATEGORIES) if (cat.cpu) cpu += c[cat.id];
  return cpu;
}

/** CPU cycles per DMA as the overhead compares them (rounded like the per-DMA figures). */
export function cpuPerDma(c: Float64Array): number | null {
  return c[C.maps] > 0 ? round(cpuCycles(c) / c[C.maps], 3) : null;
}

/**
 * @param nativeCpuPerDma native's CPU cycles per DMA on the same trace: `overhead_vs_native` is
 * CPU time over native's, as the study measured it (the IOMMU's walk time costs the CPU nothing).
 */
export function finalizeRun(def: StrategyDefinition, c: Float64Array, facts: TraceFacts, nativeCpuPerDma: number | null, costs?: DmaCosts): RunResult {
  const byCategory: Record<string, number> = {};
  let total = 0;
  let cpu = 0;
  for (const cat of CATEGORIES) {
    byCategory[cat.name] = c[cat.id];
    total += c[cat.id];
    if (cat.cpu) cpu += c[cat.id];
  }
  const dmas = c[C.maps];
  const perDma = dmas > 0 ? round(total / dmas, 3) : null;
  const translations = c[C.iotlbHits] + c[C.iotlbMisses];
  const duration = facts.durationNs;
  const counters: Record<string, number> = {};
  COUNTER_SPECS.forEach((s, id) => (counters[s.name] = c[id]));
  return {
    trace: facts.trace,
    strategy: def.id,
    profile: facts.profile,
    dmas,
    segments: facts.segments,
    pages: facts.pages,
    units: facts.units,
    duration_ns: duration,
    cycles: {
      total,
      cpu,
      per_dma: perDma,
      per_unit: facts.units > 0 ? round(total / facts.units, 3) : null,
      per_kib: facts.bytesMapped > 0 ? round(total / (facts.bytesMapped / 1024), 3) : null,
      by_category: byCategory,
      cpu_per_dma: dmas > 0 ? round(cpu / dmas, 3) : null,
      ...(costs ? { per_dma_dist: dist(costs.all), cpu_per_dma_dist: dist(costs.cpu) } : {}),
    },
    overhead_vs_native: dmas > 0 && nativeCpuPerDma !== null && nativeCpuPerDma > 0 ? round((round(cpu / dmas, 3) - nativeCpuPerDma) / nativeCpuPerDma) : null,
    cpu_utilization: duration > 0 ? round(cpu / ((duration / 1e9) * facts.cpuHz)) : null,
    hypercalls: c[C.hypercalls],
    pt_updates: c[C.ptUpdates],
    iotlb: {
      hits: c[C.iotlbHits],
      misses: c[C.iotlbMisses],
      miss_rate: translations > 0 ? round(c[C.iotlbMisses] / translations) : null,
      invalidations: c[C.iotlbInvalidations],
      evictions: c[C.iotlbEvictions],
      waits: c[C.iotlbWaits],
    },
    reuse_rate: def.hasMappings && dmas > 0 ? round(c[C.mapReuses] / dmas) : null,
    mappings: { peak: c[C.peakMappings], avg: duration > 0 ? round(c[C.mappingArea] / duration, 3) : c[C.liveMappings] },
    faults: c[C.faults],
    exposure: {
      avg_bytes: duration > 0 ? round(c[C.exposureArea] / duration, 3) : Math.max(0, c[C.reachableBytes] - c[C.inFlightBytes]),
      max_bytes: c[C.exposureMax],
    },
    setup: { cycles: c[C.setupCycles], pt_updates: c[C.setupPtUpdates] },
    live_at_end: facts.liveAtEnd,
    per_page: perPage(c, facts, cpu),
    ...(costs && facts.devices ? { devices: deviceCosts(costs, facts.devices) } : {}),
    counters,
  };
}

function dist(h: CostHistogram): CostDist | null {
  if (h.n === 0) return null;
  return { p50: round(h.quantile(0.5)!, 3), p90: round(h.quantile(0.9)!, 3), p99: round(h.quantile(0.99)!, 3), max: round(h.max, 3) };
}

/** Every device of the trace, in the order it first appeared. */
function deviceCosts(costs: DmaCosts, devices: { names: readonly string[]; classes: readonly string[] }): DeviceCost[] {
  return devices.names.map((device, d) => {
    const dmas = costs.deviceDmas[d] ?? 0;
    const all = costs.deviceAll[d] ?? 0;
    const cpu = costs.deviceCpu[d] ?? 0;
    return { device, class: devices.classes[d], dmas, cycles: round(all, 3), cpu_cycles: round(cpu, 3), per_dma: dmas > 0 ? round(all / dmas, 3) : null, cpu_per_dma: dmas > 0 ? round(cpu / dmas, 3) : null };
  });
}

/**
 * F&S's analytic model (Rubin et al., SOSP 2024, section 2.2): the line rate, in Gb/s, at which
 * an IOMMU doing `reads` memory reads per 4 KiB page keeps up, 4096 x 8 / (l0 + reads x lm).
 */
export function projectedGbps(reads: number, dmaLatencyNs: number, readLatencyNs: number): number {
  return round((4096 * 8) / (dmaLatencyNs + reads * readLatencyNs), 1);
}

/** IOMMU work per 4 KiB of data moved; null when no data moved. */
function perPage(c: Float64Array, facts: TraceFacts, cpu: number): PerPage | null {
  const pages = c[C.bytesAccessed] / 4096;
  if (pages === 0) return null;
  const per = (x: number) => round(x / pages);
  const reads = c[C.walkRefs] / pages;
  return {
    pages_moved: round(pages, 3),
    iotlb_lookups: per(c[C.iotlbHits] + c[C.iotlbMisses]),
    iotlb_misses: per(c[C.iotlbMisses]),
    walk_misses: { pde: per(c[C.walkCacheMissesPde]), pdpte: per(c[C.walkCacheMissesPdpte]), pml4e: per(c[C.walkCacheMissesPml4e]) },
    walk_hits: { pde: per(c[C.walkCacheHitsPde]), pdpte: per(c[C.walkCacheHitsPdpte]), pml4e: per(c[C.walkCacheHitsPml4e]) },
    iommu_reads: per(c[C.walkRefs]),
    invalidations: per(c[C.iotlbInvalidations]),
    pt_pages_freed: per(c[C.ptTablesFreed]),
    iommu_gbps: projectedGbps(reads, facts.dmaLatencyNs, facts.readLatencyNs),
    cpu_cycles: round(cpu / pages, 3),
    // Pages per second at 100 Gb/s x CPU cycles per page / cycles per second of one core.
    cores_per_100g: round(((100e9 / (4096 * 8)) * (cpu / pages)) / facts.cpuHz, 3),
  };
}
