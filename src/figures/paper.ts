/**
 * The paper-style figures, one pure function each: results in, Vega-Lite spec out. Strategy
 * order and colours are the same in every figure (style.ts); workloads are panels, named by
 * their trace file.
 */
import type { TopLevelSpec } from 'vega-lite';
import { basename } from 'node:path';
import type { RunResult } from '../types/result.js';
import type { SweepRow } from '../runs/sweep.js';
import { categoryTable, overheadTable } from '../analysis/tables.js';
import { CATEGORIES } from '../metrics/counters.js';
import { STRATEGY_IDS } from '../strategies/index.js';
import { FIGURE_CONFIG, strategyColor } from './style.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Workload panels wrap into rows of this many, so many traces stay readable. */
const PANELS_PER_ROW = 5;

/** The panel name of a trace: its file name without extension. */
export function workloadOf(trace: string): string {
  return basename(trace).replace(/\.csv(\.gz)?$/, '');
}

function strategiesIn(results: readonly { strategy: string }[]): string[] {
  return STRATEGY_IDS.filter((id) => results.some((r) => r.strategy === id));
}

function workloadsIn(results: readonly { trace: string }[]): string[] {
  return [...new Set(results.map((r) => workloadOf(r.trace)))];
}

/** Category colours: cool for the guest/driver side, warm for VMM and IOMMU work. */
const CATEGORY_COLORS = ['#9ecae9', '#e45756', '#f58518', '#eeca3b', '#54a24b', '#b279a2', '#bab0ac', '#72b7b2', '#4c78a8'];

/** Cost per DMA by category (CPU and IOMMU walk time), stacked, per strategy; one panel per workload. */
export function costByCategorySpec(results: readonly RunResult[]): TopLevelSpec {
  const data = (categoryTable(results).objects() as { trace: string; strategy: string; category: string; cycles_per_dma: number | null }[])
    .filter((d) => (d.cycles_per_dma ?? 0) > 0)
    .map((d) => ({ workload: workloadOf(d.trace), strategy: d.strategy, category: d.category, cycles_per_dma: d.cycles_per_dma }));
  const categories = CATEGORIES.map((c) => c.name);
  return {
    $schema: SCHEMA,
    title: { text: 'Cost per DMA by category', subtitle: 'cycles per DMA (each panel has its own scale); iotlb-walk is IOMMU time that delays the DMA, not CPU time' },
    data: { values: data },
    facet: { field: 'workload', type: 'nominal', title: null, sort: workloadsIn(results) },
    columns: PANELS_PER_ROW,
    spec: {
      width: { step: 19 },
      height: 260,
      mark: 'bar',
      encoding: {
        x: { field: 'strategy', type: 'nominal', sort: strategiesIn(results), title: null, axis: { labelAngle: -50 } },
        y: { field: 'cycles_per_dma', type: 'quantitative', aggregate: 'sum', title: 'cycles per DMA' },
        color: { field: 'category', type: 'nominal', title: 'category', sort: categories, scale: { domain: categories, range: CATEGORY_COLORS } },
        order: { field: 'category_order', type: 'quantitative' },
        tooltip: [{ field: 'strategy' }, { field: 'category' }, { field: 'cycles_per_dma', type: 'quantitative', format: ',.0f' }],
      },
    },
    transform: [{ calculate: `indexof(${JSON.stringify(categories)}, datum.category)`, as: 'category_order' }],
    // Workloads differ by orders of magnitude (64 KiB TSO sends, 128 KiB disk reads): own scales.
    resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}

/** CPU overhead over native (%), per strategy; one panel per workload. */
export function overheadSpec(results: readonly RunResult[]): TopLevelSpec {
  const data = (overheadTable(results).objects() as { trace: string; strategy: string; overhead: number | null }[])
    .filter((d) => d.strategy !== 'native' && d.overhead !== null)
    .map((d) => ({ workload: workloadOf(d.trace), strategy: d.strategy, overhead_pct: d.overhead! * 100 }));
  const strategies = strategiesIn(results).filter((s) => s !== 'native');
  // Decades as ticks (a symlog scale's own ticks are linear: 0, 10,000, 20,000, ...).
  const top = Math.max(1, ...data.map((d) => d.overhead_pct));
  const ticks = [0, 1, 10, 100, 1000, 10000, 100000, 1000000].filter((t, k, all) => t <= top || all[k - 1] < top);
  return {
    $schema: SCHEMA,
    title: { text: 'CPU overhead over native', subtitle: 'extra CPU cycles per DMA relative to native, in percent (symmetric log scale; IOMMU walk time is not CPU time)' },
    data: { values: data },
    facet: { field: 'workload', type: 'nominal', title: null, sort: workloadsIn(results) },
    columns: PANELS_PER_ROW,
    spec: {
      width: { step: 19 },
      height: 240,
      mark: 'bar',
      encoding: {
        x: { field: 'strategy', type: 'nominal', sort: strategies, title: null, axis: { labelAngle: -50 } },
        y: { field: 'overhead_pct', type: 'quantitative', title: 'CPU overhead (%)', scale: { type: 'symlog' }, axis: { values: ticks, format: ',.0f', formatType: 'number' } },
        color: { ...strategyColor(strategies), legend: null },
        tooltip: [{ field: 'strategy' }, { field: 'overhead_pct', type: 'quantitative', format: ',.1f' }],
      },
    },
    // Each panel its own x axis: a wrapped facet otherwise draws the last row's axis under an
    // empty cell.
    resolve: { axis: { x: 'independent' } },
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}

/** Mapping reuse rate (%), per strategy that maps; one panel per workload. */
export function reuseSpec(results: readonly RunResult[]): TopLevelSpec {
  const data = results.filter((r) => r.reuse_rate !== null).map((r) => ({ workload: workloadOf(r.trace), strategy: r.strategy, reuse_pct: r.reuse_rate! * 100 }));
  const strategies = strategiesIn(data);
  return {
    $schema: SCHEMA,
    title: { text: 'Mapping reuse', subtitle: 'share of map requests served entirely by existing mappings' },
    data: { values: data },
    facet: { field: 'workload', type: 'nominal', title: null, sort: workloadsIn(results) },
    columns: PANELS_PER_ROW,
    spec: {
      width: { step: 19 },
      height: 200,
      mark: 'bar',
      encoding: {
        x: { field: 'strategy', type: 'nominal', sort: strategies, title: null, axis: { labelAngle: -50 } },
        y: { field: 'reuse_pct', type: 'quantitative', title: 'reuse (%)', scale: { domain: [0, 100] } },
        color: { ...strategyColor(strategies), legend: null },
        tooltip: [{ field: 'strategy' }, { field: 'reuse_pct', type: 'quantitative', format: '.1f' }],
      },
    },
    // Each panel its own x axis: a wrapped facet otherwise draws the last row's axis under an
    // empty cell.
    resolve: { axis: { x: 'independent' } },
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}

/** Hypercalls and IOTLB invalidations per DMA; rows: the two counts, columns: workloads. */
export function hypercallsInvalidationsSpec(results: readonly RunResult[]): TopLevelSpec {
  const data = results.flatMap((r) =>
    r.dmas > 0
      ? [
          { workload: workloadOf(r.trace), strategy: r.strategy, what: 'hypercalls per DMA', value: r.hypercalls / r.dmas },
          { workload: workloadOf(r.trace), strategy: r.strategy, what: 'IOTLB invalidations per DMA', value: r.iotlb.invalidations / r.dmas },
        ]
      : [],
  );
  const strategies = strategiesIn(results);
  return {
    $schema: SCHEMA,
    title: 'Hypercalls and IOTLB invalidations per DMA',
    data: { values: data },
    facet: {
      row: { field: 'what', type: 'nominal', title: null, sort: ['hypercalls per DMA', 'IOTLB invalidations per DMA'] },
      column: { field: 'workload', type: 'nominal', title: null, sort: workloadsIn(results) },
    },
    spec: {
      width: { step: 19 },
      height: 140,
      mark: 'bar',
      encoding: {
        x: { field: 'strategy', type: 'nominal', sort: strategies, title: null, axis: { labelAngle: -50 } },
        y: { field: 'value', type: 'quantitative', title: 'per DMA' },
        color: { ...strategyColor(strategies), legend: null },
        tooltip: [{ field: 'strategy' }, { field: 'what' }, { field: 'value', type: 'quantitative', format: '.3f' }],
      },
    },
    resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}

/** IOTLB miss rate against IOTLB size (a sweep), per strategy; one panel per workload. */
export function iotlbMissVsSizeSpec(rows: readonly SweepRow[]): TopLevelSpec {
  const data = rows.filter((r) => r.iotlb.miss_rate !== null).map((r) => ({ workload: workloadOf(r.trace), strategy: r.strategy, entries: r.grid['iotlb.entries'], miss_pct: r.iotlb.miss_rate! * 100 }));
  const strategies = strategiesIn(data);
  return {
    $schema: SCHEMA,
    title: { text: 'IOTLB miss rate vs IOTLB size', subtitle: 'entries swept at fixed associativity; misses per translation' },
    data: { values: data },
    facet: { field: 'workload', type: 'nominal', title: null, sort: workloadsIn(data.map((d) => ({ trace: d.workload }))) },
    columns: PANELS_PER_ROW,
    spec: {
      width: 200,
      height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'entries', type: 'quantitative', title: 'IOTLB entries', scale: { type: 'log', base: 2 }, axis: { values: [...new Set(data.map((d) => d.entries))] } },
        y: { field: 'miss_pct', type: 'quantitative', title: 'miss rate (%)', scale: { domain: [0, 100] } },
        color: strategyColor(strategies),
        tooltip: [{ field: 'strategy' }, { field: 'entries' }, { field: 'miss_pct', type: 'quantitative', format: '.1f' }],
      },
    },
    // Each panel its own x axis: a wrapped facet otherwise draws the last row's axis under an
    // empty cell.
    resolve: { axis: { x: 'independent' } },
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}

/** Each strategy as a labelled point: cycles per DMA against bytes exposed beyond in-flight buffers. */
export function costVsExposureSpec(results: readonly RunResult[]): TopLevelSpec {
  const data = results.map((r) => ({ workload: workloadOf(r.trace), strategy: r.strategy, cycles_per_dma: r.cycles.per_dma, exposed_kib: r.exposure.avg_bytes / 1024 }));
  const strategies = strategiesIn(results);
  return {
    $schema: SCHEMA,
    title: { text: 'Protection vs cost', subtitle: 'guest memory a device can reach beyond the buffers in flight (time average, symlog) against cycles per DMA' },
    data: { values: data },
    facet: { field: 'workload', type: 'nominal', title: null, sort: workloadsIn(results) },
    columns: PANELS_PER_ROW,
    spec: {
      width: 230,
      height: 230,
      encoding: {
        x: { field: 'cycles_per_dma', type: 'quantitative', title: 'cycles per DMA', scale: { type: 'log' } },
        y: { field: 'exposed_kib', type: 'quantitative', title: 'exposed (KiB)', scale: { type: 'symlog' } },
      },
      layer: [
        { mark: { type: 'point', filled: true, size: 70 }, encoding: { color: strategyColor(strategies), tooltip: [{ field: 'strategy' }, { field: 'cycles_per_dma', format: ',.0f' }, { field: 'exposed_kib', format: ',.1f' }] } },
        { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 9 }, encoding: { text: { field: 'strategy' } } },
      ],
    },
    // Each panel its own x axis: a wrapped facet otherwise draws the last row's axis under an
    // empty cell.
    resolve: { axis: { x: 'independent' } },
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}
