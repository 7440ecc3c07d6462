/**
 * A lazily built identity region (direct-map's guest RAM) is, to every observer, the same page
 * tables as mapping the region leaf by leaf: the same set-up counts (PTE writes, tables, leaves),
 * and for any later sequence of walks, maps (4 KiB leaves and superpages over the region) and
 * unmaps, the same answers, walk references, leaf levels and table allocations. Only the memory
 * differs: tables exist where something went. Range unmaps free tables as Linux does, the
 * region's unbuilt ones included, and the live-table count stays the full layout's.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PageTables, PAGES_PER_LEAF } from '../../../src/model/iommu/page-table.js';

const HOST = 7 * 2 ** 40;

/** The region mapped as direct-map used to: leaf by leaf, the largest first. Returns its counts. */
function eager(t: PageTables, pages: number, level: number): { writes: number; tables: number } {
  let writes = 0;
  let tables = 0;
  let page = 0;
  for (let l = level; l >= 0; l--) {
    const step = PAGES_PER_LEAF[l];
    for (; page + step <= pages; page += step) {
      writes += t.map(0, page, HOST + page, 3, l);
      tables += t.lastTablesAllocated;
    }
  }
  return { writes, tables };
}

type Op = { kind: 'walk' | 'unmap'; page: number } | { kind: 'map'; page: number; level: number } | { kind: 'range'; page: number; pages: number };

describe('a lazily built identity region', () => {
  it('given 1 GiB of 4 KiB pages, then the counts of the full layout: 262,144 leaves, 515 tables, 262,658 PTE writes', () => {
    const t = new PageTables();
    const r = t.mapIdentity(0, 262_144, HOST, 3, 0)!;
    expect([r.leaves, r.tables, r.writes, t.leaves]).toEqual([262_144, 515, 262_658, 262_144]);
    expect(t.tablesAllocated).toBe(1); // only the root is built
  });

  it('behaves as the eagerly mapped region for any walks, maps and unmaps', () => {
    const layout = fc.oneof(
      fc.record({ level: fc.constant(0), pages: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ level: fc.constant(1), pages: fc.integer({ min: 1, max: 5 * 512 + 700 }) }),
      fc.record({ level: fc.constant(2), pages: fc.integer({ min: 262_144 - 600, max: 262_144 + 1300 }) }),
      // 4 KiB leaves over more than 1 GiB: whole level-2 entries of unbuilt tables to free.
      fc.record({ level: fc.constant(0), pages: fc.integer({ min: 262_144, max: 600_000 }) }),
    );
    const op = (span: number) =>
      fc.oneof(
        fc.record({ kind: fc.constantFrom('walk' as const, 'unmap' as const), page: fc.integer({ min: 0, max: span }) }),
        fc.record({ kind: fc.constant('map' as const), page: fc.integer({ min: 0, max: span }), level: fc.integer({ min: 0, max: 2 }) }),
        fc.record({ kind: fc.constant('range' as const), page: fc.integer({ min: 0, max: span }), pages: fc.oneof(fc.integer({ min: 1, max: 2048 }), fc.integer({ min: 1, max: 600_000 })) }),
        fc.record({ kind: fc.constant('range' as const), page: fc.constantFrom(0, 262_144), pages: fc.constantFrom(262_144, 524_288) }),
      );
    fc.assert(
      fc.property(
        layout.chain((l) => fc.tuple(fc.constant(l), fc.array(op(Math.ceil(l.pages * 1.5) + 1024), { maxLength: 60 }))),
        ([{ level, pages }, ops]) => {
          const lazy = new PageTables();
          const full = new PageTables();
          const region = lazy.mapIdentity(0, pages, HOST, 3, level)!;
          const counts = eager(full, pages, level);
          expect({ writes: region.writes, tables: region.tables }).toEqual(counts);
          expect(lazy.leaves).toBe(full.leaves);
          expect(lazy.liveTables).toBe(full.liveTables);
          for (const o of ops as Op[]) {
            if (o.kind === 'map') {
              const aligned = Math.floor(o.page / PAGES_PER_LEAF[o.level]) * PAGES_PER_LEAF[o.level];
              expect(lazy.map(0, aligned, 5 + aligned, 1, o.level)).toBe(full.map(0, aligned, 5 + aligned, 1, o.level));
              expect(lazy.lastTablesAllocated).toBe(full.lastTablesAllocated);
            } else if (o.kind === 'range') {
              expect(lazy.unmapRange(0, o.page, o.pages)).toBe(full.unmapRange(0, o.page, o.pages));
              expect(lazy.lastTablesFreed).toBe(full.lastTablesFreed);
            } else if (o.kind === 'walk') {
              expect(lazy.walk(0, o.page)).toBe(full.walk(0, o.page));
              expect([lazy.lastWalkRefs, lazy.lastWalkLevel]).toEqual([full.lastWalkRefs, full.lastWalkLevel]);
            } else {
              expect(lazy.unmap(0, o.page)).toBe(full.unmap(0, o.page));
            }
            expect(lazy.leaves).toBe(full.leaves);
            expect(lazy.liveTables).toBe(full.liveTables);
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('builds only the tables on the paths walked: one 4 KiB page of 1 GiB costs four tables', () => {
    const t = new PageTables();
    t.mapIdentity(0, 262_144, HOST, 3, 0);
    expect(t.walk(0, 100_000)).toBeLessThan(0);
    expect(t.lastWalkRefs).toBe(4);
    expect(t.tablesAllocated).toBe(4);
  });
});
