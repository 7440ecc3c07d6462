/**
 * Differences between two runs: two strategies on the same traces, or two saved result files
 * (rows matched by trace + strategy + profile). Per metric and trace: A, B, B-A and B/A, and an
 * overall row per metric aggregated from the totals (sum of numerators over sum of
 * denominators, not a mean of ratios). Built with arquero: fold to long form, group, rollup,
 * pivot the two sides.
 */
import * as aq from 'arquero';
import type { RunResult } from '../types/result.js';

const op = aq.op;

export interface DiffMetric {
  name: string;
  doc: string;
  /** Numerator and denominator totals of one result, so overall values aggregate exactly. */
  parts: (r: RunResult) => [number, number];
  /** Whether a larger value is worse (cost) or better (reuse). */
  higherIsWorse: boolean;
}

export const DIFF_METRICS: readonly DiffMetric[] = [
  { name: 'cycles_per_dma', doc: 'cycles per DMA (all categories)', parts: (r) => [r.cycles.total, r.dmas], higherIsWorse: true },
  { name: 'cpu_cycles_per_dma', doc: 'CPU cycles per DMA (without IOMMU walk time)', parts: (r) => [r.cycles.cpu, r.dmas], higherIsWorse: true },
  { name: 'hypercalls_per_dma', doc: 'hypercalls per DMA', parts: (r) => [r.hypercalls, r.dmas], higherIsWorse: true },
  { name: 'pt_updates_per_dma', doc: 'page-table entry writes per DMA', parts: (r) => [r.pt_updates, r.dmas], higherIsWorse: true },
  { name: 'invalidations_per_dma', doc: 'IOTLB invalidation requests per DMA', parts: (r) => [r.iotlb.invalidations, r.dmas], higherIsWorse: true },
  { name: 'iotlb_miss_rate', doc: 'IOTLB misses per translation', parts: (r) => [r.iotlb.misses, r.iotlb.hits + r.iotlb.misses], higherIsWorse: true },
  { name: 'reuse_rate', doc: 'share of maps served by existing mappings', parts: (r) => [r.counters.map_reuses ?? 0, r.reuse_rate === null ? 0 : r.dmas], higherIsWorse: false },
  { name: 'exposure_avg_bytes', doc: 'bytes reachable beyond in-flight buffers, time average', parts: (r) => [r.exposure.avg_bytes * r.duration_ns, r.duration_ns], higherIsWorse: true },
  { name: 'faults', doc: 'device accesses blocked', parts: (r) => [r.faults, 1], higherIsWorse: true },
];

export const DIFF_METRIC_NAMES = DIFF_METRICS.map((m) => m.name);

export interface DiffRow {
  trace: string;
  metric: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  ratio: number | null;
  /** How much worse B is than A, in percent (negative = better); null when undefined. */
  worse_pct: number | null;
}

export interface DiffReport {
  a: string;
  b: string;
  rows: DiffRow[];
  /** Result rows present on one side only (files mode). */
  only_a: string[];
  only_b: string[];
}

/**
 * Compares side A with side B. `key` says how rows of the two sides pair up: by trace (two
 * strategies) or by trace + strategy + profile (two files).
 */
export function diffResults(aName: string, a: readonly RunResult[], bName: string, b: readonly RunResult[], metrics: readonly DiffMetric[], key: (r: RunResult) => string): DiffReport {
  const aKeys = new Map(a.map((r) => [key(r), r]));
  const bKeys = new Map(b.map((r) => [key(r), r]));
  const both = [...aKeys.keys()].filter((k) => bKeys.has(k));
  const only_a = [...aKeys.keys()].filter((k) => !bKeys.has(k));
  const only_b = [...bKeys.keys()].filter((k) => !aKeys.has(k));
  // Nothing to compare (a side failed to replay, or no row matches): no rows, not an empty pivot,
  // which has no a/b columns to derive from.
  if (both.length === 0) return { a: aName, b: bName, rows: [], only_a, only_b };
  const long: { trace: string; metric: string; side: string; num: number; den: number }[] = [];
  for (const k of both) {
    for (const [side, r] of [['a', aKeys.get(k)!], ['b', bKeys.get(k)!]] as const) {
      for (const m of metrics) {
        const [num, den] = m.parts(r);
        long.push({ trace: k, metric: m.name, side, num, den });
      }
    }
  }
  const t = aq.from(long);
  const perTrace = t.groupby('trace', 'metric', 'side').rollup({ num: (d: any) => op.sum(d.num), den: (d: any) => op.sum(d.den) });
  const overall = t.groupby('metric', 'side').rollup({ num: (d: any) => op.sum(d.num), den: (d: any) => op.sum(d.den) }).derive({ trace: () => 'overall' });
  const worse = aq.table({ metric: metrics.map((m) => m.name), sign: metrics.map((m) => (m.higherIsWorse ? 1 : -1)) });
  const rows = perTrace
    .concat(overall.select('trace', 'metric', 'side', 'num', 'den'))
    .derive({ value: (d: any) => (d.den > 0 ? d.num / d.den : null) })
    .groupby('trace', 'metric')
    .pivot('side', { value: (d: any) => op.any(d.value) })
    .join_left(worse, 'metric')
    .derive({
      // (a side without a value comes out of the pivot undefined, not null: == null covers both)
      delta: (d: any) => (d.a == null || d.b == null ? null : d.b - d.a),
      ratio: (d: any) => (d.a == null || d.b == null || d.a === 0 ? null : d.b / d.a),
    })
    .derive({ worse_pct: (d: any) => (d.a == null || d.b == null ? null : d.a === 0 ? (d.b === 0 ? 0 : null) : (d.sign * (d.b - d.a) * 100) / op.abs(d.a)) })
    .select('trace', 'metric', 'a', 'b', 'delta', 'ratio', 'worse_pct');
  const order = new Map(metrics.map((m, i) => [m.name, i]));
  const traceOrder = [...both, 'overall'];
  const out = (rows.objects() as DiffRow[]).sort((x, y) => traceOrder.indexOf(x.trace) - traceOrder.indexOf(y.trace) || order.get(x.metric)! - order.get(y.metric)!);
  return {
    a: aName,
    b: bName,
    rows: out.map((r) => ({ trace: r.trace, metric: r.metric, a: value(r.a), b: value(r.b), delta: value(r.delta), ratio: value(r.ratio), worse_pct: value(r.worse_pct) })),
    only_a,
    only_b,
  };
}

/** A number, or null for a missing or undefined one (never undefined or NaN). */
function value(x: number | null | undefined): number | null {
  return typeof x === 'number' && !Number.isNaN(x) ? x : null;
}

/** Rows whose metric got worse by more than `pct` percent. */
export function regressions(report: DiffReport, pct: number): DiffRow[] {
  return report.rows.filter((r) => r.worse_pct !== null && r.worse_pct > pct);
}
