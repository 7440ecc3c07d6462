/**
 * Paging-structure ("walk") caches, the invalidation hint, and page-table pages freed by range
 * unmaps: exact memory reads, hits and misses per level, tables live and freed.
 */
import { describe, expect, it } from 'vitest';
import { Iommu } from '../../../src/model/iommu/iommu.js';
import { PageTables } from '../../../src/model/iommu/page-table.js';
import { C, newCounters } from '../../../src/metrics/counters.js';
import { resolveProfileByName } from '../../../src/cost/profile.js';
import { Perm } from '../../../src/types/event.js';
import { replayText, trace } from '../../helpers/replay-text.js';

/** Descriptor-ring accesses off: these scenarios count the buffers' own IOMMU work (rings: test/strategies/rings.test.ts). */
const NO_RINGS = ['device.ring_accesses=0'];

/** Walk caches of 4 PDE, 2 PDPTE and 2 PML4E entries, 2-way; a large IOTLB. */
const CACHES = ['iommu.pwc_pde_entries=4', 'iommu.pwc_pdpte_entries=2', 'iommu.pwc_pml4e_entries=2', 'iommu.pwc_ways=2', 'iotlb.entries=64', 'iotlb.ways=4'];

function fresh(ih = 0): { c: Float64Array; m: Iommu } {
  const c = newCounters();
  return { c, m: new Iommu(c, resolveProfileByName('xen-2008', [...CACHES, `iommu.ih=${ih}`]).params) };
}

/** Memory reads of one translation of `page` (an IOTLB miss). */
function reads(c: Float64Array, m: Iommu, page: number): number {
  const before = c[C.walkRefs];
  m.translate(0, page, Perm.read);
  return c[C.walkRefs] - before;
}

describe('walk caches', () => {
  it('given pages in one 2 MiB block, one GiB and one 512 GiB region, then each walk starts below the deepest cached entry', () => {
    const { c, m } = fresh();
    for (const p of [0, 1, 512, 2 ** 18]) m.mapPage(0, p, 1000 + p, Perm.readWrite);
    expect(reads(c, m, 0)).toBe(4); // cold: root to leaf; fills the PML4E, PDPTE and PDE caches
    expect(reads(c, m, 1)).toBe(1); // the PDE of block 0 is cached: only the PTE
    expect(reads(c, m, 512)).toBe(2); // block 1: PDE miss, PDPTE hit: PDE + PTE
    expect(reads(c, m, 2 ** 18)).toBe(3); // GiB 1: PDE and PDPTE miss, PML4E hit
    expect([c[C.walkCacheHitsPde], c[C.walkCacheMissesPde], c[C.walkCacheHitsPdpte], c[C.walkCacheMissesPdpte], c[C.walkCacheHitsPml4e], c[C.walkCacheMissesPml4e]]).toEqual([1, 3, 1, 2, 1, 1]);
    expect(c[C.cycIotlbWalk]).toBe(10 * 220);
  });

  it('given IH clear (iommu.ih=0), then a page-selective invalidation also drops the walk caches\' entries spanning its page', () => {
    const { c, m } = fresh(0);
    m.mapPage(0, 0, 1000, Perm.readWrite);
    m.mapPage(0, 1, 1001, Perm.readWrite);
    reads(c, m, 0);
    m.invalidatePage(0, 1);
    expect(c[C.walkCacheInvalidatedEntries]).toBe(3);
    expect(reads(c, m, 1)).toBe(4);
  });

  it('given iommu.psi_walk_levels=1, then an IH-clear invalidation drops only the PDE entry: the next walk there reads PDE + PTE', () => {
    const c = newCounters();
    const m = new Iommu(c, resolveProfileByName('xen-2008', [...CACHES, 'iommu.ih=0', 'iommu.psi_walk_levels=1']).params);
    m.mapPage(0, 0, 1000, Perm.readWrite);
    m.mapPage(0, 1, 1001, Perm.readWrite);
    reads(c, m, 0);
    m.invalidatePage(0, 1);
    expect(c[C.walkCacheInvalidatedEntries]).toBe(1);
    expect(reads(c, m, 1)).toBe(2);
  });

  it('given IH set (iommu.ih=1), then the walk caches survive a page-selective invalidation, unless page-table pages were freed', () => {
    const { c, m } = fresh(1);
    m.mapPage(0, 0, 1000, Perm.readWrite);
    m.mapPage(0, 1, 1001, Perm.readWrite);
    m.mapPage(0, 2, 1002, Perm.readWrite);
    reads(c, m, 0);
    m.invalidateRange(0, 1, 1);
    expect(reads(c, m, 1)).toBe(1);
    m.invalidateRange(0, 2, 1, true); // non-leaf entries changed: IH must be clear
    expect(reads(c, m, 2)).toBe(4);
  });

  it('a domain-selective invalidation drops that domain\'s entries only', () => {
    const { c, m } = fresh(1);
    for (const d of [0, 1]) {
      m.mapPage(d, 0, 1000 + d, Perm.readWrite);
      m.mapPage(d, 1, 2000 + d, Perm.readWrite);
      m.translate(d, 0, Perm.read);
    }
    m.invalidateDomain(0);
    const before = c[C.walkRefs];
    m.translate(1, 1, Perm.read);
    expect(c[C.walkRefs] - before).toBe(1);
    m.translate(0, 1, Perm.read);
    expect(c[C.walkRefs] - before).toBe(1 + 4);
  });

  it('with no walk caches (xen-2008), every IOTLB miss reads from the root', () => {
    const c = newCounters();
    const m = new Iommu(c, resolveProfileByName('xen-2008').params);
    m.mapPage(0, 0, 1000, Perm.read);
    m.mapPage(0, 1, 1001, Perm.read);
    m.translate(0, 0, Perm.read);
    m.translate(0, 1, Perm.read);
    expect([c[C.walkRefs], c[C.walkCacheHitsPde], c[C.walkCacheMissesPde]]).toEqual([8, 0, 0]);
  });
});

describe('page-table pages freed by range unmaps (Linux dma_pte_clear_level)', () => {
  it('given one full leaf table, when the range covering it is unmapped, then the table is freed with one write to its parent entry', () => {
    const t = new PageTables();
    for (let p = 0; p < 512; p++) t.map(0, p, 5000 + p, Perm.read);
    expect([t.liveTables, t.leaves]).toEqual([4, 512]);
    expect(t.unmapRange(0, 0, 512)).toBe(1);
    expect([t.lastTablesFreed, t.liveTables, t.leaves]).toEqual([1, 3, 0]);
    expect(t.walk(0, 7)).toBe(0);
  });

  it('given two leaf tables, when a range covers the first and part of the second, then the first is freed and the second keeps its other pages', () => {
    const t = new PageTables();
    for (let p = 0; p < 1024; p++) t.map(0, p, 5000 + p, Perm.read);
    expect(t.unmapRange(0, 0, 600)).toBe(1 + 88);
    expect([t.lastTablesFreed, t.liveTables, t.leaves]).toEqual([1, 4, 424]);
  });

  it('a table emptied by an unmap that does not cover its whole span is kept, as Linux keeps it', () => {
    const t = new PageTables();
    for (let p = 0; p < 10; p++) t.map(0, p, 5000 + p, Perm.read);
    expect(t.unmapRange(0, 0, 10)).toBe(10);
    expect([t.lastTablesFreed, t.liveTables, t.leaves]).toEqual([0, 4, 0]);
  });

  it('a freed table is reused, zeroed, and the translation cache never returns it for its old block', () => {
    const t = new PageTables();
    for (let p = 0; p < 512; p++) t.map(0, p, 5000 + p, Perm.read);
    t.walk(0, 3); // caches block 0's leaf table
    t.unmapRange(0, 0, 512);
    expect(t.walk(0, 3)).toBe(0);
    expect(t.map(0, 1024, 9000, Perm.read)).toBe(2); // a new leaf table (the freed one, reused) + leaf
    expect([t.liveTables, t.walk(0, 3), t.walk(0, 1025)]).toEqual([4, 0, 0]);
  });

  it('the IOMMU counts pages freed, live and at peak', () => {
    const c = newCounters();
    const m = new Iommu(c, resolveProfileByName('xen-2008').params);
    for (let p = 0; p < 512; p++) m.mapPage(0, p, 5000 + p, Perm.read);
    expect(m.unmapRange(0, 0, 512)).toBe(1);
    expect([c[C.ptTablesFreed], c[C.ptTablesLive], c[C.ptTablesPeak], c[C.ptTables]]).toEqual([1, 3, 4, 4]);
  });
});

describe('linux-strict and the invalidation hint', () => {
  // Two one-page DMAs in turn on one device: the second gets the first's IOVA back.
  const T = trace('0,0,nic0,net,map,to_device,0x5000,64,1,', '10,0,nic0,net,unmap,,,,1,', '20,0,nic0,net,map,to_device,0x7000,64,2,', '30,0,nic0,net,unmap,,,,2,');

  it('given IH clear (Linux before the October 2025 fix), then each unmap\'s invalidation empties the walk caches and the next walk reads from the root', async () => {
    const r = (await replayText(T, 'linux-strict', [...NO_RINGS, ...CACHES, 'iommu.ih=0'])).by['linux-strict'];
    expect([r.counters.walk_refs, r.counters.walk_cache_misses_pml4e]).toEqual([8, 2]);
  });

  it('given IH set, then the second walk finds its PDE cached: one memory read', async () => {
    const r = (await replayText(T, 'linux-strict', [...NO_RINGS, ...CACHES, 'iommu.ih=1'])).by['linux-strict'];
    expect([r.counters.walk_refs, r.counters.walk_cache_hits_pde]).toEqual([5, 1]);
  });
});
