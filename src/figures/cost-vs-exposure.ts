/**
 * Protection against cost (the report's "protection-vs-cost"): each strategy as a labelled point,
 * cycles per DMA (log) against the guest memory its devices can reach beyond the buffers in
 * flight (time average, KiB, log with 0 at the bottom), one panel per workload, every panel on
 * the same scales. The scales' domains are fixed here (whole decades, no rounding by Vega), so
 * the labels can be laid out in pixels beforehand (label-layout.ts): none overlaps another or a
 * point, points drawn at one spot share a label, and a label moved away is tied to its point
 * by a thin line.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../types/result.js';
import { FIGURE_CONFIG, strategyColor, strategyDomain, strategyShape } from './style.js';
import { workloadOf } from './trace-names.js';
import { PANEL_LAYOUT, bottomTitleHeader, panelColumns } from './panels.js';
import { lineHeightOf, placeLabels } from './label-layout.js';

const WIDTH = 215;
const HEIGHT = 230;
const FONT_SIZE = 9;
/** Point area in square pixels (Vega's `size`) and the radius that goes with it. */
const POINT_SIZE = 50;
const POINT_RADIUS = Math.sqrt(POINT_SIZE / Math.PI) + 1;

/** Whole decades around `lo`..`hi` (both > 0). */
function decadeDomain(lo: number, hi: number): [number, number] {
  return [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi))];
}

/** Vega's symlog transform with constant 1. */
const symlog = (v: number) => Math.sign(v) * Math.log1p(Math.abs(v));

export interface ExposurePoint {
  workload: string;
  strategy: string;
  cycles_per_dma: number;
  exposed_kib: number;
}

/** The points, and their labels placed in data units on the given scales. */
export function costVsExposureData(results: readonly RunResult[]) {
  const points: ExposurePoint[] = results.flatMap((r) => (r.cycles.per_dma !== null && r.cycles.per_dma > 0 ? [{ workload: workloadOf(r.trace), strategy: r.strategy, cycles_per_dma: r.cycles.per_dma, exposed_kib: r.exposure.avg_bytes / 1024 }] : []));
  const xDomain = decadeDomain(Math.min(...points.map((p) => p.cycles_per_dma)), Math.max(...points.map((p) => p.cycles_per_dma)));
  const yTop = decadeDomain(1, Math.max(1, ...points.map((p) => p.exposed_kib)))[1];
  const lx = [Math.log10(xDomain[0]), Math.log10(xDomain[1])];
  const toPx = (v: number) => ((Math.log10(v) - lx[0]) / (lx[1] - lx[0])) * WIDTH;
  const fromPx = (px: number) => 10 ** (lx[0] + (px / WIDTH) * (lx[1] - lx[0]));
  const toPy = (v: number) => HEIGHT - (symlog(v) / symlog(yTop)) * HEIGHT;
  const fromPy = (py: number) => Math.expm1(((HEIGHT - py) / HEIGHT) * symlog(yTop));
  const order = strategyDomain(points.map((p) => p.strategy));
  const labels = [];
  for (const workload of [...new Set(points.map((p) => p.workload))]) {
    const mine = points.filter((p) => p.workload === workload).sort((a, b) => order.indexOf(a.strategy) - order.indexOf(b.strategy));
    const placed = placeLabels(
      mine.map((p) => ({ x: toPx(p.cycles_per_dma), y: toPy(p.exposed_kib), text: p.strategy })),
      { width: WIDTH, height: HEIGHT, fontSize: FONT_SIZE, pointRadius: POINT_RADIUS },
    );
    for (const l of placed) {
      // The leader runs from the point to the nearest point of the label's box.
      const ax = Math.min(Math.max(l.px, l.x), l.x + l.width);
      const ay = Math.min(Math.max(l.py, l.y), l.y + l.height);
      labels.push({ workload, text: l.lines, label_x: fromPx(l.x), label_y: fromPy(l.y), leader: l.leader, px: fromPx(l.px), py: fromPy(l.py), ax: fromPx(ax), ay: fromPy(ay) });
    }
  }
  return { points, labels, xDomain, yTop };
}

export function costVsExposureSpec(results: readonly RunResult[]): TopLevelSpec {
  const { points, labels, xDomain, yTop } = costVsExposureData(results);
  const strategies = strategyDomain(points.map((p) => p.strategy));
  const workloads = [...new Set(points.map((p) => p.workload))];
  // 0, then every decade from 10 KiB (a label for 1 KiB would sit on the 0's).
  const yTicks = [0];
  for (let t = 10; t <= yTop; t *= 10) yTicks.push(t);
  const xTicks: number[] = [];
  for (let t = xDomain[0]; t <= xDomain[1]; t *= 10) xTicks.push(t);
  const x = { type: 'quantitative', title: null, scale: { type: 'log', domain: xDomain, nice: false }, axis: { values: xTicks, format: '~s' } };
  const y = { type: 'quantitative', title: null, scale: { type: 'symlog', domain: [0, yTop], nice: false }, axis: { values: yTicks, format: ',.0f' } };
  const values = [...points.map((p) => ({ ...p, kind: 'point' })), ...labels.map((l) => ({ ...l, kind: 'label' }))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Protection vs cost',
      subtitle: [
        'y: guest memory a device can reach beyond the buffers in flight, in KiB (time average;',
        'log, 0 at the bottom). Down is safer, left is cheaper. One scale for all panels.',
      ],
    },
    data: { values },
    facet: { field: 'workload', type: 'nominal', title: 'cycles per DMA (log)', sort: workloads, header: bottomTitleHeader() },
    columns: panelColumns(workloads.length, WIDTH, 80),
    spec: {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'label' && datum.leader" }],
          mark: { type: 'rule', color: '#999', strokeWidth: 0.7 },
          encoding: { x: { field: 'px', ...x }, y: { field: 'py', ...y }, x2: { field: 'ax' }, y2: { field: 'ay' } },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'point', filled: true, size: POINT_SIZE, opacity: 1 },
          encoding: {
            x: { field: 'cycles_per_dma', ...x },
            y: { field: 'exposed_kib', ...y },
            color: { ...strategyColor(strategies), legend: null },
            shape: { ...strategyShape(strategies), legend: null },
            tooltip: [{ field: 'strategy' }, { field: 'cycles_per_dma', format: ',.0f' }, { field: 'exposed_kib', format: ',.1f', title: 'exposed (KiB)' }],
          },
        },
        {
          transform: [{ filter: "datum.kind === 'label'" }],
          mark: { type: 'text', align: 'left', baseline: 'top', fontSize: FONT_SIZE, lineHeight: lineHeightOf(FONT_SIZE), color: '#222' },
          encoding: { x: { field: 'label_x', ...x }, y: { field: 'label_y', ...y }, text: { field: 'text' } },
        },
      ],
    },
    resolve: { scale: { x: 'shared', y: 'shared' } },
    ...PANEL_LAYOUT,
    config: FIGURE_CONFIG,
  } as TopLevelSpec;
}
