import { describe, expect, it } from 'vitest';
import { Iotlb } from '../../../src/model/iommu/iotlb.js';
import { encodeLeaf } from '../../../src/model/iommu/page-table.js';

const leaf = (host: number) => encodeLeaf(host, 3);

describe('Iotlb', () => {
  it('an empty 4-set x 2-way IOTLB; three pages that index one set; the LRU way is evicted', () => {
    const t = new Iotlb(8, 2);
    expect(t.sets).toBe(4);
    // domain 0: set = page mod 4, so pages 1, 5 and 9 share set 1
    expect([1, 5, 9].map((p) => t.setOf(0, p))).toEqual([1, 1, 1]);
    t.insert(0, 1, 0, leaf(101));
    expect(t.lastEvicted).toBe(0);
    t.insert(0, 5, 0, leaf(105));
    expect(t.lastEvicted).toBe(0);
    expect(t.lookup(0, 1, 0)).toBe(leaf(101)); // page 1 is now the most recently used
    t.insert(0, 9, 0, leaf(109)); // evicts page 5, the LRU way
    expect(t.lastEvicted).toBe(1);
    expect(t.lookup(0, 5, 0)).toBe(0);
    expect(t.lookup(0, 1, 0)).toBe(leaf(101));
    expect(t.lookup(0, 9, 0)).toBe(leaf(109));
    expect(t.occupancy).toBe(2);
  });

  it('entries are tagged by domain: the same page in two domains is two entries', () => {
    const t = new Iotlb(8, 8);
    t.insert(0, 7, 0, leaf(1));
    expect(t.lookup(1, 7, 0)).toBe(0);
    t.insert(1, 7, 0, leaf(2));
    expect(t.lookup(0, 7, 0)).toBe(leaf(1));
    expect(t.lookup(1, 7, 0)).toBe(leaf(2));
  });

  it('invalidation by page, domain and all returns the valid entries dropped', () => {
    const t = new Iotlb(16, 4);
    t.insert(0, 1, 0, leaf(1));
    t.insert(0, 2, 0, leaf(2));
    t.insert(1, 1, 0, leaf(3));
    expect(t.invalidatePage(0, 1)).toBe(1);
    expect(t.invalidatePage(0, 1)).toBe(0);
    expect(t.invalidateDomain(0)).toBe(1);
    expect(t.invalidateAll()).toBe(1);
    expect(t.occupancy).toBe(0);
  });

  it('a 2 MiB entry covers its 512 pages and is found at level 1; invalidating one of its pages drops it', () => {
    const t = new Iotlb(8, 2);
    t.insert(0, 512 * 3 + 10, 1, leaf(7000));
    expect(t.lookup(0, 512 * 3, 1)).toBe(leaf(7000));
    expect(t.lastHitLevel).toBe(1);
    expect(t.lookup(0, 512 * 3 + 511, 1)).toBe(leaf(7000));
    expect(t.lookup(0, 512 * 3 + 10, 0)).toBe(0); // not searched at 4 KiB only
    expect(t.invalidatePage(0, 512 * 3 + 200)).toBe(1);
  });

  it('rejects geometries whose set count is not a power of two', () => {
    expect(() => new Iotlb(12, 4)).toThrow(/power of two/);
    expect(() => new Iotlb(8, 3)).toThrow();
  });
});
