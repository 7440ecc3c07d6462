import { describe, expect, it } from 'vitest';
import { Iotlb } from '../../../src/model/iommu/iotlb.js';
import { encodeLeaf, PageSize } from '../../../src/model/iommu/page-table.js';

const leaf = (host: number) => encodeLeaf(host, 3);

describe('Iotlb geometry', () => {
  it('entries / ways sets: 8 x 2 -> 4 sets, 64 x 4 -> 16, 8 x 8 -> 1 (fully associative), 1 x 1 -> 1', () => {
    expect([new Iotlb(8, 2).sets, new Iotlb(64, 4).sets, new Iotlb(8, 8).sets, new Iotlb(1, 1).sets]).toEqual([4, 16, 1, 1]);
    const t = new Iotlb(8, 2);
    expect([t.entries, t.ways, t.occupancy]).toEqual([8, 2, 0]);
  });

  it('rejects a set count that is not a power of two, ways that do not divide entries, and empty geometries', () => {
    expect(() => new Iotlb(12, 4)).toThrow(RangeError); // 3 sets
    expect(() => new Iotlb(12, 4)).toThrow('IOTLB of 12 entries and 4 ways: entries/ways must be a power of two');
    expect(() => new Iotlb(6, 1)).toThrow(/power of two/); // 6 sets
    expect(() => new Iotlb(8, 3)).toThrow(/power of two/);
    expect(() => new Iotlb(4, 8)).toThrow(/power of two/);
    expect(() => new Iotlb(0, 1)).toThrow(/power of two/);
    expect(() => new Iotlb(4, 0)).toThrow(/power of two/);
  });
});

describe('Iotlb set index', () => {
  it('for domain 0 the set is the page number modulo the number of sets', () => {
    const t = new Iotlb(8, 2); // 4 sets
    expect([0, 1, 2, 3, 4, 5, 6, 7, 1001].map((p) => t.setOf(0, p))).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 1]);
    expect(t.setOf(0, 2 ** 32 + 5)).toBe(1);
    const u = new Iotlb(64, 4); // 16 sets
    expect([15, 16, 17, 0x12345].map((p) => u.setOf(0, p))).toEqual([15, 0, 1, 5]);
  });

  it('other domains are spread by XOR with domain * 0x9e3779b1: with 4 sets, page 0 of domains 1, 2, 3 is in sets 1, 2, 3', () => {
    const t = new Iotlb(8, 2);
    expect([1, 2, 3].map((d) => t.setOf(d, 0))).toEqual([1, 2, 3]);
    expect(t.setOf(1, 1)).toBe(0);
  });
});

describe('Iotlb LRU replacement', () => {
  it('given an empty 4-set x 2-way IOTLB and three pages that index one set, the third insert evicts the LRU way; lastEvicted is 1', () => {
    const t = new Iotlb(8, 2);
    expect([0, 4, 8].map((p) => t.setOf(0, p))).toEqual([0, 0, 0]);
    t.insert(0, 0, 0, leaf(100));
    expect(t.lastEvicted).toBe(0);
    t.insert(0, 4, 0, leaf(104));
    expect(t.lastEvicted).toBe(0);
    t.insert(0, 8, 0, leaf(108));
    expect(t.lastEvicted).toBe(1);
    expect(t.lookup(0, 0, 0)).toBe(0); // page 0 was least recently used
    expect(t.lookup(0, 4, 0)).toBe(leaf(104));
    expect(t.lookup(0, 8, 0)).toBe(leaf(108));
    expect(t.occupancy).toBe(2);
  });

  it('a hit refreshes LRU: after a lookup of page 1, inserting page 9 evicts page 5 instead', () => {
    const t = new Iotlb(8, 2);
    t.insert(0, 1, 0, leaf(101));
    t.insert(0, 5, 0, leaf(105));
    expect(t.lookup(0, 1, 0)).toBe(leaf(101));
    t.insert(0, 9, 0, leaf(109));
    expect(t.lastEvicted).toBe(1);
    expect(t.lookup(0, 5, 0)).toBe(0);
    expect(t.lookup(0, 1, 0)).toBe(leaf(101));
    expect(t.lookup(0, 9, 0)).toBe(leaf(109));
  });

  it('a 4-way set evicts in exact LRU order through lookups: a b c d, hit a, hit c; inserting e, f, g evicts b, d, a', () => {
    const t = new Iotlb(4, 4); // one set
    const [a, b, c, d, e, f, g] = [10, 11, 12, 13, 14, 15, 16];
    for (const p of [a, b, c, d]) t.insert(0, p, 0, leaf(p));
    t.lookup(0, a, 0);
    t.lookup(0, c, 0);
    t.insert(0, e, 0, leaf(e));
    expect(t.lookup(0, b, 0)).toBe(0);
    t.insert(0, f, 0, leaf(f));
    expect(t.lookup(0, d, 0)).toBe(0);
    // lookups of b and d missed and did not change stamps: a (hit 5th) is now the oldest
    t.insert(0, g, 0, leaf(g));
    expect(t.lookup(0, a, 0)).toBe(0);
    expect([c, e, f, g].map((p) => t.lookup(0, p, 0))).toEqual([c, e, f, g].map(leaf));
  });

  it('inserts into another set never evict: pages 0, 4 (set 0) then 1 (set 1) -> lastEvicted 0, occupancy 3', () => {
    const t = new Iotlb(8, 2);
    t.insert(0, 0, 0, leaf(1));
    t.insert(0, 4, 0, leaf(2));
    t.insert(0, 1, 0, leaf(3));
    expect(t.lastEvicted).toBe(0);
    expect(t.occupancy).toBe(3);
  });

  it('an invalidated way is refilled before any valid way is evicted', () => {
    const t = new Iotlb(8, 2);
    t.insert(0, 0, 0, leaf(1));
    t.insert(0, 4, 0, leaf(2));
    t.invalidatePage(0, 4);
    t.insert(0, 8, 0, leaf(3));
    expect(t.lastEvicted).toBe(0);
    expect([t.lookup(0, 0, 0), t.lookup(0, 8, 0)]).toEqual([leaf(1), leaf(3)]);
  });

  it('a miss returns 0 and does not insert anything', () => {
    const t = new Iotlb(8, 2);
    expect(t.lookup(0, 3, 2)).toBe(0);
    expect(t.occupancy).toBe(0);
  });
});

describe('Iotlb tags', () => {
  it('entries are tagged by domain: the same page in two domains is two entries', () => {
    const t = new Iotlb(8, 8);
    t.insert(0, 7, 0, leaf(1));
    expect(t.lookup(1, 7, 0)).toBe(0);
    t.insert(1, 7, 0, leaf(2));
    expect(t.lookup(0, 7, 0)).toBe(leaf(1));
    expect(t.lookup(1, 7, 0)).toBe(leaf(2));
    expect(t.occupancy).toBe(2);
  });

  it('a 2 MiB entry covers its 512 pages at level 1, and only when lookups search level 1', () => {
    const t = new Iotlb(8, 2);
    t.insert(0, 512 * 3 + 10, PageSize.large, leaf(7000));
    for (const p of [512 * 3, 512 * 3 + 10, 512 * 3 + 511]) {
      expect(t.lookup(0, p, 1)).toBe(leaf(7000));
      expect(t.lastHitLevel).toBe(1);
    }
    expect(t.lookup(0, 512 * 4, 1)).toBe(0);
    expect(t.lookup(0, 512 * 3 - 1, 1)).toBe(0);
    expect(t.lookup(0, 512 * 3 + 10, 0)).toBe(0); // not searched at 4 KiB only
    expect(t.lookup(0, 3, 1)).toBe(0); // page 3 has 4 KiB tag 3, not the 2 MiB tag 3
  });

  it('a 1 GiB entry covers its 262144 pages at level 2', () => {
    const t = new Iotlb(8, 2);
    const G = 512 * 512;
    t.insert(0, G * 2 + 1234, PageSize.huge, leaf(9000));
    expect(t.lookup(0, G * 2, 2)).toBe(leaf(9000));
    expect(t.lastHitLevel).toBe(2);
    expect(t.lookup(0, G * 3 - 1, 2)).toBe(leaf(9000));
    expect(t.lookup(0, G * 3, 2)).toBe(0);
    expect(t.lookup(0, G * 2, 1)).toBe(0);
  });

  it('a 4 KiB entry is found first when both a 4 KiB and a 2 MiB entry cover the page (lastHitLevel 0)', () => {
    const t = new Iotlb(16, 4);
    t.insert(0, 512 + 5, PageSize.large, leaf(1));
    t.insert(0, 512 + 5, PageSize.small, leaf(2));
    expect(t.lookup(0, 512 + 5, 1)).toBe(leaf(2));
    expect(t.lastHitLevel).toBe(0);
    expect(t.lookup(0, 512 + 6, 1)).toBe(leaf(1));
    expect(t.lastHitLevel).toBe(1);
  });
});

describe('Iotlb invalidation', () => {
  it('invalidatePage drops only the entries of that domain covering that page and returns how many were valid', () => {
    const t = new Iotlb(16, 4);
    t.insert(0, 1, 0, leaf(1));
    t.insert(0, 2, 0, leaf(2));
    t.insert(1, 1, 0, leaf(3));
    expect(t.invalidatePage(0, 1)).toBe(1);
    expect(t.invalidatePage(0, 1)).toBe(0);
    expect(t.invalidatePage(0, 3)).toBe(0);
    expect([t.lookup(0, 2, 0), t.lookup(1, 1, 0)]).toEqual([leaf(2), leaf(3)]);
    expect(t.occupancy).toBe(2);
  });

  it('invalidatePage of a page inside a 2 MiB entry drops it; with a 4 KiB entry for the same page too, it returns 2', () => {
    const t = new Iotlb(16, 4);
    t.insert(0, 512 * 3, PageSize.large, leaf(7000));
    expect(t.invalidatePage(0, 512 * 3 + 200)).toBe(1);
    expect(t.lookup(0, 512 * 3 + 200, 1)).toBe(0);
    t.insert(0, 512 * 3, PageSize.large, leaf(7000));
    t.insert(0, 512 * 3 + 200, PageSize.small, leaf(7200));
    t.insert(0, 512 * 3 + 201, PageSize.small, leaf(7201));
    expect(t.invalidatePage(0, 512 * 3 + 200)).toBe(2);
    expect(t.lookup(0, 512 * 3 + 201, 1)).toBe(leaf(7201));
  });

  it('invalidateDomain drops every entry of one domain and returns their count; invalidateAll drops the rest', () => {
    const t = new Iotlb(16, 4);
    t.insert(0, 1, 0, leaf(1));
    t.insert(0, 2, 0, leaf(2));
    t.insert(0, 512, PageSize.large, leaf(3));
    t.insert(1, 1, 0, leaf(4));
    t.insert(2, 1, 0, leaf(5));
    expect(t.invalidateDomain(0)).toBe(3);
    expect(t.invalidateDomain(0)).toBe(0);
    expect(t.occupancy).toBe(2);
    expect(t.invalidateAll()).toBe(2);
    expect(t.invalidateAll()).toBe(0);
    expect(t.occupancy).toBe(0);
    expect(t.lookup(1, 1, 0)).toBe(0);
  });
});
