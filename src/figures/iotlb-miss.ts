/**
 * IOTLB miss rate against IOTLB size (a sweep), a line per strategy, a panel per workload, one
 * 0-100% scale. Lines that coincide are drawn with a marker and a dash pattern of their own and
 * named in the panel's header ("same line: a = b"); the subtitle states the associativity and
 * the cost profile, which decide what a size means.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SweepRow } from '../runs/sweep.js';
import { FIGURE_CONFIG, strategyColor, strategyDash, strategyDomain, strategyShape } from './style.js';
import { workloadOf } from './trace-names.js';
import { HEADER_SEPARATOR, panelHeaders } from './coincide.js';
import { PANEL_LAYOUT, panelColumns } from './panels.js';

export interface SweepSetting {
  /** IOTLB associativity the sweep held fixed. */
  ways?: number;
}

export function iotlbMissVsSizeSpec(rows: readonly SweepRow[], setting: SweepSetting = {}): TopLevelSpec {
  const points = rows.filter((r) => r.iotlb.miss_rate !== null).map((r) => ({ workload: workloadOf(r.trace), strategy: r.strategy, entries: r.grid['iotlb.entries'], miss_pct: r.iotlb.miss_rate! * 100 }));
  const headers = panelHeaders(points.map((p) => ({ panel: p.workload, series: p.strategy, x: p.entries, y: p.miss_pct })));
  const data = points.map((p) => ({ ...p, panel: headers.get(p.workload)! }));
  const strategies = strategyDomain(data.map((d) => d.strategy));
  const panels = [...headers.values()];
  const profiles = [...new Set(rows.map((r) => r.profile))].join(', ');
  const ways = setting.ways ? `${setting.ways}-way set-associative, LRU` : 'set-associative, LRU';
  const width = 280;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'IOTLB miss rate vs IOTLB size', subtitle: [`Misses per translation (%) as the IOTLB grows: ${ways}, profile ${profiles}.`, 'Lines that coincide are named above their panel.'] },
    data: { values: data },
    facet: { field: 'panel', type: 'nominal', title: 'IOTLB entries', sort: panels, header: { titleOrient: 'bottom', labelOrient: 'top', titleFontWeight: 'bold', labelExpr: `split(datum.value, '${HEADER_SEPARATOR}')`, labelFontSize: 11, labelLineHeight: 15 } },
    columns: panelColumns(panels.length, width, 240),
    spec: {
      width,
      height: 220,
      mark: { type: 'line', point: { filled: true, size: 55 }, strokeWidth: 1.8 },
      encoding: {
        x: { field: 'entries', type: 'quantitative', title: null, scale: { type: 'log', base: 2 }, axis: { values: [...new Set(data.map((d) => d.entries))] } },
        y: { field: 'miss_pct', type: 'quantitative', title: 'miss rate (%)', scale: { domain: [0, 100] } },
        // Legend symbols as plain markers: a dashed outline around a small marker only blurs it.
        color: { ...strategyColor(strategies), legend: { symbolStrokeWidth: 0 } },
        shape: strategyShape(strategies),
        strokeDash: strategyDash(strategies),
        tooltip: [{ field: 'strategy' }, { field: 'entries' }, { field: 'miss_pct', type: 'quantitative', format: '.1f' }],
      },
    },
    resolve: { scale: { x: 'shared', y: 'shared' } },
    ...PANEL_LAYOUT,
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}
