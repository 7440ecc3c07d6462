import { describe, expect, it } from 'vitest';
import { IovaAllocator, IOVA_BASE_PAGE } from '../../../src/model/iommu/iova-allocator.js';
import { MAX_IOVA_PAGES } from '../../../src/model/iommu/page-table.js';

describe('IovaAllocator', () => {
  it('the base page is 2^35 (128 TiB): the top half of the 2^36-page IOVA space, far above guest RAM', () => {
    expect(IOVA_BASE_PAGE).toBe(2 ** 35);
    expect(IOVA_BASE_PAGE * 4096).toBe(128 * 2 ** 40);
    expect(IOVA_BASE_PAGE).toBeLessThan(MAX_IOVA_PAGES);
  });

  it('given a fresh allocator, ranges are cut from a bump pointer starting at the base', () => {
    const a = new IovaAllocator();
    expect(a.spanPages).toBe(0);
    expect(a.alloc(1)).toBe(IOVA_BASE_PAGE);
    expect(a.alloc(4)).toBe(IOVA_BASE_PAGE + 1);
    expect(a.alloc(1)).toBe(IOVA_BASE_PAGE + 5);
    expect(a.alloc(3)).toBe(IOVA_BASE_PAGE + 6);
    expect(a.spanPages).toBe(9);
  });

  it('freed ranges of one size are reused last-freed-first, then the bump pointer resumes', () => {
    const a = new IovaAllocator();
    const r = [a.alloc(1), a.alloc(1), a.alloc(1)]; // base, base+1, base+2
    a.free(r[0], 1);
    a.free(r[2], 1);
    expect(a.alloc(1)).toBe(IOVA_BASE_PAGE + 2);
    expect(a.alloc(1)).toBe(IOVA_BASE_PAGE);
    expect(a.alloc(1)).toBe(IOVA_BASE_PAGE + 3);
    expect(a.spanPages).toBe(4);
  });

  it('a freed range is only reused for the same size: a free 4-page range does not serve 2 or 8 pages', () => {
    const a = new IovaAllocator();
    const four = a.alloc(4); // base .. base+3
    a.free(four, 4);
    expect(a.alloc(2)).toBe(IOVA_BASE_PAGE + 4);
    expect(a.alloc(8)).toBe(IOVA_BASE_PAGE + 6);
    expect(a.alloc(4)).toBe(IOVA_BASE_PAGE);
    expect(a.alloc(4)).toBe(IOVA_BASE_PAGE + 14);
    expect(a.spanPages).toBe(18);
  });

  it('reuse does not move the high-water mark; each size keeps its own stack', () => {
    const a = new IovaAllocator();
    const x1 = a.alloc(1);
    const x2 = a.alloc(2);
    const y1 = a.alloc(1);
    const y2 = a.alloc(2);
    expect([x1, x2, y1, y2]).toEqual([0, 1, 3, 4].map((d) => IOVA_BASE_PAGE + d));
    a.free(x2, 2);
    a.free(x1, 1);
    a.free(y2, 2);
    a.free(y1, 1);
    expect([a.alloc(2), a.alloc(1), a.alloc(2), a.alloc(1)]).toEqual([y2, y1, x2, x1]);
    expect(a.spanPages).toBe(6);
  });

  it('after a burst of 1000 maps and unmaps of one page, a steady one-in-flight pattern reuses one IOVA forever', () => {
    const a = new IovaAllocator();
    const got: number[] = [];
    for (let i = 0; i < 1000; i++) got.push(a.alloc(1));
    for (const g of got) a.free(g, 1);
    for (let i = 0; i < 50; i++) {
      const p = a.alloc(1);
      expect(p).toBe(IOVA_BASE_PAGE + 999);
      a.free(p, 1);
    }
    expect(a.spanPages).toBe(1000);
  });
});
