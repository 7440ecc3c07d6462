/**
 * IOTLB miss rate against IOTLB size: the old figure drew direct-map's line exactly over
 * persistent's, in colours alike, and said neither the associativity nor the profile.
 */
import { describe, expect, it } from 'vitest';
import { iotlbMissVsSizeSpec } from '../../src/figures/iotlb-miss.js';
import { coincidingSeries } from '../../src/figures/coincide.js';
import { toSvg } from '../../src/figures/render.js';
import type { SweepRow } from '../../src/runs/sweep.js';

function row(trace: string, strategy: string, entries: number, miss: number | null): SweepRow {
  return { trace, strategy, profile: 'xen-2008', grid: { 'iotlb.entries': entries }, iotlb: { miss_rate: miss } } as unknown as SweepRow;
}

const rows = [8, 64].flatMap((n) => [
  row('/abs/traces/rx.csv', 'direct-map', n, n === 8 ? 0.2 : 0.05),
  row('/abs/traces/rx.csv', 'persistent', n, n === 8 ? 0.2 : 0.05),
  row('/abs/traces/rx.csv', 'single-use', n, 0.5),
  row('/abs/traces/rx.csv', 'native', n, null),
]);

describe('iotlb-miss-vs-size', () => {
  it('given direct-map and persistent with the same miss rate at every size, then the panel header names them as one line', async () => {
    const spec: any = iotlbMissVsSizeSpec(rows, { ways: 4 });
    expect([...new Set(spec.data.values.map((d: any) => d.panel))]).toEqual(['rx|same line: direct-map = persistent']);
    const svg = await toSvg(spec);
    expect(svg).toContain('same line: direct-map = persistent');
    expect(svg).not.toContain('/abs/');
  });

  it('given coinciding lines, then each strategy still has a marker and a dash pattern of its own', () => {
    const enc = (iotlbMissVsSizeSpec(rows) as any).spec.encoding;
    expect(enc.shape.scale.domain).toEqual(['direct-map', 'single-use', 'persistent']);
    expect(new Set(enc.shape.scale.range).size).toBe(3);
    expect(new Set(enc.strokeDash.scale.range.map((d: number[]) => d.join(','))).size).toBe(3);
  });

  it('given a 4-way sweep on xen-2008, then the subtitle says so', () => {
    const subtitle = (iotlbMissVsSizeSpec(rows, { ways: 4 }) as any).title.subtitle.join(' ');
    expect(subtitle).toContain('4-way set-associative');
    expect(subtitle).toContain('profile xen-2008');
  });

  it('given lines within half a percent of the panel range, then they coincide; further apart, they do not', () => {
    const pts = (dy: number) => [0, 1].flatMap((x) => [
      { panel: 'p', series: 'a', x, y: x * 100 },
      { panel: 'p', series: 'b', x, y: x * 100 + dy },
    ]);
    expect(coincidingSeries(pts(0.4)).get('p')).toEqual([['a', 'b']]);
    expect(coincidingSeries(pts(2)).get('p')).toBeUndefined();
  });
});
