import { describe, expect, it } from 'vitest';
import { sweepFigureData, sweepFigureSpec } from '../../src/figures/sweep-lines.js';
import { toSvg, svgToPng } from '../../src/figures/render.js';
import { STRATEGY_COLORS } from '../../src/figures/style.js';
import type { SweepRow } from '../../src/runs/sweep.js';

function row(strategy: string, entries: number, cap: number, perDma: number, miss: number | null): SweepRow {
  return {
    trace: 't.csv',
    strategy,
    grid: { 'iotlb.entries': entries, 'persistent.capacity': cap },
    cycles: { per_dma: perDma },
    iotlb: { miss_rate: miss },
    reuse_rate: null,
    exposure: { avg_bytes: 0 },
    counters: { stale_window_ns: 0 },
  } as unknown as SweepRow;
}

const rows = [row('single-use', 8, 0, 5000, 0.5), row('single-use', 16, 0, 4000, 0.25), row('native', 8, 0, 350, null), row('native', 16, 0, 350, null)];

describe('sweep figure', () => {
  it('long-form data: one row per (row, metric), metrics that are empty everywhere left out', () => {
    const { data, metrics } = sweepFigureData(rows, 'iotlb.entries');
    expect(metrics.map((m) => m.name)).toEqual(['cycles_per_dma', 'iotlb_miss_rate']);
    expect(data).toEqual([
      { trace: 't.csv', strategy: 'single-use', x: 8, others: '', metric: 'cycles per DMA', value: 5000 },
      { trace: 't.csv', strategy: 'single-use', x: 8, others: '', metric: 'IOTLB miss rate (%)', value: 50 },
      { trace: 't.csv', strategy: 'single-use', x: 16, others: '', metric: 'cycles per DMA', value: 4000 },
      { trace: 't.csv', strategy: 'single-use', x: 16, others: '', metric: 'IOTLB miss rate (%)', value: 25 },
      { trace: 't.csv', strategy: 'native', x: 8, others: '', metric: 'cycles per DMA', value: 350 },
      { trace: 't.csv', strategy: 'native', x: 16, others: '', metric: 'cycles per DMA', value: 350 },
    ]);
  });

  it('colours strategies in registry order with the shared palette', () => {
    const spec = sweepFigureSpec(rows, 'iotlb.entries') as any;
    expect(spec.spec.encoding.color.scale).toEqual({ domain: ['native', 'single-use'], range: [STRATEGY_COLORS.native, STRATEGY_COLORS['single-use']] });
    expect(spec.spec.encoding.x.title).toBe('iotlb.entries');
    expect(spec.resolve).toEqual({ scale: { y: 'independent' } });
  });

  it('renders to an SVG with the lines and axis title, and to a PNG', async () => {
    const svg = await toSvg(sweepFigureSpec(rows, 'iotlb.entries'));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('iotlb.entries');
    expect(svg).toContain('cycles per DMA');
    const png = svgToPng(svg, 1);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(2000);
  });
});
