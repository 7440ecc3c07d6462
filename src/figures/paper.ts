/**
 * The paper-style figures, one pure function each: results in, Vega-Lite spec out. Strategy
 * order, colours and markers are the same in every figure (style.ts); workloads are panels,
 * named by their trace file, and every panel of a figure shares one scale, so panels compare at
 * a glance. Strategies are rows (their names once per row of panels, never rotated); a value
 * that does not exist for a strategy says "n/a", apart from a measured 0.
 *
 * This module also gathers the figures kept in files of their own, as the library's
 * `figureSpecs`.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../types/result.js';
import { overheadTable } from '../analysis/tables.js';
import { FIGURE_CONFIG, NOT_APPLICABLE, PAIR_COLORS, strategyColor, strategyDomain, strategyShape } from './style.js';
import { workloadOf } from './trace-names.js';
import { PANEL_LAYOUT, bottomTitleHeader, panelColumns } from './panels.js';

export { workloadOf } from './trace-names.js';
export { costByCategorySpec } from './cost-by-category.js';
export { costVsExposureSpec } from './cost-vs-exposure.js';
export { iotlbMissVsSizeSpec } from './iotlb-miss.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Width of one panel's plot area, and what the strategy names beside the first column take. */
const PANEL_WIDTH = 200;
const NAMES_WIDTH = 90;
/** Height of one strategy's row. */
const ROW = 17;
/** Height of a row that holds two measures. */
const PAIR_ROW = 26;
/** Bars shorter than this share of the axis carry their value. */
const SMALL = 0.12;

function workloadsIn(results: readonly { trace: string }[]): string[] {
  return [...new Set(results.map((r) => workloadOf(r.trace)))];
}

/** A wrapped facet of one panel per workload, strategies down, one shared x scale. */
function strategyPanels(xTitle: string, workloads: string[], strategies: string[], layer: unknown[], extra: Record<string, unknown> = {}) {
  return {
    facet: { field: 'workload', type: 'nominal', title: xTitle, sort: workloads, header: bottomTitleHeader() },
    columns: panelColumns(workloads.length, PANEL_WIDTH, NAMES_WIDTH),
    spec: {
      width: PANEL_WIDTH,
      height: strategies.length * ROW,
      encoding: { y: { field: 'strategy', type: 'nominal', sort: strategies, scale: { domain: strategies }, title: null, axis: { grid: true, gridColor: '#f3f3f3' } } },
      layer,
      ...extra,
    },
    resolve: { scale: { x: 'shared', y: 'shared' } },
    ...PANEL_LAYOUT,
  };
}

/** Decades from 0 up to the first at or above `top` (a symlog axis's own ticks are linear). */
function decades(top: number, from = 1): number[] {
  const ticks = [0];
  for (let t = from; ; t *= 10) {
    ticks.push(t);
    if (t >= top) return ticks;
  }
}

/**
 * CPU overhead over native (%), per strategy, as dots on a symmetric log scale shared by every
 * panel (bars would mislead on a log scale: their length means nothing). 0% is labelled.
 */
export function overheadSpec(results: readonly RunResult[]): TopLevelSpec {
  const data = (overheadTable(results).objects() as { trace: string; strategy: string; overhead: number | null }[])
    .filter((d) => d.strategy !== 'native' && d.overhead !== null)
    .map((d) => ({ workload: workloadOf(d.trace), strategy: d.strategy, overhead_pct: d.overhead! * 100, label: Math.abs(d.overhead!) < 0.005 ? '0%' : '' }));
  const strategies = strategyDomain(data.map((d) => d.strategy));
  const ticks = decades(Math.max(1, ...data.map((d) => d.overhead_pct)));
  return {
    $schema: SCHEMA,
    title: { text: 'CPU overhead over native', subtitle: ['Extra CPU cycles per DMA relative to native, in percent (symmetric log scale, one for every workload).', 'IOMMU walk time is not CPU time and is left out.'] },
    data: { values: data },
    ...strategyPanels('CPU overhead over native (%)', workloadsIn(results), strategies, [
      {
        mark: { type: 'point', filled: true, size: 60, opacity: 1 },
        encoding: {
          x: { field: 'overhead_pct', type: 'quantitative', title: null, scale: { type: 'symlog', domain: [0, ticks[ticks.length - 1]], nice: false }, axis: { values: ticks, labelOverlap: false, labelExpr: "datum.value >= 1000 ? format(datum.value / 1000, ',') + 'k' : format(datum.value, ',')" } },
          color: { ...strategyColor(strategies), legend: null },
          shape: { ...strategyShape(strategies), legend: null },
          tooltip: [{ field: 'strategy' }, { field: 'overhead_pct', type: 'quantitative', format: ',.1f', title: 'overhead (%)' }],
        },
      },
      { mark: { type: 'text', align: 'left', baseline: 'middle', dx: 7, fontSize: 9, color: '#333' }, encoding: { x: { field: 'overhead_pct', type: 'quantitative' }, text: { field: 'label' } } },
    ]),
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}

/** Mapping reuse rate (%), per strategy: n/a for strategies that keep no mappings. */
export function reuseSpec(results: readonly RunResult[]): TopLevelSpec {
  const data = results.map((r) => {
    const pct = r.reuse_rate === null ? null : r.reuse_rate * 100;
    const label = pct === null ? NOT_APPLICABLE : pct < SMALL * 100 ? `${pct.toLocaleString('en-US', { maximumFractionDigits: pct > 0 && pct < 1 ? 1 : 0 })}%` : '';
    return { workload: workloadOf(r.trace), strategy: r.strategy, reuse_pct: pct ?? 0, label };
  });
  const strategies = strategyDomain(data.map((d) => d.strategy));
  return {
    $schema: SCHEMA,
    title: { text: 'Mapping reuse', subtitle: ['Share of map requests served entirely by existing mappings (%), one scale for every workload.', 'n/a: the strategy keeps no mappings.'] },
    data: { values: data },
    ...strategyPanels('map requests served by existing mappings (%)', workloadsIn(results), strategies, [
      {
        mark: { type: 'bar', height: { band: 0.7 } },
        encoding: {
          x: { field: 'reuse_pct', type: 'quantitative', title: null, scale: { domain: [0, 100] }, axis: { values: [0, 25, 50, 75, 100] } },
          color: { ...strategyColor(strategies), legend: null },
          tooltip: [{ field: 'strategy' }, { field: 'reuse_pct', type: 'quantitative', format: '.1f', title: 'reuse (%)' }],
        },
      },
      { mark: { type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 9, color: '#333' }, encoding: { x: { field: 'reuse_pct', type: 'quantitative' }, text: { field: 'label' } } },
    ]),
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}

export const HYPERCALLS = 'hypercalls';
export const INVALIDATIONS = 'IOTLB invalidations';

/**
 * Hypercalls and IOTLB invalidations per DMA: both counts in every panel, on one symmetric log
 * scale shared by every workload (they span 0.004 to 33 per DMA). Hypercalls are n/a for native
 * (no hypervisor), invalidations for strategies that use no IOMMU.
 */
export function hypercallsInvalidationsSpec(results: readonly RunResult[]): TopLevelSpec {
  const data = results.flatMap((r) => {
    if (r.dmas === 0) return [];
    const w = workloadOf(r.trace);
    const hc = r.strategy === 'native' ? null : r.hypercalls / r.dmas;
    const inv = r.iotlb.miss_rate === null ? null : r.iotlb.invalidations / r.dmas;
    return [
      { workload: w, strategy: r.strategy, what: HYPERCALLS, value: hc ?? 0, na: hc === null ? NOT_APPLICABLE : '' },
      { workload: w, strategy: r.strategy, what: INVALIDATIONS, value: inv ?? 0, na: inv === null ? NOT_APPLICABLE : '' },
    ];
  });
  const strategies = strategyDomain(data.map((d) => d.strategy));
  const ticks = decades(Math.max(1, ...data.map((d) => d.value)), 0.01);
  const what = { field: 'what', type: 'nominal', sort: [HYPERCALLS, INVALIDATIONS], scale: { domain: [HYPERCALLS, INVALIDATIONS] } };
  return {
    $schema: SCHEMA,
    title: { text: 'Hypercalls and IOTLB invalidations per DMA', subtitle: ['Both counts per DMA, on one symmetric log scale for every workload.', 'n/a: no hypervisor (native), or no IOMMU to invalidate (native, software).'] },
    data: { values: data },
    ...strategyPanels(
      'per DMA',
      workloadsIn(results),
      strategies,
      [
        {
          transform: [{ filter: "datum.na === ''" }],
          mark: { type: 'point', filled: true, size: 45, opacity: 1 },
          encoding: {
            x: { field: 'value', type: 'quantitative', title: null, scale: { type: 'symlog', constant: 0.01, domain: [0, ticks[ticks.length - 1]], nice: false }, axis: { values: ticks.filter((t) => t !== 0.01), labelExpr: "format(datum.value, '~g')" } },
            color: { ...what, title: null, scale: { ...what.scale, range: PAIR_COLORS }, legend: { orient: 'top', direction: 'horizontal', labelLimit: 200 } },
            shape: { ...what, title: null, scale: { ...what.scale, range: ['circle', 'diamond'] } },
            tooltip: [{ field: 'strategy' }, { field: 'what' }, { field: 'value', type: 'quantitative', format: '.3f', title: 'per DMA' }],
          },
        },
        {
          transform: [{ filter: "datum.na !== ''" }],
          mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 9 },
          encoding: { x: { field: 'value', type: 'quantitative' }, text: { field: 'na' }, color: { ...what, legend: null, scale: { ...what.scale, range: PAIR_COLORS } } },
        },
      ],
      // Two measures per row: a taller row, so that two n/a labels one above the other do not touch.
      { height: strategies.length * PAIR_ROW, encoding: { y: { field: 'strategy', type: 'nominal', sort: strategies, scale: { domain: strategies }, title: null, axis: { grid: true, gridColor: '#f3f3f3' } }, yOffset: { ...what, scale: { ...what.scale, paddingOuter: 0.3 } } } },
    ),
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}
