/**
 * The IOMMU as a strategy drives it: per-domain page tables, the shared IOTLB, an invalidation
 * interface with a synchronous wait, and device translations that fault.
 *
 * Models: map/unmap of leaves (every PTE write counted), range unmaps that free page-table
 * pages as Linux does (page-table.ts), translation through the IOTLB with a page walk on a miss
 * that starts below the deepest hit in the paging-structure caches (walk-cache.ts: each memory
 * read counted), not-present and permission faults, page/domain/global invalidation requests and
 * the synchronous wait for them (VT-d queued invalidation: descriptors, then a wait descriptor;
 * AMD-Vi: INVALIDATE_IOMMU_PAGES then COMPLETION_WAIT). A page-selective invalidation drops the
 * walk caches' entries for its range unless it carries the invalidation hint (IH): software sets
 * IH only when it changed no non-leaf entry, and whether it sets it at all is `iommu.ih` (Linux
 * before the October 2025 fix always sent IH = 0).
 * Does not model: fault reporting queues, interrupt remapping, ATS/PRI, queue-full stalls, the
 * context cache.
 * Cost charged: `pt-update` per PTE write (pt.update_cycles); `iotlb-invalidate` per request
 * (page, range with address mask, domain or global)
 * (iotlb.invalidate_cycles) and per wait (iotlb.wait_cycles); `iotlb-walk` per page-table
 * memory reference on a miss (iommu.walk_ref_cycles; IOMMU time, not CPU time).
 */
import { C } from '../../metrics/counters.js';
import type { ResolvedParams } from '../../cost/schema.js';
import { Iotlb } from './iotlb.js';
import { WalkCaches } from './walk-cache.js';
import { PageTables, PAGES_PER_LEAF, leafHostPage, leafPerms } from './page-table.js';
import { TripleKeyMap, hiOf } from '../../util/triple-key-map.js';

/**
 * Largest address mask (log2 pages) of one page-selective invalidation: 9 (2 MiB). VT-d's MAMV
 * is implementation specific; 9 is an assumption that matches the largest superpage commonly
 * mapped by dma-iommu.
 */
export const MAX_ADDRESS_MASK = 9;
/** 2^k for k up to MAX_ADDRESS_MASK + 1 (a table, not `2 ** k`, which is a Math.pow call). */
const POW2 = Array.from({ length: MAX_ADDRESS_MASK + 2 }, (_, k) => 2 ** k);

/** Counter ids of each walk-cache level's hits and misses (pde, pdpte, pml4e). */
const WALK_HIT_IDS = [C.walkCacheHitsPde, C.walkCacheHitsPdpte, C.walkCacheHitsPml4e];
const WALK_MISS_IDS = [C.walkCacheMissesPde, C.walkCacheMissesPdpte, C.walkCacheMissesPml4e];

export class Iommu {
  readonly tables = new PageTables();
  readonly iotlb: Iotlb;
  readonly walkCaches: WalkCaches;
  /** Whether page-selective invalidations carry the invalidation hint when no non-leaf entry
   * changed (iommu.ih); a strategy may set it (fands honours IH whatever the profile says). */
  hint: boolean;
  /** Walk-cache levels, deepest first, an IH-clear page-selective invalidation drops (1-3). */
  private readonly psiWalkLevels: number;

  private readonly ptUpdateCycles: number;
  private readonly invalidateCycles: number;
  private readonly waitCycles: number;
  private readonly walkRefCycles: number;
  /** Count IOTLB hits on removed mappings (costs a silent table lookup per hit: lazy only). */
  countStaleHits = false;
  /** Host page the last successful translation reached (attack evaluation reads it). */
  lastHostPage = -1;
  /**
   * Host pages a VMM-held second translation stage no longer grants (nested translation, as the
   * linux-* strategies assume): translations that land on them fault. Null when unused.
   */
  revokedHosts: TripleKeyMap | null = null;
  /** Largest leaf level mapped in each domain, so lookups skip sizes a domain never uses. */
  private maxLevel = new Uint8Array(16);

  constructor(
    private readonly c: Float64Array,
    params: ResolvedParams,
  ) {
    this.iotlb = new Iotlb(params['iotlb.entries'], params['iotlb.ways']);
    this.walkCaches = new WalkCaches([params['iommu.pwc_pde_entries'], params['iommu.pwc_pdpte_entries'], params['iommu.pwc_pml4e_entries']], params['iommu.pwc_ways']);
    this.hint = params['iommu.ih'] === 1;
    this.psiWalkLevels = params['iommu.psi_walk_levels'];
    this.ptUpdateCycles = params['pt.update_cycles'];
    this.invalidateCycles = params['iotlb.invalidate_cycles'];
    this.waitCycles = params['iotlb.wait_cycles'];
    this.walkRefCycles = params['iommu.walk_ref_cycles'];
  }

  /** Maps one leaf, charging its PTE writes as `pt-update`. */
  mapPage(domain: number, page: number, hostPage: number, perms: number, level = 0): void {
    const writes = this.tables.map(domain, page, hostPage, perms, level);
    const c = this.c;
    c[C.ptUpdates] += writes;
    c[C.cycPtUpdate] += writes * this.ptUpdateCycles;
    c[C.ptTables] += this.tables.lastTablesAllocated;
    this.noteLevel(domain, level);
    this.updateGauges();
  }

  /** Maps one leaf as one-time setup: its writes go to the setup counters, not the run's. */
  setupMapPage(domain: number, page: number, hostPage: number, perms: number, level = 0): void {
    const writes = this.tables.map(domain, page, hostPage, perms, level);
    const c = this.c;
    c[C.setupPtUpdates] += writes;
    c[C.setupCycles] += writes * this.ptUpdateCycles;
    c[C.ptTables] += this.tables.lastTablesAllocated;
    this.noteLevel(domain, level);
    this.updateGauges();
  }

  /**
   * Maps pages [0, pages) of a fresh domain to host pages hostBase + page as one-time setup, with
   * `level` leaves (smaller ones for the tail): the counters get exactly what mapping them leaf
   * by leaf gives, while the tables are built only where the device goes (page-table.ts).
   */
  setupMapIdentity(domain: number, pages: number, hostBase: number, perms: number, level: number): void {
    const region = this.tables.mapIdentity(domain, pages, hostBase, perms, level);
    if (region === null) {
      // A domain with tables already: leaf by leaf, largest leaves first.
      let page = 0;
      for (let l = level; l >= 0; l--) {
        const step = PAGES_PER_LEAF[l];
        for (; page + step <= pages; page += step) this.setupMapPage(domain, page, hostBase + page, perms, l);
      }
      return;
    }
    const c = this.c;
    c[C.setupPtUpdates] += region.writes;
    c[C.setupCycles] += region.writes * this.ptUpdateCycles;
    c[C.ptTables] += region.tables;
    if (region.leaves > 0) this.noteLevel(domain, region.topLevel);
    this.updateGauges();
  }

  /** Clears one leaf (one PTE write when it was present). Does not touch the IOTLB. */
  unmapPage(domain: number, page: number): void {
    const writes = this.tables.unmap(domain, page);
    this.c[C.ptUpdates] += writes;
    this.c[C.cycPtUpdate] += writes * this.ptUpdateCycles;
    this.updateGauges();
  }

  /**
   * Unmaps the pages [first, first + pages) in one call, as Linux's iommu_unmap does: leaves
   * cleared, and page-table pages whose whole span the range covers freed.
   * @returns the page-table pages freed (the invalidation that follows must then clear IH).
   */
  unmapRange(domain: number, first: number, pages: number): number {
    const writes = this.tables.unmapRange(domain, first, pages);
    const freed = this.tables.lastTablesFreed;
    const c = this.c;
    c[C.ptUpdates] += writes;
    c[C.cycPtUpdate] += writes * this.ptUpdateCycles;
    c[C.ptTablesFreed] += freed;
    this.updateGauges();
    return freed;
  }

  /**
   * Submits a page-selective invalidation request for one page. `nonLeafChanged`: page-table
   * pages were freed (or non-leaf entries changed), so IH must be clear.
   */
  invalidatePage(domain: number, page: number, nonLeafChanged = false): void {
    const c = this.c;
    c[C.iotlbInvalidations]++;
    c[C.cycIotlbInvalidate] += this.invalidateCycles;
    c[C.iotlbInvalidatedEntries] += this.iotlb.invalidatePage(domain, page);
    if (!this.hint || nonLeafChanged) c[C.walkCacheInvalidatedEntries] += this.walkCaches.invalidateRange(domain, page, 1, this.psiWalkLevels);
  }

  /**
   * Submits one page-selective invalidation with an address mask (VT-d PSI, AM field) covering
   * `pages` pages from `firstPage`: the naturally aligned power-of-two block that holds them.
   * Blocks larger than 2^MAX_ADDRESS_MASK pages become a domain-selective invalidation, as
   * Linux does when the range exceeds the hardware's maximum address mask.
   */
  invalidateRange(domain: number, firstPage: number, pages: number, nonLeafChanged = false): void {
    // The smallest aligned power-of-two block holding the range; past the maximum mask the search
    // stops (2 ** order, not 1 << order, which overflows 32 bits for ranges near page 2^31).
    let order = 0;
    while (order <= MAX_ADDRESS_MASK && (POW2[order] < pages || Math.floor(firstPage / POW2[order]) !== Math.floor((firstPage + pages - 1) / POW2[order]))) order++;
    if (order > MAX_ADDRESS_MASK) {
      this.invalidateDomain(domain);
      return;
    }
    const c = this.c;
    c[C.iotlbInvalidations]++;
    c[C.cycIotlbInvalidate] += this.invalidateCycles;
    const block = POW2[order];
    const start = Math.floor(firstPage / block) * block;
    for (let p = start; p < start + block; p++) c[C.iotlbInvalidatedEntries] += this.iotlb.invalidatePage(domain, p);
    if (!this.hint || nonLeafChanged) c[C.walkCacheInvalidatedEntries] += this.walkCaches.invalidateRange(domain, start, block, this.psiWalkLevels);
  }

  /** Submits a domain-selective invalidation request. */
  invalidateDomain(domain: number): void {
    const c = this.c;
    c[C.iotlbInvalidations]++;
    c[C.cycIotlbInvalidate] += this.invalidateCycles;
    c[C.iotlbInvalidatedEntries] += this.iotlb.invalidateDomain(domain);
    c[C.walkCacheInvalidatedEntries] += this.walkCaches.invalidateDomain(domain);
  }

  /** Submits a global invalidation request. */
  invalidateAll(): void {
    const c = this.c;
    c[C.iotlbInvalidations]++;
    c[C.cycIotlbInvalidate] += this.invalidateCycles;
    c[C.iotlbInvalidatedEntries] += this.iotlb.invalidateAll();
    c[C.walkCacheInvalidatedEntries] += this.walkCaches.invalidateDomain(-1);
  }

  /** Waits synchronously until every submitted invalidation has completed. */
  waitForInvalidations(): void {
    this.c[C.iotlbWaits]++;
    this.c[C.cycIotlbInvalidate] += this.waitCycles;
  }

  /**
   * Translates a device access to 4 KiB page `page` of `domain` needing permissions `need`.
   * @returns the host page, or -1 when the access faults (counted).
   */
  translate(domain: number, page: number, need: number): number {
    const c = this.c;
    const maxLevel = domain < this.maxLevel.length ? this.maxLevel[domain] : 0;
    let leaf = this.iotlb.lookup(domain, page, maxLevel);
    let level = 0;
    if (leaf !== 0) {
      c[C.iotlbHits]++;
      level = this.iotlb.lastHitLevel;
      // A hit on a translation already removed from the tables: the device still gets through.
      if (this.countStaleHits && this.tables.walk(domain, page) === 0) c[C.iotlbStaleHits]++;
    } else {
      c[C.iotlbMisses]++;
      leaf = this.tables.walk(domain, page);
      let refs = this.tables.lastWalkRefs;
      if (this.walkCaches.enabled) refs = this.cachedWalk(domain, page, leaf, refs);
      c[C.walkRefs] += refs;
      c[C.cycIotlbWalk] += refs * this.walkRefCycles;
      if (leaf === 0) {
        c[C.faults]++;
        c[C.faultsNotPresent]++;
        return -1;
      }
      level = this.tables.lastWalkLevel;
      this.iotlb.insertAfterMiss(domain, page, level, leaf);
      c[C.iotlbEvictions] += this.iotlb.lastEvicted;
    }
    if ((leafPerms(leaf) & need) !== need) {
      c[C.faults]++;
      c[C.faultsPermission]++;
      return -1;
    }
    // The page's offset in its superpage, without % (a slow fmod on doubles).
    const host = level === 0 ? leafHostPage(leaf) : leafHostPage(leaf) + (page - Math.floor(page / PAGES_PER_LEAF[level]) * PAGES_PER_LEAF[level]);
    if (this.revokedHosts !== null && this.revokedHosts.get(0, hiOf(host), host >>> 0) >= 0) {
      c[C.faults]++;
      c[C.faultsNotPresent]++;
      return -1;
    }
    this.lastHostPage = host;
    return host;
  }

  /**
   * The walk-cache side of a walk that read `refs` entries from the root (`leaf` 0: not present):
   * looks up the caches, deepest first, fills the levels the walk read below the hit, counts
   * hits and misses per level. @returns the memory reads the walk makes.
   */
  private cachedWalk(domain: number, page: number, leaf: number, refs: number): number {
    const leafLevel = leaf !== 0 ? this.tables.lastWalkLevel : 0;
    const wc = this.walkCaches;
    wc.lookup(domain, page, leafLevel, this.c, WALK_HIT_IDS, WALK_MISS_IDS);
    // Non-leaf entries the walk found present: from the top down to table level `deepest` + 1.
    const deepest = leaf !== 0 ? leafLevel : 4 - refs;
    if (deepest <= 2) wc.fill(domain, page, deepest);
    return Math.max(1, refs - wc.lastSkipped);
  }

  private noteLevel(domain: number, level: number): void {
    if (domain >= this.maxLevel.length) {
      let n = this.maxLevel.length;
      while (n <= domain) n *= 2;
      const m = new Uint8Array(n);
      m.set(this.maxLevel);
      this.maxLevel = m;
    }
    if (level > this.maxLevel[domain]) this.maxLevel[domain] = level;
  }

  private updateGauges(): void {
    const c = this.c;
    c[C.liveMappings] = this.tables.leaves;
    if (this.tables.leaves > c[C.peakMappings]) c[C.peakMappings] = this.tables.leaves;
    c[C.ptTablesLive] = this.tables.liveTables;
    if (this.tables.liveTables > c[C.ptTablesPeak]) c[C.ptTablesPeak] = this.tables.liveTables;
  }
}
