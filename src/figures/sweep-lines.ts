/**
 * The sweep figure: for one swept key, each metric against the key's values, a line per
 * strategy (colours as in every figure), one column per trace, one row per metric with its own
 * y scale. Other swept keys, if any, become separate lines of the same colour (dashed).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SweepRow } from '../runs/sweep.js';
import { FIGURE_CONFIG, strategyColor, strategyShape } from './style.js';
import { shortTraceNames } from './trace-names.js';

export interface SweepMetric {
  name: string;
  title: string;
  value: (r: SweepRow) => number | null;
}

export const SWEEP_METRICS: readonly SweepMetric[] = [
  { name: 'cycles_per_dma', title: 'cycles per DMA', value: (r) => r.cycles.per_dma },
  { name: 'iotlb_miss_rate', title: 'IOTLB miss rate (%)', value: (r) => (r.iotlb.miss_rate === null ? null : r.iotlb.miss_rate * 100) },
  { name: 'reuse_rate', title: 'mapping reuse (%)', value: (r) => (r.reuse_rate === null ? null : r.reuse_rate * 100) },
  { name: 'exposure_avg_kib', title: 'exposed, avg (KiB)', value: (r) => r.exposure.avg_bytes / 1024 },
  // Per deferred unmap: how long its range stayed reachable through a stale IOTLB entry. The
  // time with *any* range stale (stale_window_ns) is near the whole trace whenever unmaps are
  // deferred at all, so it cannot show what a queue size or timeout changes.
  { name: 'stale_per_unmap_us', title: 'stale per unmap (µs)', value: staleTimePerUnmapUs },
];

/** Mean time (µs) an unmapped range stayed stale, over the unmaps whose invalidation was deferred; null if none was. */
export function staleTimePerUnmapUs(r: Pick<SweepRow, 'counters'>): number | null {
  const deferred = r.counters.deferred_unmaps ?? 0;
  return deferred > 0 ? (r.counters.stale_range_ns ?? 0) / deferred / 1e3 : null;
}

/** The IOMMU's work per 4 KiB page moved (F&S's measure), for `sweep --per-page`. */
export const PER_PAGE_SWEEP_METRICS: readonly SweepMetric[] = [
  { name: 'iotlb_misses', title: 'IOTLB misses / page', value: (r) => r.per_page?.iotlb_misses ?? null },
  { name: 'l1', title: 'L1 (PML4E) misses / page', value: (r) => r.per_page?.walk_misses.pml4e ?? null },
  { name: 'l2', title: 'L2 (PDPTE) misses / page', value: (r) => r.per_page?.walk_misses.pdpte ?? null },
  { name: 'l3', title: 'L3 (PDE) misses / page', value: (r) => r.per_page?.walk_misses.pde ?? null },
  { name: 'iommu_reads', title: 'IOMMU reads / page', value: (r) => r.per_page?.iommu_reads ?? null },
  { name: 'iommu_gbps', title: 'IOMMU line rate (Gb/s)', value: (r) => r.per_page?.iommu_gbps ?? null },
  { name: 'cores_per_100g', title: 'CPU cores at 100 Gb/s', value: (r) => r.per_page?.cores_per_100g ?? null },
];

/** Long-form data for the figure of `key`: one row per (trace, strategy, point, metric). */
export function sweepFigureData(rows: readonly SweepRow[], key: string, metrics = SWEEP_METRICS) {
  // Metrics that are null or zero everywhere say nothing: leave them out.
  const shown = metrics.filter((m) => rows.some((r) => (m.value(r) ?? 0) !== 0));
  // Other swept keys that take more than one value split the lines; constant ones do not.
  const varying = new Set(Object.keys(rows[0]?.grid ?? {}).filter((k) => k !== key && new Set(rows.map((r) => r.grid[k])).size > 1));
  // Column headers name traces by file, never by a machine's absolute path.
  const names = shortTraceNames(rows.map((r) => r.trace));
  const data: Record<string, string | number>[] = [];
  for (const r of rows) {
    const others = Object.entries(r.grid)
      .filter(([k]) => varying.has(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    for (const m of shown) {
      const v = m.value(r);
      if (v === null) continue;
      data.push({ trace: names.get(r.trace)!, strategy: r.strategy, x: r.grid[key], others, metric: m.title, value: v });
    }
  }
  return { data, metrics: shown };
}

/** The Vega-Lite spec of the figure for swept key `key`. */
export function sweepFigureSpec(rows: readonly SweepRow[], key: string, metrics = SWEEP_METRICS): TopLevelSpec {
  const { data, metrics: shown } = sweepFigureData(rows, key, metrics);
  const strategies = [...new Set(rows.map((r) => r.strategy))];
  const values = [...new Set(rows.map((r) => r.grid[key]))].sort((a, b) => a - b);
  const log = values.length > 2 && values[0] > 0 && values[values.length - 1] / values[0] >= 16;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: shown.some((m) => m.name === 'stale_per_unmap_us') ? { text: `Sweep of ${key}`, subtitle: 'stale per unmap: mean time from a deferred unmap to its IOTLB flush' } : `Sweep of ${key}`,
    data: { values: data },
    facet: {
      row: { field: 'metric', type: 'nominal', title: null, sort: shown.map((m) => m.title) },
      column: { field: 'trace', type: 'nominal', title: null },
    },
    spec: {
      width: 260,
      height: 150,
      mark: { type: 'line', point: { filled: true, size: 45 } },
      encoding: {
        // Ticks at the swept values: a log axis's own ticks skip some and add others.
        x: { field: 'x', type: 'quantitative', title: key, scale: log ? { type: 'log', base: 2 } : { zero: false }, axis: { values, format: ',', labelOverlap: 'greedy', labelFlush: true } },
        y: { field: 'value', type: 'quantitative', title: null },
        color: strategyColor(strategies),
        // A marker per strategy: where two lines coincide (direct-map and persistent often do),
        // both markers still show. (Dash patterns tell other swept keys apart here.)
        shape: strategyShape(strategies),
        strokeDash: { field: 'others', type: 'nominal', title: 'other keys', legend: values.length > 0 && data.some((d) => d.others !== '') ? {} : null },
        detail: { field: 'others', type: 'nominal' },
        tooltip: [
          { field: 'strategy', type: 'nominal' },
          { field: 'x', type: 'quantitative', title: key },
          { field: 'value', type: 'quantitative', format: ',.3~f' },
          { field: 'others', type: 'nominal' },
        ],
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}
