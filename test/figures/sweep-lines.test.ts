import { describe, expect, it } from 'vitest';
import { sweepFigureData, sweepFigureSpec, staleTimePerUnmapUs } from '../../src/figures/sweep-lines.js';
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
    counters: { stale_window_ns: 0, stale_range_ns: 0, deferred_unmaps: 0 },
  } as unknown as SweepRow;
}

const rows = [row('single-use', 8, 0, 5000, 0.5), row('single-use', 16, 0, 4000, 0.25), row('native', 8, 0, 350, null), row('native', 16, 0, 350, null)];

describe('sweep figure', () => {
  it('long-form data: one row per (row, metric), metrics that are empty everywhere left out', () => {
    const { data, metrics } = sweepFigureData(rows, 'iotlb.entries');
    expect(metrics.map((m) => m.name)).toEqual(['cycles_per_dma', 'iotlb_miss_rate']);
    expect(data).toEqual([
      { trace: 't', strategy: 'single-use', x: 8, others: '', metric: 'cycles per DMA', value: 5000 },
      { trace: 't', strategy: 'single-use', x: 8, others: '', metric: 'IOTLB miss rate (%)', value: 50 },
      { trace: 't', strategy: 'single-use', x: 16, others: '', metric: 'cycles per DMA', value: 4000 },
      { trace: 't', strategy: 'single-use', x: 16, others: '', metric: 'IOTLB miss rate (%)', value: 25 },
      { trace: 't', strategy: 'native', x: 8, others: '', metric: 'cycles per DMA', value: 350 },
      { trace: 't', strategy: 'native', x: 16, others: '', metric: 'cycles per DMA', value: 350 },
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

  it('given linux-lazy with 4 deferred unmaps stale 10, 20, 30 and 40 us and a range stale for 365 ms in all, then the stale metric is 25 us per unmap, not the time with any range stale', () => {
    const lazy = { ...row('linux-lazy', 8, 0, 3000, 0.3), counters: { stale_window_ns: 365e6, stale_range_ns: 100e3, deferred_unmaps: 4 } } as unknown as SweepRow;
    expect(staleTimePerUnmapUs(lazy)).toBe(25);
    const { data, metrics } = sweepFigureData([lazy, rows[0]], 'iotlb.entries');
    expect(metrics.map((m) => m.name)).toContain('stale_per_unmap_us');
    expect(metrics.map((m) => m.name)).not.toContain('stale_window_ms');
    expect(data.filter((d) => d.metric === 'stale per unmap (µs)')).toEqual([{ trace: 't', strategy: 'linux-lazy', x: 8, others: '', metric: 'stale per unmap (µs)', value: 25 }]);
  });

  it('given strategies that defer no unmap, then they have no stale time per unmap (not 0)', () => {
    expect(staleTimePerUnmapUs(rows[0])).toBeNull();
  });

  it('given traces by absolute path, then the panels and the SVG name them by file only, the same file name in two folders by its folder too', async () => {
    const abs = [{ ...rows[0], trace: '/home/me/a/traces/rx.csv' }, { ...rows[1], trace: '/home/me/a/traces/rx.csv' }, { ...rows[0], trace: '/home/me/b/traces2/rx.csv' }] as SweepRow[];
    expect([...new Set(sweepFigureData(abs, 'iotlb.entries').data.map((d) => d.trace))]).toEqual(['traces/rx', 'traces2/rx']);
    const svg = await toSvg(sweepFigureSpec(abs, 'iotlb.entries'));
    expect(svg).not.toContain('/home/me');
  });

  it('given a log-scaled sweep, then the x axis ticks are the swept values', () => {
    const spec = sweepFigureSpec([1, 16, 256].map((n) => row('single-use', n, 0, 5000 - n, 0.5)), 'iotlb.entries') as any;
    expect(spec.spec.encoding.x.axis.values).toEqual([1, 16, 256]);
  });
});

describe('sweep figure markers', () => {
  it('given strategies whose lines may coincide, then each has a marker of its own, in the one legend with its colour', () => {
    const enc = (sweepFigureSpec(rows, 'iotlb.entries') as any).spec.encoding;
    expect(enc.shape.field).toBe('strategy');
    expect(enc.shape.title).toBe(enc.color.title);
    expect(new Set(enc.shape.scale.range).size).toBe(enc.shape.scale.domain.length);
  });
});
