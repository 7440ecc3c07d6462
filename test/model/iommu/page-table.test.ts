import { describe, expect, it } from 'vitest';
import {
  PageTables,
  PageSize,
  LEVELS,
  MAX_IOVA_PAGES,
  PAGES_PER_LEAF,
  encodeLeaf,
  leafHostPage,
  leafPerms,
} from '../../../src/model/iommu/page-table.js';

const GiB_PAGES = 512 * 512; // 4 KiB pages per 1 GiB
const MiB2_PAGES = 512; // 4 KiB pages per 2 MiB

describe('page-table constants and leaf encoding', () => {
  it('4 levels, a 48-bit space of 2^36 pages, leaves of 1, 512 and 262144 pages', () => {
    expect(LEVELS).toBe(4);
    expect(MAX_IOVA_PAGES).toBe(68719476736);
    expect([...PAGES_PER_LEAF]).toEqual([1, 512, 262144]);
    expect(PageSize).toEqual({ small: 0, large: 1, huge: 2 });
  });

  it('a leaf is -(host * 4 + perms): negative, and host page and permissions read back exactly up to 2^49 pages', () => {
    expect(encodeLeaf(5, 3)).toBe(-23);
    expect(encodeLeaf(0, 1)).toBe(-1);
    for (const [host, perms] of [[0, 1], [0, 2], [777, 3], [2 ** 32 + 1, 2], [2 ** 49 - 1, 3]]) {
      const l = encodeLeaf(host, perms);
      expect(l).toBeLessThan(0);
      expect([leafHostPage(l), leafPerms(l)]).toEqual([host, perms]);
    }
  });
});

describe('PageTables.map', () => {
  it('given an empty domain, the first 4 KiB map allocates root + 3 tables (4) and makes 4 PTE writes (3 links + leaf)', () => {
    const t = new PageTables();
    expect(t.map(0, 0x12345, 777, 1)).toBe(4);
    expect(t.lastTablesAllocated).toBe(4);
    expect(t.tablesAllocated).toBe(4);
    expect(t.leaves).toBe(1);
  });

  it('given that mapping, a second page in the same leaf table costs 1 write and 0 tables', () => {
    const t = new PageTables();
    t.map(0, 0x12345, 777, 1);
    expect(t.map(0, 0x12346, 778, 3)).toBe(1);
    expect(t.lastTablesAllocated).toBe(0);
    expect(t.tablesAllocated).toBe(4);
    expect(t.leaves).toBe(2);
  });

  it('a page under the same level-1 table but another leaf table: 2 writes, 1 table; same level-2 table only: 3 writes, 2 tables; same root only: 4 writes, 3 tables', () => {
    const t = new PageTables();
    t.map(0, 0, 1, 3);
    expect([t.map(0, 512, 2, 3), t.lastTablesAllocated]).toEqual([2, 1]);
    expect([t.map(0, GiB_PAGES, 3, 3), t.lastTablesAllocated]).toEqual([3, 2]);
    expect([t.map(0, 512 * GiB_PAGES, 4, 3), t.lastTablesAllocated]).toEqual([4, 3]);
    expect(t.tablesAllocated).toBe(4 + 1 + 2 + 3);
    expect(t.leaves).toBe(4);
  });

  it('overwriting a present leaf is 1 write, keeps the leaf count, and the walk sees the new host page and permissions', () => {
    const t = new PageTables();
    t.map(0, 9, 100, 1);
    expect(t.map(0, 9, 200, 2)).toBe(1);
    expect(t.lastTablesAllocated).toBe(0);
    expect(t.leaves).toBe(1);
    const l = t.walk(0, 9);
    expect([leafHostPage(l), leafPerms(l)]).toEqual([200, 2]);
  });

  it('the top-level index uses bits 27..35: pages 7 and 2^32 + 7 are distinct, and 2^36 - 1 (the last page) maps and walks in 4 refs', () => {
    const t = new PageTables();
    t.map(0, 2 ** 32 + 7, 11, 3);
    expect(t.walk(0, 7)).toBe(0);
    expect(t.lastWalkRefs).toBe(1); // top-level entry 0 is empty
    expect(leafHostPage(t.walk(0, 2 ** 32 + 7))).toBe(11);
    expect(t.map(0, MAX_IOVA_PAGES - 1, 12, 3)).toBe(4); // new top-level entry 511: 3 links + leaf
    expect(leafHostPage(t.walk(0, MAX_IOVA_PAGES - 1))).toBe(12);
    expect(t.lastWalkRefs).toBe(4);
    expect(leafHostPage(t.walk(0, 2 ** 32 + 7))).toBe(11);
  });

  it('many mappings beyond the initial 64-table store: 100 pages 1 GiB apart allocate 4 + 99 * 2 = 202 tables and all walk back', () => {
    const t = new PageTables();
    let writes = 0;
    for (let k = 0; k < 100; k++) writes += t.map(0, k * GiB_PAGES + k, 1000 + k, 3);
    expect(writes).toBe(4 + 99 * 3);
    expect(t.tablesAllocated).toBe(202);
    expect(t.leaves).toBe(100);
    for (let k = 0; k < 100; k++) {
      expect(leafHostPage(t.walk(0, k * GiB_PAGES + k))).toBe(1000 + k);
      expect(t.lastWalkRefs).toBe(4);
    }
  });

  it('a page at or above 2^36 does not create a translation for another page (no aliasing onto page p mod 2^36)', () => {
    // Suspected bug: map() does not check the 48-bit limit and indexAt masks the top index to
    // 9 bits, so page 2^36 + 5 is written where page 5 lives.
    const t = new PageTables();
    try {
      t.map(0, MAX_IOVA_PAGES + 5, 99, 3);
    } catch {
      // rejecting the page is also correct
    }
    expect(t.walk(0, 5)).toBe(0);
  });
});

describe('PageTables.walk', () => {
  it('a 4 KiB leaf is found in 4 references at level 0', () => {
    const t = new PageTables();
    t.map(0, 0x12345, 777, 2);
    const l = t.walk(0, 0x12345);
    expect([t.lastWalkRefs, t.lastWalkLevel]).toEqual([4, 0]);
    expect([leafHostPage(l), leafPerms(l)]).toEqual([777, 2]);
  });

  it('an unmapped page returns 0, counting references up to and including the empty entry', () => {
    const t = new PageTables();
    t.map(0, 0, 1, 3);
    expect([t.walk(0, 1), t.lastWalkRefs]).toEqual([0, 4]); // empty leaf entry
    expect([t.walk(0, 512), t.lastWalkRefs]).toEqual([0, 3]); // empty level-1 entry
    expect([t.walk(0, GiB_PAGES), t.lastWalkRefs]).toEqual([0, 2]); // empty level-2 entry
    expect([t.walk(0, 512 * GiB_PAGES), t.lastWalkRefs]).toEqual([0, 1]); // empty top-level entry
  });

  it('a domain with no tables walks 0 references', () => {
    const t = new PageTables();
    t.map(0, 0, 1, 3);
    expect([t.walk(1, 0), t.lastWalkRefs]).toEqual([0, 0]);
    expect([t.walk(100, 0), t.lastWalkRefs]).toEqual([0, 0]);
  });

  it('pages at or above 2^36 fault with 0 references, even when the domain has tables', () => {
    const t = new PageTables();
    t.map(0, 5, 1, 3);
    t.walk(0, 5);
    expect(t.lastWalkRefs).toBe(4);
    expect([t.walk(0, MAX_IOVA_PAGES), t.lastWalkRefs]).toEqual([0, 0]);
    expect([t.walk(0, MAX_IOVA_PAGES + 5), t.lastWalkRefs]).toEqual([0, 0]);
    expect([t.walk(0, 2 ** 52 - 1), t.lastWalkRefs]).toEqual([0, 0]);
  });
});

describe('superpages', () => {
  it('given an empty domain, a 2 MiB leaf is root + 2 tables (3 allocated) and 3 writes (2 links + leaf); every one of its 512 pages walks in 3 refs at level 1', () => {
    const t = new PageTables();
    expect(t.map(0, MiB2_PAGES * 10, 5000, 3, PageSize.large)).toBe(3);
    expect(t.lastTablesAllocated).toBe(3);
    expect(t.leaves).toBe(1);
    for (const off of [0, 1, 77, 511]) {
      const l = t.walk(0, MiB2_PAGES * 10 + off);
      expect([t.lastWalkRefs, t.lastWalkLevel, leafHostPage(l), leafPerms(l)]).toEqual([3, 1, 5000, 3]);
    }
    expect(t.walk(0, MiB2_PAGES * 11)).toBe(0); // the next 2 MiB is unmapped
    expect(t.lastWalkRefs).toBe(3);
  });

  it('a 1 GiB leaf is 2 writes (1 link + leaf) in an empty domain and walks in 2 refs at level 2', () => {
    const t = new PageTables();
    expect(t.map(0, GiB_PAGES * 3, 9000, 1, PageSize.huge)).toBe(2);
    expect(t.lastTablesAllocated).toBe(2);
    t.walk(0, GiB_PAGES * 3 + 12345);
    expect([t.lastWalkRefs, t.lastWalkLevel]).toEqual([2, 2]);
  });

  it('unmapping any page inside a 2 MiB leaf clears the whole leaf (1 write)', () => {
    const t = new PageTables();
    t.map(0, MiB2_PAGES * 2, 4000, 3, PageSize.large);
    expect(t.unmap(0, MiB2_PAGES * 2 + 300)).toBe(1);
    expect(t.leaves).toBe(0);
    expect([t.walk(0, MiB2_PAGES * 2), t.lastWalkRefs]).toEqual([0, 3]);
    expect(t.unmap(0, MiB2_PAGES * 2)).toBe(0);
  });

  it('a 4 KiB map inside a 2 MiB leaf replaces the superpage by a new leaf table: 2 writes, 1 table, leaf count stays 1', () => {
    const t = new PageTables();
    t.map(0, 0, 1000, 3, PageSize.large);
    expect(t.map(0, 5, 7, 3)).toBe(2);
    expect(t.lastTablesAllocated).toBe(1);
    expect(t.leaves).toBe(1);
    expect(leafHostPage(t.walk(0, 5))).toBe(7);
    expect([t.walk(0, 6), t.lastWalkRefs]).toEqual([0, 4]);
  });

  it('a 2 MiB map over a leaf table holding one 4 KiB leaf leaves exactly 1 reachable leaf, and the leaf count says 1', () => {
    // Suspected bug: map() counts the superpage as a new leaf (the slot held a table index >= 0)
    // but does not discount the 4 KiB leaves of the table it replaces, so `leaves` (and the
    // live_mappings gauge built on it) over-counts.
    const t = new PageTables();
    t.map(0, 5, 1, 3);
    t.map(0, 0, 2, 3, PageSize.large);
    const l = t.walk(0, 5);
    expect([t.lastWalkLevel, leafHostPage(l)]).toEqual([1, 2]);
    expect(t.leaves).toBe(1);
  });
});

describe('PageTables.unmap and leaves', () => {
  it('unmap returns 1 for a present leaf, then 0; the page then walks to an empty entry in 4 refs', () => {
    const t = new PageTables();
    t.map(0, 42, 1, 1);
    expect(t.unmap(0, 42)).toBe(1);
    expect(t.unmap(0, 42)).toBe(0);
    expect(t.leaves).toBe(0);
    expect([t.walk(0, 42), t.lastWalkRefs]).toEqual([0, 4]);
    expect(t.tablesAllocated).toBe(4); // empty tables are kept
  });

  it('unmap of a page never mapped, of a domain without tables, or of a page >= 2^36 returns 0', () => {
    const t = new PageTables();
    t.map(0, 0, 1, 3);
    expect(t.unmap(0, 1)).toBe(0);
    expect(t.unmap(0, GiB_PAGES)).toBe(0);
    expect(t.unmap(3, 0)).toBe(0);
    expect(t.unmap(0, MAX_IOVA_PAGES)).toBe(0);
    expect(t.leaves).toBe(1);
  });

  it('leaves counts present leaves of any size: 3 maps, 1 overwrite, 1 unmap, 1 superpage -> 3', () => {
    const t = new PageTables();
    t.map(0, 1, 1, 3);
    t.map(0, 2, 2, 3);
    t.map(0, 3, 3, 3);
    expect(t.leaves).toBe(3);
    t.map(0, 2, 22, 3);
    expect(t.leaves).toBe(3);
    t.unmap(0, 1);
    expect(t.leaves).toBe(2);
    t.map(0, MiB2_PAGES * 7, 9, 3, PageSize.large);
    expect(t.leaves).toBe(3);
  });
});

describe('domains', () => {
  it('two domains have independent trees: each first map costs 4 writes and 4 tables; unmapping one does not touch the other', () => {
    const t = new PageTables();
    expect([t.map(0, 5, 100, 3), t.lastTablesAllocated]).toEqual([4, 4]);
    expect([t.map(1, 5, 200, 1), t.lastTablesAllocated]).toEqual([4, 4]);
    expect(t.tablesAllocated).toBe(8);
    expect(leafHostPage(t.walk(0, 5))).toBe(100);
    expect(leafHostPage(t.walk(1, 5))).toBe(200);
    expect(t.unmap(0, 5)).toBe(1);
    expect(t.walk(0, 5)).toBe(0);
    expect(leafHostPage(t.walk(1, 5))).toBe(200);
    expect(t.leaves).toBe(1);
  });

  it('domain ids beyond the initial 16 roots work, and domains in between stay empty', () => {
    const t = new PageTables();
    expect(t.map(40, 3, 33, 3)).toBe(4);
    expect(t.map(1000, 3, 44, 3)).toBe(4);
    expect(leafHostPage(t.walk(40, 3))).toBe(33);
    expect(leafHostPage(t.walk(1000, 3))).toBe(44);
    expect([t.walk(20, 3), t.lastWalkRefs]).toEqual([0, 0]);
  });
});
