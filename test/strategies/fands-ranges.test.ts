/**
 * fands' descriptor ranges as parallel arrays (src/strategies/fands-ranges.ts): ids reused last
 * freed first, page lists that outgrow their first array, and state past the first arrays.
 */
import { describe, expect, it } from 'vitest';
import { DescriptorRanges } from '../../src/strategies/fands-ranges.js';

describe('DescriptorRanges', () => {
  it('given a new range, then it is open, empty, and holds its domain, guest, IOVA and CPU', () => {
    const r = new DescriptorRanges();
    const id = r.add(3, 1, 2 ** 34 + 64, 5);
    expect(id).toBe(0);
    expect([r.domain[id], r.guest[id], r.iova[id], r.used[id], r.live[id], r.open[id], r.cpu[id]]).toEqual([3, 1, 2 ** 34 + 64, 0, 0, 1, 5]);
    expect(Array.from(r.pagesOf(id).subarray(0, r.used[id]))).toEqual([]);
  });

  it('keeps pages in IOVA order past its first page list (20 pages), counting them in used', () => {
    const r = new DescriptorRanges();
    const id = r.add(0, 0, 64, 0);
    const gpns = Array.from({ length: 20 }, (_, k) => 2 ** 40 - 1 - k);
    for (const g of gpns) r.pushPage(id, g);
    expect(r.used[id]).toBe(20);
    expect(Array.from(r.pagesOf(id).subarray(0, 20))).toEqual(gpns);
  });

  it('reuses released ids last freed first, with fresh state (no pages, open, no live DMA)', () => {
    const r = new DescriptorRanges();
    const a = r.add(0, 0, 0, 0);
    const b = r.add(0, 0, 64, 0);
    const c = r.add(0, 0, 128, 0);
    r.pushPage(b, 7);
    r.live[b] = 2;
    r.open[b] = 0;
    r.release(a);
    r.release(b);
    const d = r.add(1, 2, 192, 3);
    expect([a, b, c, d]).toEqual([0, 1, 2, 1]);
    expect([r.domain[d], r.guest[d], r.iova[d], r.used[d], r.live[d], r.open[d], r.cpu[d]]).toEqual([1, 2, 192, 0, 0, 1, 3]);
    expect(r.add(0, 0, 256, 0)).toBe(0);
    expect(r.add(0, 0, 320, 0)).toBe(3);
  });

  it('grows past its first arrays (100 ranges live, 100 released and reused)', () => {
    const r = new DescriptorRanges();
    const ids = Array.from({ length: 100 }, (_, k) => r.add(k % 7, k % 3, k * 64, k % 4));
    expect(ids).toEqual(Array.from({ length: 100 }, (_, k) => k));
    expect([r.domain[99], r.guest[99], r.iova[99], r.cpu[99]]).toEqual([99 % 7, 0, 99 * 64, 3]);
    for (const id of ids) r.release(id);
    expect(Array.from({ length: 100 }, () => r.add(0, 0, 0, 0))).toEqual(Array.from({ length: 100 }, (_, k) => 99 - k));
  });
});
