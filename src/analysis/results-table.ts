/**
 * The replay's per-trace summary table (one row per strategy), its per-device view, and flat
 * rows for CSV output. Text and Markdown tables show the same columns (text-table.ts).
 */
import type { CostDist, RunResult } from '../types/result.js';
import { CATEGORIES } from '../metrics/counters.js';
import { markdownTable, textTable, type Column } from './text-table.js';

const perDma = (r: RunResult, x: number) => (r.dmas > 0 ? x / r.dmas : null);
const cpuPerDma = (r: RunResult) => r.cycles.cpu_per_dma ?? perDma(r, r.cycles.cpu);

export type TableStyle = 'text' | 'markdown';

/**
 * Whether cycles per unit says something for these results: the trace has units (packets,
 * requests) and they group DMAs. Where every DMA is its own unit the column would repeat
 * cycles/DMA. Decided once per run, so every table of the run has the same columns.
 */
export function unitsMeaningful(results: readonly RunResult[]): boolean {
  return results.some((r) => r.units > 0 && r.units !== r.dmas);
}

/** The columns of the replay table; the per-unit column only when units mean something. */
export function replayColumns(withUnits: boolean): Column<RunResult>[] {
  const cols: Column<RunResult>[] = [
    { title: 'strategy', value: (r) => r.strategy },
    { title: 'DMAs', value: (r) => r.dmas },
    { title: 'cycles/DMA', value: (r) => r.cycles.per_dma },
    { title: 'p50', value: (r) => r.cycles.per_dma_dist?.p50 ?? null },
    { title: 'p90', value: (r) => r.cycles.per_dma_dist?.p90 ?? null },
    { title: 'p99', value: (r) => r.cycles.per_dma_dist?.p99 ?? null },
    { title: 'CPU cyc/DMA', value: (r) => cpuPerDma(r) },
  ];
  if (withUnits) cols.push({ title: 'cycles/unit', value: (r) => r.cycles.per_unit });
  cols.push(
    { title: 'CPU vs native', value: (r) => r.overhead_vs_native, digits: 1, percent: true },
    { title: 'hcalls/DMA', value: (r) => perDma(r, r.hypercalls), digits: 2 },
    { title: 'PTEs/DMA', value: (r) => perDma(r, r.pt_updates), digits: 2 },
    { title: 'invals/DMA', value: (r) => perDma(r, r.iotlb.invalidations), digits: 2 },
    { title: 'IOTLB miss %', value: (r) => r.iotlb.miss_rate, digits: 1, percent: true },
    { title: 'reuse %', value: (r) => r.reuse_rate, digits: 1, percent: true },
    { title: 'peak maps (pages)', value: (r) => r.mappings.peak },
    { title: 'faults (accesses)', value: (r) => r.faults },
  );
  return cols;
}

/** The line under every replay table: what its columns count. */
export const REPLAY_LEGEND =
  'per DMA = per DMA API call; cycles/DMA: all cycles, with IOMMU walk time (p50/p90/p99: over DMAs); CPU cyc/DMA: without walk time, as CPU vs native compares; peak maps: IOMMU leaf entries (pages of direct-map.page_kib for direct-map)';

export const UNIT_LEGEND = 'cycles/unit: all cycles per packet or request (trace unit)';

/** Renders rows in the chosen style. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], style: TableStyle): string {
  return style === 'markdown' ? markdownTable(rows, columns) : textTable(rows, columns);
}

/**
 * One table for the results of one trace, its legend, and a footnote when maps were refused.
 * `withUnits` is the run's (unitsMeaningful over every trace), not this trace's alone.
 */
export function formatTraceTable(results: readonly RunResult[], withUnits = unitsMeaningful(results), style: TableStyle = 'text'): string {
  const lines = [renderTable(results, replayColumns(withUnits), style)];
  const notes = [REPLAY_LEGEND, ...(withUnits ? [UNIT_LEGEND] : [])];
  const refusing = results.filter((r) => (r.counters.maps_rejected ?? 0) > 0);
  if (refusing.length > 0) {
    const counts = refusing.map((r) => `${r.strategy} ${r.counters.maps_rejected.toLocaleString('en-US')}`).join(', ');
    notes.push(`refused maps (counted in faults): ${counts}; see the warning for the first line`);
  }
  // In Markdown the notes are a paragraph of their own after a blank line.
  return style === 'markdown' ? `${lines[0]}\n\n${notes.join('  \n')}\n` : `${lines[0]}\n${notes.join('\n')}\n`;
}

interface DeviceRow {
  strategy: string;
  device: string;
  class: string;
  dmas: number;
  per_dma: number | null;
  cpu_per_dma: number | null;
  share: number | null;
}

/**
 * Per device, per strategy: DMAs, cycles and CPU cycles per DMA, and the device's share of the
 * strategy's cycles (which device pays for protection). Results without a device breakdown
 * (files from older versions) show no rows.
 */
export function formatDeviceTable(results: readonly RunResult[], style: TableStyle = 'text'): string {
  const rows: DeviceRow[] = [];
  for (const r of results) {
    for (const d of r.devices ?? []) {
      rows.push({ strategy: r.strategy, device: d.device, class: d.class, dmas: d.dmas, per_dma: d.per_dma, cpu_per_dma: d.cpu_per_dma, share: r.cycles.total > 0 ? d.cycles / r.cycles.total : null });
    }
  }
  const cols: Column<DeviceRow>[] = [
    { title: 'strategy', value: (r) => r.strategy },
    { title: 'device', value: (r) => r.device },
    { title: 'class', value: (r) => r.class },
    { title: 'DMAs', value: (r) => r.dmas },
    { title: 'cycles/DMA', value: (r) => r.per_dma },
    { title: 'CPU cyc/DMA', value: (r) => r.cpu_per_dma },
    { title: 'share of cycles %', value: (r) => r.share, digits: 1, percent: true },
  ];
  const legend = 'cycles charged to each device\'s rows (its maps, accesses and unmaps); work a row triggers for other DMAs (a batch\'s hypercall, a flush) is charged to that row';
  return style === 'markdown' ? `${markdownTable(rows, cols)}\n\n${legend}\n` : `${textTable(rows, cols)}\n${legend}\n`;
}

/**
 * The IOMMU's work per 4 KiB page of data moved (F&S's measure), one row per strategy; walk-cache
 * levels named as F&S name them (L1 = PML4E cache, L2 = PDPTE, L3 = PDE).
 */
export function formatPerPageTable(results: readonly RunResult[], style: TableStyle = 'text'): string {
  const pp = (r: RunResult) => r.per_page;
  const cols: Column<RunResult>[] = [
    { title: 'strategy', value: (r) => r.strategy },
    { title: 'pages moved', value: (r) => (pp(r) ? Math.round(pp(r)!.pages_moved) : null) },
    { title: 'IOTLB look/pg', value: (r) => pp(r)?.iotlb_lookups ?? null, digits: 3 },
    { title: 'IOTLB miss/pg', value: (r) => pp(r)?.iotlb_misses ?? null, digits: 3 },
    { title: 'L1 miss/pg', value: (r) => pp(r)?.walk_misses.pml4e ?? null, digits: 3 },
    { title: 'L2 miss/pg', value: (r) => pp(r)?.walk_misses.pdpte ?? null, digits: 3 },
    { title: 'L3 miss/pg', value: (r) => pp(r)?.walk_misses.pde ?? null, digits: 3 },
    { title: 'reads/pg', value: (r) => pp(r)?.iommu_reads ?? null, digits: 3 },
    { title: 'inval/pg', value: (r) => pp(r)?.invalidations ?? null, digits: 3 },
    { title: 'PT freed/pg', value: (r) => pp(r)?.pt_pages_freed ?? null, digits: 4 },
    { title: 'IOMMU Gb/s', value: (r) => pp(r)?.iommu_gbps ?? null, digits: 1 },
    { title: 'CPU cyc/pg', value: (r) => (pp(r) ? Math.round(pp(r)!.cpu_cycles) : null) },
    { title: 'cores/100G', value: (r) => pp(r)?.cores_per_100g ?? null, digits: 2 },
  ];
  const legend = 'per 4 KiB of data moved; L1/L2/L3: PML4E/PDPTE/PDE walk-cache misses; reads: IOMMU page-table memory reads; IOMMU Gb/s: the line rate those reads allow (F&S\'s model); cores/100G: cores the CPU cycles per page keep busy at 100 Gb/s (x2 at 200, x4 at 400)';
  return style === 'markdown' ? `${markdownTable(results, cols)}\n\n${legend}\n` : `${textTable(results, cols)}\n${legend}\n`;
}

/** Flattens a result for CSV: nested fields joined with '_', categories as cycles_<name>. */
export function flattenResult(r: RunResult): Record<string, string | number | null> {
  const row: Record<string, string | number | null> = {
    trace: r.trace,
    strategy: r.strategy,
    profile: r.profile,
    dmas: r.dmas,
    segments: r.segments,
    pages: r.pages,
    units: r.units,
    duration_ns: r.duration_ns,
    cycles_total: r.cycles.total,
    cycles_cpu: r.cycles.cpu,
    cycles_per_dma: r.cycles.per_dma,
    cycles_per_unit: r.cycles.per_unit,
    cycles_per_kib: r.cycles.per_kib,
    cpu_cycles_per_dma: r.cycles.cpu_per_dma ?? (r.dmas > 0 ? Math.round((r.cycles.cpu / r.dmas) * 1000) / 1000 : null),
    cycles_per_dma_p50: r.cycles.per_dma_dist?.p50 ?? null,
    cycles_per_dma_p90: r.cycles.per_dma_dist?.p90 ?? null,
    cycles_per_dma_p99: r.cycles.per_dma_dist?.p99 ?? null,
    cycles_per_dma_max: r.cycles.per_dma_dist?.max ?? null,
    cpu_cycles_per_dma_p50: r.cycles.cpu_per_dma_dist?.p50 ?? null,
    cpu_cycles_per_dma_p90: r.cycles.cpu_per_dma_dist?.p90 ?? null,
    cpu_cycles_per_dma_p99: r.cycles.cpu_per_dma_dist?.p99 ?? null,
    cpu_cycles_per_dma_max: r.cycles.cpu_per_dma_dist?.max ?? null,
  };
  for (const cat of CATEGORIES) row[`cycles_${cat.name}`] = r.cycles.by_category[cat.name] ?? 0;
  Object.assign(row, {
    overhead_vs_native: r.overhead_vs_native,
    cpu_utilization: r.cpu_utilization,
    hypercalls: r.hypercalls,
    pt_updates: r.pt_updates,
    iotlb_hits: r.iotlb.hits,
    iotlb_misses: r.iotlb.misses,
    iotlb_miss_rate: r.iotlb.miss_rate,
    iotlb_invalidations: r.iotlb.invalidations,
    iotlb_evictions: r.iotlb.evictions,
    iotlb_waits: r.iotlb.waits,
    iotlb_stale_hits: r.counters.iotlb_stale_hits ?? 0,
    stale_window_ns: r.counters.stale_window_ns ?? 0,
    reuse_rate: r.reuse_rate,
    mappings_peak: r.mappings.peak,
    mappings_avg: r.mappings.avg,
    faults: r.faults,
    exposure_avg_bytes: r.exposure.avg_bytes,
    exposure_max_bytes: r.exposure.max_bytes,
    setup_cycles: r.setup.cycles,
    setup_pt_updates: r.setup.pt_updates,
    live_at_end: r.live_at_end,
    per_page_pages_moved: r.per_page?.pages_moved ?? null,
    per_page_iotlb_lookups: r.per_page?.iotlb_lookups ?? null,
    per_page_iotlb_misses: r.per_page?.iotlb_misses ?? null,
    per_page_walk_misses_pml4e: r.per_page?.walk_misses.pml4e ?? null,
    per_page_walk_misses_pdpte: r.per_page?.walk_misses.pdpte ?? null,
    per_page_walk_misses_pde: r.per_page?.walk_misses.pde ?? null,
    per_page_walk_hits_pml4e: r.per_page?.walk_hits.pml4e ?? null,
    per_page_walk_hits_pdpte: r.per_page?.walk_hits.pdpte ?? null,
    per_page_walk_hits_pde: r.per_page?.walk_hits.pde ?? null,
    per_page_iommu_reads: r.per_page?.iommu_reads ?? null,
    per_page_invalidations: r.per_page?.invalidations ?? null,
    per_page_pt_pages_freed: r.per_page?.pt_pages_freed ?? null,
    iommu_gbps: r.per_page?.iommu_gbps ?? null,
    per_page_cpu_cycles: r.per_page?.cpu_cycles ?? null,
    cores_per_100g: r.per_page?.cores_per_100g ?? null,
  });
  return row;
}

/**
 * A flat row (a `.csv` or `.arrow` results row, as flattenResult wrote it) back into a result.
 * Flat rows carry no raw counters: `counters` holds the few that tables and diff read, worked
 * out from the flat fields (map_reuses from reuse_rate x DMAs).
 * @throws Error naming the first missing or non-numeric field.
 */
export function unflattenResult(row: Record<string, unknown>): RunResult {
  const num = (k: string): number => {
    const v = row[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    throw new Error(`${k} is ${v === undefined ? 'missing' : JSON.stringify(v)}, not a number`);
  };
  const opt = (k: string): number | null => (row[k] === null || row[k] === undefined || row[k] === '' ? null : num(k));
  const str = (k: string): string => {
    const v = row[k];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    throw new Error(`${k} is ${v === undefined ? 'missing' : JSON.stringify(v)}, not a string`);
  };
  const byCategory: Record<string, number> = {};
  for (const cat of CATEGORIES) byCategory[cat.name] = num(`cycles_${cat.name}`);
  const dmas = num('dmas');
  const reuse = opt('reuse_rate');
  const gbps = opt('iommu_gbps');
  const zero = (k: string) => opt(k) ?? 0;
  return {
    trace: str('trace'),
    strategy: str('strategy'),
    profile: str('profile'),
    dmas,
    segments: opt('segments') ?? dmas,
    pages: opt('pages') ?? 0,
    units: num('units'),
    duration_ns: num('duration_ns'),
    cycles: {
      total: num('cycles_total'),
      cpu: num('cycles_cpu'),
      per_dma: opt('cycles_per_dma'),
      per_unit: opt('cycles_per_unit'),
      per_kib: opt('cycles_per_kib'),
      by_category: byCategory,
      cpu_per_dma: opt('cpu_cycles_per_dma'),
      per_dma_dist: distOf(row, 'cycles_per_dma'),
      cpu_per_dma_dist: distOf(row, 'cpu_cycles_per_dma'),
    },
    overhead_vs_native: opt('overhead_vs_native'),
    cpu_utilization: opt('cpu_utilization'),
    hypercalls: num('hypercalls'),
    pt_updates: num('pt_updates'),
    iotlb: { hits: num('iotlb_hits'), misses: num('iotlb_misses'), miss_rate: opt('iotlb_miss_rate'), invalidations: num('iotlb_invalidations'), evictions: num('iotlb_evictions'), waits: num('iotlb_waits') },
    reuse_rate: reuse,
    mappings: { peak: num('mappings_peak'), avg: num('mappings_avg') },
    faults: num('faults'),
    exposure: { avg_bytes: num('exposure_avg_bytes'), max_bytes: num('exposure_max_bytes') },
    setup: { cycles: num('setup_cycles'), pt_updates: num('setup_pt_updates') },
    live_at_end: num('live_at_end'),
    per_page:
      gbps === null
        ? null
        : {
            pages_moved: zero('per_page_pages_moved'),
            iotlb_lookups: zero('per_page_iotlb_lookups'),
            iotlb_misses: zero('per_page_iotlb_misses'),
            walk_misses: { pde: zero('per_page_walk_misses_pde'), pdpte: zero('per_page_walk_misses_pdpte'), pml4e: zero('per_page_walk_misses_pml4e') },
            walk_hits: { pde: zero('per_page_walk_hits_pde'), pdpte: zero('per_page_walk_hits_pdpte'), pml4e: zero('per_page_walk_hits_pml4e') },
            iommu_reads: zero('per_page_iommu_reads'),
            invalidations: zero('per_page_invalidations'),
            pt_pages_freed: zero('per_page_pt_pages_freed'),
            iommu_gbps: gbps,
            cpu_cycles: zero('per_page_cpu_cycles'),
            cores_per_100g: zero('cores_per_100g'),
          },
    counters: { map_reuses: reuse === null ? 0 : Math.round(reuse * dmas), iotlb_stale_hits: zero('iotlb_stale_hits'), stale_window_ns: zero('stale_window_ns') },
  };
}

/** A cost distribution from flat columns `<prefix>_p50` ... `_max`; null when they are empty or absent. */
function distOf(row: Record<string, unknown>, prefix: string): CostDist | null {
  const v = ['p50', 'p90', 'p99', 'max'].map((q) => row[`${prefix}_${q}`]);
  if (!v.every((x) => typeof x === 'number' && Number.isFinite(x))) return null;
  const [p50, p90, p99, max] = v as number[];
  return { p50, p90, p99, max };
}
