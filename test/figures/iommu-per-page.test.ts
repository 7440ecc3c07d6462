/**
 * The F&S-style figure: IOMMU work per page against flows, from rx-100g replays.
 */
import { describe, expect, it } from 'vitest';
import { perPageRows, perPageSpec } from '../../src/figures/iommu-per-page.js';
import { toSvg } from '../../src/figures/render.js';

describe('iommu-per-page figure', () => {
  it('given rx-100g at 5 and 40 flows, then strict mode\'s L1 misses rise with flows, fands has almost none, and both direct-map page sizes are drawn', async () => {
    const rows = await perPageRows([5, 40], 4000);
    const series = [...new Set(rows.map((r) => r.series))];
    expect(series).toEqual(['linux-strict', 'linux-lazy', 'fands', 'shadow', 'persistent', 'direct-map (4 KiB)', 'direct-map (2 MiB)']);
    const at = (s: string, f: number) => rows.find((r) => r.series === s && r.flows === f)!;
    expect(at('linux-strict', 40).l1).toBeGreaterThan(at('linux-strict', 5).l1);
    for (const f of [5, 40]) expect(at('fands', f).l1).toBeLessThan(at('linux-strict', f).l1 / 10);
    // 2 MiB IOMMU pages: one IOTLB entry covers 512 pages
    expect(at('direct-map (2 MiB)', 5).iotlb_misses).toBeLessThan(at('direct-map (4 KiB)', 5).iotlb_misses / 10);
    const svg = await toSvg(perPageSpec(rows));
    expect(svg).toContain('IOMMU work per 4 KiB page at 100 Gb/s');
    expect(svg).toContain('direct-map (2 MiB)');
  });
});
