/**
 * Results as arquero tables: the flat per trace x strategy table, the long per-category table,
 * overhead against native, and output in text, CSV, JSON or Markdown. Aggregation is arquero's
 * (groupby, derive, fold, pivot), not hand-written loops.
 */
import * as aq from 'arquero';
import type { RunResult } from '../types/result.js';
import { CATEGORIES } from '../metrics/counters.js';
import { flattenResult } from './results-table.js';
import { textTable } from './text-table.js';

type Table = ReturnType<typeof aq.from>;
const op = aq.op;

export type TableFormat = 'text' | 'csv' | 'json' | 'markdown';
export const TABLE_FORMATS: readonly TableFormat[] = ['text', 'csv', 'json', 'markdown'];

/** One row per trace x strategy, every result field as a column (as `replay -o x.csv`). */
export function resultsTable(results: readonly RunResult[]): Table {
  return aq.from(results.map(flattenResult));
}

/** Long form: trace, strategy, category, cycles, cycles_per_dma (categories in report order). */
export function categoryTable(results: readonly RunResult[]): Table {
  const columns = CATEGORIES.map((c) => `cycles_${c.name}`);
  return resultsTable(results)
    .select('trace', 'strategy', 'dmas', ...columns)
    .fold(columns, { as: ['category', 'cycles'] })
    .derive({
      category: (d: any) => op.replace(d.category, 'cycles_', ''),
      cycles_per_dma: (d: any) => (d.dmas > 0 ? d.cycles / d.dmas : null),
    })
    .select('trace', 'strategy', 'category', 'cycles', 'cycles_per_dma');
}

/**
 * Per trace x strategy: CPU cycles per DMA, native's, and the overhead over it (a ratio: 0.5 =
 * 50% more): `overhead_vs_native`'s definition, worked out from the cycles so that results saved
 * by any version plot the same way. IOMMU walk time is not CPU time and is left out.
 */
export function overheadTable(results: readonly RunResult[]): Table {
  return resultsTable(results)
    .select('trace', 'strategy', 'dmas', 'cycles_cpu')
    .derive({ cpu_per_dma: (d: any) => (d.dmas > 0 ? d.cycles_cpu / d.dmas : null) })
    .groupby('trace')
    .derive({ native_cpu_per_dma: (d: any) => op.max(d.strategy === 'native' ? d.cpu_per_dma : null) })
    .ungroup()
    .derive({ overhead: (d: any) => (d.native_cpu_per_dma > 0 && d.cpu_per_dma !== null ? (d.cpu_per_dma - d.native_cpu_per_dma) / d.native_cpu_per_dma : null) })
    .select('trace', 'strategy', 'cpu_per_dma', 'native_cpu_per_dma', 'overhead');
}

/** Cycles per DMA with one column per trace: strategies down, workloads across. */
export function costPivot(results: readonly RunResult[]): Table {
  return resultsTable(results).select('trace', 'strategy', 'cycles_per_dma').groupby('strategy').pivot('trace', { value: (d: any) => op.max(d.cycles_per_dma) });
}

/** Formats any table: aligned text, CSV, JSON rows, or Markdown. */
export function formatTable(t: Table, format: TableFormat, digits = 3): string {
  if (format === 'csv') return t.toCSV();
  if (format === 'json') return JSON.stringify(t.objects(), null, 2) + '\n';
  if (format === 'markdown') return t.toMarkdown({ format: Object.fromEntries(t.columnNames().map((c) => [c, (v: unknown) => cell(v, digits)])) });
  const names = t.columnNames();
  return textTable(
    t.objects() as Record<string, unknown>[],
    names.map((n) => ({ title: n, value: (r: Record<string, unknown>) => (typeof r[n] === 'number' || typeof r[n] === 'string' ? (r[n] as number | string) : null), digits: names.length && typeof (t.objects()[0] as any)?.[n] === 'number' && !Number.isInteger((t.objects()[0] as any)?.[n]) ? digits : 0 })),
  ) + '\n';
}

function cell(v: unknown, digits: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  return String(v);
}
