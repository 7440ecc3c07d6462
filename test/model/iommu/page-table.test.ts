import { describe, expect, it } from 'vitest';
import { PageTables, MAX_IOVA_PAGES, encodeLeaf, leafHostPage, leafPerms } from '../../../src/model/iommu/page-table.js';

describe('PageTables', () => {
  it('the first 4 KiB map of an empty domain links 3 tables below a new root and writes 1 leaf', () => {
    const t = new PageTables();
    expect(t.map(0, 0x12345, 777, 1)).toBe(4);
    expect(t.lastTablesAllocated).toBe(4); // root + 3
    expect(t.tablesAllocated).toBe(4);
    expect(t.leaves).toBe(1);
    // a neighbour in the same leaf table: one write, no table
    expect(t.map(0, 0x12346, 778, 3)).toBe(1);
    expect(t.lastTablesAllocated).toBe(0);
    // overwriting a present leaf: one write, still two leaves
    expect(t.map(0, 0x12346, 779, 3)).toBe(1);
    expect(t.leaves).toBe(2);
  });

  it('a walk reads one entry per level: 4 for a 4 KiB leaf, fewer when it stops early', () => {
    const t = new PageTables();
    t.map(0, 0x12345, 777, 2);
    const l = t.walk(0, 0x12345);
    expect(t.lastWalkRefs).toBe(4);
    expect(t.lastWalkLevel).toBe(0);
    expect([leafHostPage(l), leafPerms(l)]).toEqual([777, 2]);
    expect(t.walk(0, 0x12344)).toBe(0); // same leaf table, empty entry
    expect(t.lastWalkRefs).toBe(4);
    expect(t.walk(0, 0x12345 + (1 << 27))).toBe(0); // another top-level entry: stops at level 4
    expect(t.lastWalkRefs).toBe(1);
    expect(t.walk(1, 0x12345)).toBe(0); // a domain with no tables
    expect(t.lastWalkRefs).toBe(0);
  });

  it('2 MiB and 1 GiB leaves: 3 and 2 references per walk', () => {
    const t = new PageTables();
    expect(t.map(0, 512 * 10, 5000, 3, 1)).toBe(3); // root + 2 links + leaf
    t.walk(0, 512 * 10 + 77);
    expect([t.lastWalkRefs, t.lastWalkLevel]).toEqual([3, 1]);
    t.map(0, 512 * 512 * 3, 9000, 3, 2);
    t.walk(0, 512 * 512 * 3 + 12345);
    expect([t.lastWalkRefs, t.lastWalkLevel]).toEqual([2, 2]);
  });

  it('unmap clears one leaf once; pages past the 48-bit width never map', () => {
    const t = new PageTables();
    t.map(0, 42, 1, 1);
    expect(t.unmap(0, 42)).toBe(1);
    expect(t.unmap(0, 42)).toBe(0);
    expect(t.leaves).toBe(0);
    expect(t.walk(0, MAX_IOVA_PAGES)).toBe(0);
    expect(t.lastWalkRefs).toBe(0);
  });

  it('leaf encoding keeps host page and permissions exactly, up to 2^49 pages', () => {
    const host = 2 ** 49 - 1;
    const l = encodeLeaf(host, 3);
    expect(l).toBeLessThan(0);
    expect(leafHostPage(l)).toBe(host);
    expect(leafPerms(l)).toBe(3);
  });
});
