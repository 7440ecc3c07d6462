/**
 * Labels of the protection-vs-cost scatter plot: the old figure drew each name at a fixed offset
 * from its point, so crowded points ran their names together ("nativsoftdirect-map").
 */
import { describe, expect, it } from 'vitest';
import { placeLabels, textWidth, type PlacedLabel } from '../../src/figures/label-layout.js';
import { costVsExposureData } from '../../src/figures/cost-vs-exposure.js';
import { result } from './results.js';

const OPTIONS = { width: 215, height: 230, fontSize: 9, pointRadius: 5 };
const intersects = (a: PlacedLabel, b: { x: number; y: number; width: number; height: number }) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('scatter-plot labels', () => {
  it('given three points a few pixels apart and three at one spot, when labelled, then no label overlaps another label or any point, all stay in the plot, and the three at one spot share a label', () => {
    const points = [
      { x: 10, y: 10, text: 'native' },
      { x: 16, y: 10, text: 'software' },
      { x: 22, y: 13, text: 'direct-map' },
      { x: 120, y: 229, text: 'single-use' },
      { x: 120, y: 229, text: 'linux-strict' },
      { x: 121, y: 229, text: 'fands' },
      { x: 150, y: 229, text: 'shadow' },
    ];
    const labels = placeLabels(points, OPTIONS);
    expect(labels.map((l) => l.lines.join(' / '))).toEqual(['native', 'software', 'direct-map', 'single-use, linux-strict / fands', 'shadow']);
    for (const [i, a] of labels.entries()) {
      expect(a.x, a.lines[0]).toBeGreaterThanOrEqual(0);
      expect(a.y, a.lines[0]).toBeGreaterThanOrEqual(0);
      expect(a.x + a.width, a.lines[0]).toBeLessThanOrEqual(OPTIONS.width);
      expect(a.y + a.height, a.lines[0]).toBeLessThanOrEqual(OPTIONS.height);
      expect(a.width).toBeGreaterThanOrEqual(Math.max(...a.lines.map((l) => textWidth(l, 9))) - 1);
      for (const b of labels.slice(i + 1)) expect(intersects(a, b), `${a.lines} / ${b.lines}`).toBe(false);
      for (const p of points) expect(intersects(a, { x: p.x - 5, y: p.y - 5, width: 10, height: 10 }), `${a.lines} over ${p.text}`).toBe(false);
    }
  });

  it('given the same points twice, then the labels are the same (deterministic figures)', () => {
    const points = Array.from({ length: 12 }, (_, i) => ({ x: 20 + (i % 4) * 6, y: 200 - Math.floor(i / 4) * 4, text: `s${i}` }));
    expect(placeLabels(points, OPTIONS)).toEqual(placeLabels(points, OPTIONS));
  });

  it('given strategies with the same cost and exposure, then the figure gives them one label', () => {
    const same = { cycles: { driver: 10_000 }, exposedKib: 4 };
    const { labels } = costVsExposureData([result('t.csv', 'single-use', same), result('t.csv', 'linux-strict', same), result('t.csv', 'native', { cycles: { driver: 350 }, exposedKib: 4_000_000 })]);
    expect(labels.map((l) => l.text)).toEqual([['native'], ['single-use, linux-strict']]);
  });
});
