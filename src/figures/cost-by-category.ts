/**
 * Cost by category: per workload (panels) and strategy (rows), the CPU cycles stacked by what
 * they are spent on, and below them, in a bar of its own, the IOMMU's page-walk time (it delays
 * the DMA but is not CPU time, so it is never stacked onto the CPU bar).
 *
 * Every panel shares one scale: cycles per KiB of buffers mapped. Per DMA, workloads differ by
 * 500x (a 64-byte ACK against a 128 KiB disk read), so one per-DMA scale would flatten most
 * panels; per KiB they differ by less than 10x, and within a workload the bars keep exactly the
 * proportions they have per DMA. Bars too short to read carry their value; a walk bar where the
 * strategy uses no IOMMU says "n/a", apart from a measured 0.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../types/result.js';
import { CATEGORIES } from '../metrics/counters.js';
import { CATEGORY_COLORS, FIGURE_CONFIG, NOT_APPLICABLE, strategyDomain } from './style.js';
import { workloadOf } from './trace-names.js';
import { PANEL_LAYOUT, bottomTitleHeader, panelColumns } from './panels.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const CPU_PART = 'CPU';
export const WALK_PART = 'IOMMU walk';
/** Bars shorter than this share of the longest are labelled with their value. */
const SMALL = 0.12;

export interface CostRow {
  workload: string;
  strategy: string;
  part: string;
  category: string;
  cycles_per_kib: number;
}

export interface CostLabel {
  workload: string;
  strategy: string;
  part: string;
  total: number;
  label: string;
}

/** KiB of buffers mapped by the trace (cycles.per_kib is total cycles over it). */
function kibMapped(r: RunResult): number | null {
  const perKib = r.cycles.per_kib;
  return perKib !== null && perKib > 0 && r.cycles.total > 0 ? r.cycles.total / perKib : null;
}

/** The stacked rows (non-zero categories only) and a label for each short or inapplicable bar. */
export function costByCategoryData(results: readonly RunResult[]): { rows: CostRow[]; labels: CostLabel[] } {
  const rows: CostRow[] = [];
  const totals: Omit<CostLabel, 'label'>[] = [];
  const noIommu = new Set<string>();
  for (const r of results) {
    const kib = kibMapped(r);
    if (kib === null) continue;
    const workload = workloadOf(r.trace);
    // A strategy that never translated through an IOMMU has no walk bar: not a 0.
    if (r.iotlb.miss_rate === null) noIommu.add(`${workload}\u0000${r.strategy}`);
    for (const part of [CPU_PART, WALK_PART]) {
      let total = 0;
      for (const c of CATEGORIES) {
        if ((part === WALK_PART) === c.cpu) continue;
        const v = (r.cycles.by_category[c.name] ?? 0) / kib;
        if (v > 0) rows.push({ workload, strategy: r.strategy, part, category: c.name, cycles_per_kib: v });
        total += v;
      }
      totals.push({ workload, strategy: r.strategy, part, total });
    }
  }
  const longest = Math.max(0, ...totals.map((t) => t.total));
  const labels = totals.flatMap((t) => {
    if (t.part === WALK_PART && noIommu.has(`${t.workload}\u0000${t.strategy}`)) return [{ ...t, label: NOT_APPLICABLE }];
    return t.total < SMALL * longest ? [{ ...t, label: t.total.toLocaleString('en-US', { maximumFractionDigits: t.total < 10 ? 1 : 0 }) }] : [];
  });
  return { rows, labels };
}

export function costByCategorySpec(results: readonly RunResult[]): TopLevelSpec {
  const { rows, labels } = costByCategoryData(results);
  const strategies = strategyDomain(results.map((r) => r.strategy));
  const workloads = [...new Set(results.map((r) => workloadOf(r.trace)))];
  const categories = CATEGORIES.map((c) => c.name);
  // The legend lists the CPU categories, then the walk (drawn apart).
  const used = [...CATEGORIES.filter((c) => c.cpu), ...CATEGORIES.filter((c) => !c.cpu)].map((c) => c.name).filter((c) => rows.some((r) => r.category === c));
  const values = [...rows.map((r) => ({ ...r, kind: 'bar' })), ...labels.map((l) => ({ ...l, kind: 'label' }))];
  const width = 280;
  return {
    $schema: SCHEMA,
    title: {
      text: 'Cost by category',
      subtitle: [
        'Cycles per KiB of buffers mapped, one scale for every workload. Upper bar: CPU cycles by category;',
        'lower bar (dark grey): IOMMU page-walk time, which delays the DMA but is not CPU time. n/a: no IOMMU.',
      ],
    },
    data: { values },
    facet: { field: 'workload', type: 'nominal', title: 'cycles per KiB of buffers mapped', sort: workloads, header: bottomTitleHeader() },
    columns: panelColumns(workloads.length, width, 100),
    spec: {
      width,
      height: strategies.length * 28,
      encoding: {
        y: { field: 'strategy', type: 'nominal', sort: strategies, scale: { domain: strategies, paddingInner: 0.2, paddingOuter: 0.1 }, title: null, axis: { grid: false, labelFontSize: 11 } },
        yOffset: { field: 'part', type: 'nominal', sort: [CPU_PART, WALK_PART], scale: { domain: [CPU_PART, WALK_PART], paddingInner: 0.05 } },
      },
      layer: [
        {
          transform: [{ filter: "datum.kind === 'bar'" }, { calculate: `indexof(${JSON.stringify(categories)}, datum.category)`, as: 'category_order' }],
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'cycles_per_kib', type: 'quantitative', aggregate: 'sum', stack: 'zero', title: null, axis: { format: ',.0f', tickCount: 4 } },
            color: {
              field: 'category',
              type: 'nominal',
              title: null,
              sort: used,
              scale: { domain: used, range: used.map((c) => CATEGORY_COLORS[c]) },
              legend: { orient: 'top', direction: 'horizontal', labelExpr: `datum.value === 'iotlb-walk' ? 'IOMMU walk (not CPU)' : datum.value`, symbolType: 'square', labelLimit: 220 },
            },
            order: { field: 'category_order', type: 'quantitative' },
            tooltip: [{ field: 'strategy' }, { field: 'part' }, { field: 'category' }, { field: 'cycles_per_kib', type: 'quantitative', aggregate: 'sum', format: ',.1f', title: 'cycles per KiB' }],
          },
        },
        {
          transform: [{ filter: "datum.kind === 'label'" }],
          mark: { type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 9, color: '#333' },
          encoding: { x: { field: 'total', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    },
    resolve: { scale: { x: 'shared', y: 'shared' } },
    ...PANEL_LAYOUT,
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}
