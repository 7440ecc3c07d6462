/**
 * The result of replaying one trace through one strategy: the `--json` shape other tools read
 * (issue #3), plus a few fields beyond it (marked). Fractions are 0..1; cycles are totals.
 */
export interface RunResult {
  trace: string;
  strategy: string;
  profile: string;
  /** DMAs replayed: map requests, one per DMA API call (a scatter-gather list is one DMA). */
  dmas: number;
  /** Segments of those DMAs (one per map row: a plain buffer is one segment). */
  segments: number;
  /** 4 KiB pages those segments cover (a page two segments share counts twice). */
  pages: number;
  /** Distinct packets / requests (rows with a unit), 0 when the trace has no units. */
  units: number;
  /** Beyond the shape: trace time from first to last event, ns. */
  duration_ns: number;
  cycles: {
    total: number;
    /** Beyond the shape: the part spent on the CPU (all categories but iotlb-walk). */
    cpu: number;
    per_dma: number | null;
    per_unit: number | null;
    /** Beyond the shape: cycles per KiB of buffers mapped. */
    per_kib: number | null;
    by_category: Record<string, number>;
    /** Beyond the shape: CPU cycles per DMA (without IOMMU walk time; what CPU vs native compares). */
    cpu_per_dma?: number | null;
    /** Beyond the shape: the spread of cycles (all) per DMA over the DMAs unmapped, and of CPU
     * cycles per DMA (metrics/dma-costs.ts); null without such DMAs. */
    per_dma_dist?: CostDist | null;
    cpu_per_dma_dist?: CostDist | null;
  };
  /** (cycles per DMA - native's) / native's, as a fraction; null without DMAs. */
  overhead_vs_native: number | null;
  /** Beyond the shape: CPU cycles / (duration x cpu.hz), the CPU share at the trace's rate. */
  cpu_utilization: number | null;
  hypercalls: number;
  pt_updates: number;
  iotlb: { hits: number; misses: number; miss_rate: number | null; invalidations: number; evictions: number; waits: number };
  /** Share of map requests served by existing mappings; null for strategies without mappings. */
  reuse_rate: number | null;
  mappings: { peak: number; avg: number };
  faults: number;
  exposure: { avg_bytes: number; max_bytes: number };
  /** Beyond the shape: one-time setup (direct-map), not in `cycles`. */
  setup: { cycles: number; pt_updates: number };
  /** Beyond the shape: buffers still mapped at the end of the trace. */
  live_at_end: number;
  /**
   * IOMMU work per 4 KiB of data moved (bytes the device read or wrote in buffers / 4096), as
   * F&S (SOSP 2024) normalise their counters; null when no data moved. Descriptor-ring accesses
   * count as IOMMU work, not as data.
   */
  per_page: PerPage | null;
  /** Beyond the shape: cycles charged to each device's rows, in the order devices first appear
   * in the trace (one entry for a single-device trace). */
  devices?: DeviceCost[];
  /** Beyond the shape: every raw counter by name. */
  counters: Record<string, number>;
}

/** Percentiles of a cost over DMAs (nearest rank; within 0.4% above 256 cycles) and its largest. */
export interface CostDist {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface DeviceCost {
  device: string;
  class: string;
  /** DMAs mapped by the device. */
  dmas: number;
  /** Cycles (all) and CPU cycles charged to its rows. */
  cycles: number;
  cpu_cycles: number;
  per_dma: number | null;
  cpu_per_dma: number | null;
}

export interface PerPage {
  /** 4 KiB pages of data moved (the denominator). */
  pages_moved: number;
  iotlb_lookups: number;
  iotlb_misses: number;
  /** Walk-cache lookups that missed, per cached level (PDE: 2 MiB, PDPTE: 1 GiB, PML4E: 512 GiB). */
  walk_misses: { pde: number; pdpte: number; pml4e: number };
  walk_hits: { pde: number; pdpte: number; pml4e: number };
  /** Page-table memory reads made by walks. */
  iommu_reads: number;
  invalidations: number;
  pt_pages_freed: number;
  /**
   * The line rate the IOMMU sustains at these reads per page, in Gb/s: 4 KiB x 8 /
   * (iommu.dma_latency_ns + iommu_reads x iommu.read_latency_ns), F&S's analytic model.
   */
  iommu_gbps: number;
  /** CPU cycles the strategy spends per 4 KiB page moved (hypercalls, page tables, invalidations, copies...). */
  cpu_cycles: number;
  /** Cores that CPU work keeps busy at 100 Gb/s (cpu_cycles x 100 Gb/s in pages / cpu.hz); linear in the rate. */
  cores_per_100g: number;
}

export interface ReplayReport {
  results: RunResult[];
  warnings: string[];
  /** How the results were made (analysis/provenance.ts); written by the replay command. */
  provenance?: import('../analysis/provenance.js').Provenance;
}
