/**
 * The F&S-style figure (Rubin et al., SOSP 2024, Fig. 2 and 7): the IOMMU's work per 4 KiB page
 * received at 100 Gb/s against the number of flows, for each strategy: IOTLB misses, walk-cache
 * misses per level (F&S's L1 = PML4E, L2 = PDPTE, L3 = PDE caches) and page-table memory reads,
 * with the line rate those reads allow (F&S's model). The data come from the rx-100g workload,
 * synthesized in memory for each flow count and replayed with the modern-vtd profile.
 */
import type { TopLevelSpec } from 'vega-lite';
import { replaySynth } from '../replay/synth-replay.js';
import { FIGURE_CONFIG, STRATEGY_COLORS, STRATEGY_DASHES, STRATEGY_SHAPES } from './style.js';
import { HEADER_SEPARATOR, panelHeaders } from './coincide.js';

/** One strategy at one flow count. */
export interface PerPageRow {
  flows: number;
  /** The strategy, or a variant of it ("direct-map (2 MiB)"). */
  series: string;
  iotlb_misses: number;
  l1: number;
  l2: number;
  l3: number;
  reads: number;
  gbps: number;
}

export const PER_PAGE_FLOWS = [5, 10, 20, 40];
const STRATEGIES = 'linux-strict,linux-lazy,fands,shadow,persistent';

/** The synthetic trace holds 5 queues' rings at once: the buffer tracker's ring is that size. */
export const RX100G_SET = ['nic.rx_ring=4096'];

/** Replays rx-100g at each flow count (direct-map with 4 KiB and with 2 MiB IOMMU pages). */
export async function perPageRows(flowCounts = PER_PAGE_FLOWS, dmas = 20_000, set: readonly string[] = []): Promise<PerPageRow[]> {
  const rows: PerPageRow[] = [];
  for (const flows of flowCounts) {
    const base = [...RX100G_SET, ...set];
    const runs = [
      { strategies: STRATEGIES, set: base, suffix: '' },
      { strategies: 'direct-map', set: [...base, 'direct-map.page_kib=4'], suffix: ' (4 KiB)' },
      { strategies: 'direct-map', set: [...base, 'direct-map.page_kib=2048'], suffix: ' (2 MiB)' },
    ];
    for (const r of runs) {
      const by = await replaySynth({ workload: 'rx-100g', options: { dmas, seed: 1, knobs: { flows } }, strategies: r.strategies, profile: 'modern-vtd', set: r.set });
      for (const res of Object.values(by)) {
        const p = res.per_page;
        if (!p) continue;
        rows.push({ flows, series: res.strategy + r.suffix, iotlb_misses: p.iotlb_misses, l1: p.walk_misses.pml4e, l2: p.walk_misses.pdpte, l3: p.walk_misses.pde, reads: p.iommu_reads, gbps: p.iommu_gbps });
      }
    }
  }
  return rows;
}

/** Line rates above this are drawn at it, so that the rates near 100 Gb/s stay readable. */
const GBPS_SHOWN = 250;

const METRICS: [keyof PerPageRow, string][] = [
  ['iotlb_misses', 'IOTLB misses / page'],
  ['l1', 'L1 (PML4E) walk-cache misses / page'],
  ['l2', 'L2 (PDPTE) walk-cache misses / page'],
  ['l3', 'L3 (PDE) walk-cache misses / page'],
  ['reads', 'IOMMU memory reads / page'],
  ['gbps', `line rate the IOMMU allows (Gb/s, shown up to ${GBPS_SHOWN})`],
];

/** direct-map with 2 MiB IOMMU pages: a lighter shade of direct-map's colour, dotted. */
const TWO_MIB_COLOR = '#8877cc';
const TWO_MIB_DASH = [1, 2];

/**
 * The figure: a panel per metric (each its own y scale: they are different quantities), flows
 * across, a line per strategy with its colour, marker and dash; lines that coincide are named
 * under the panel's title.
 */
export function perPageSpec(rows: readonly PerPageRow[]): TopLevelSpec {
  const long = rows.flatMap((r) => METRICS.map(([k, title]) => ({ flows: r.flows, series: r.series, metric: title, value: k === 'gbps' ? Math.min(r.gbps, GBPS_SHOWN) : (r[k] as number) })));
  const headers = panelHeaders(long.map((d) => ({ panel: d.metric, series: d.series, x: d.flows, y: d.value })));
  const data = long.map((d) => ({ ...d, panel: headers.get(d.metric)! }));
  const series = [...new Set(rows.map((r) => r.series))];
  const base = (s: string) => s.replace(/ \(.*\)$/, '');
  const twoMib = (s: string) => s.includes('2 MiB');
  const legend = { field: 'series', type: 'nominal', title: 'strategy', sort: series, legend: { orient: 'bottom', direction: 'horizontal', columns: 4, labelLimit: 200 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'IOMMU work per 4 KiB page at 100 Gb/s (rx-100g, modern-vtd)', subtitle: ["F&S-style: strict mode's invalidations empty the walk caches; fands keeps them and batches", "a descriptor's unmaps. Lines that coincide are named under each panel's title."] },
    data: { values: data },
    facet: { field: 'panel', type: 'nominal', title: 'flows', sort: METRICS.map(([, t]) => headers.get(t)).filter((h): h is string => h !== undefined), header: { titleOrient: 'bottom', labelOrient: 'top', titleFontWeight: 'bold', labelExpr: `split(datum.value, '${HEADER_SEPARATOR}')`, labelFontSize: 11, labelLineHeight: 14 } },
    columns: 3,
    spec: {
      width: 280,
      height: 170,
      mark: { type: 'line', point: { filled: true, size: 45 }, strokeWidth: 1.8 },
      encoding: {
        x: { field: 'flows', type: 'quantitative', title: null, scale: { type: 'log', base: 2 }, axis: { values: PER_PAGE_FLOWS } },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { ...legend, scale: { domain: series, range: series.map((s) => (twoMib(s) ? TWO_MIB_COLOR : (STRATEGY_COLORS[base(s)] ?? '#888'))) } },
        shape: { ...legend, scale: { domain: series, range: series.map((s) => STRATEGY_SHAPES[base(s)] ?? 'circle') } },
        strokeDash: { ...legend, scale: { domain: series, range: series.map((s) => (twoMib(s) ? TWO_MIB_DASH : (STRATEGY_DASHES[base(s)] ?? [1, 0]))) } },
      },
    },
    resolve: { scale: { y: 'independent' } },
    // Cells laid out by their plot areas, each with room for its own y axis on the left (Vega's
    // estimate of the headers' text width would otherwise spread the columns apart).
    bounds: 'flush',
    spacing: { column: 62, row: 84 },
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}
