/**
 * The part of Linux's dma-iommu path (drivers/iommu/dma-iommu.c) that linux-strict and
 * linux-lazy share: one IOMMU domain per device, an IOVA range per mapping from the rcache
 * allocator, one PTE per page, and the device accessing the buffer through its IOVA. A
 * scatter-gather list is one mapping, as iommu_dma_map_sg makes it: one IOVA range for the whole
 * list, each segment starting on a page of its own within it, one PTE per page; and one unmap for
 * the range (iommu_dma_unmap_sg).
 *
 * Models: the OS programs the IOMMU itself, with no hypercall: bare metal, or a guest whose
 * IOMMU uses nested translation (its second stage, set up once by the VMM like direct-map,
 * confines it to its own memory; a page the guest does not own is refused). A guest behind an
 * emulated vIOMMU would add a trap per map and unmap, which is not modelled here.
 * Does not model what nesting itself adds in a guest: a two-dimensional walk on an IOTLB miss (up
 * to 24 memory references with 4-level tables at both stages, fewer with paging-structure caches;
 * 4 are charged) and, on VT-d without hardware-accelerated invalidation, a VM exit per
 * invalidation the guest submits. So in a guest the linux-* costs are lower bounds: bare-metal
 * costs.
 * Cost charged: `driver`; `iova-alloc` per alloc/free (fast or slow path); `pt-update` per PTE
 * write; `iotlb-walk`. Unmap-side invalidation is the caller's.
 */
import { C } from '../metrics/counters.js';
import { dmaRefused, dmaThroughIommu, sgRefused, sgThroughIova } from '../model/device/dma-engine.js';
import { SgList } from '../model/device/sg-list.js';
import { Iommu } from '../model/iommu/iommu.js';
import { LinuxIovaAllocator } from '../model/iommu/linux-iova.js';
import { Vmm } from '../model/vmm/vmm.js';
import { permForDir, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext } from '../types/strategy.js';
import { TripleKeyMap, hiOf } from '../util/triple-key-map.js';
import { ReachablePages } from './reachable-pages.js';
import { RingTraffic } from './ring-traffic.js';
import { chargeMap, chargeUnmap, refuseMap, driverCosts, growFloat64, iovaOfAccess, type DriverCosts } from './common.js';

export class LinuxDmaApi {
  readonly vmm: Vmm;
  readonly iommu: Iommu;
  readonly driver: DriverCosts;
  private readonly allocators: LinuxIovaAllocator[] = [];
  private readonly params: StrategyContext['params'];
  private readonly allocCycles: number;
  private readonly slowAllocCycles: number;
  private readonly freeCycles: number;
  private readonly slowFreeCycles: number;
  /** Per in-flight DMA: first IOVA page (-1 when refused). */
  slotIova = new Float64Array(0);
  readonly reachable: ReachablePages;
  readonly rings: RingTraffic;
  /** The segments of the DMA being mapped or unmapped (read by the caller after unmapPages). */
  readonly sg = new SgList();
  /** Page-table pages the last unmapPages freed (its invalidation must then clear IH). */
  lastTablesFreed = 0;
  /** Count distinct IOVA ranges handed out (`iova_distinct`), per domain. */
  countDistinctIovas = false;
  private readonly seenIovas = new TripleKeyMap(64);

  constructor(
    private readonly c: Float64Array,
    private readonly ctx: StrategyContext,
  ) {
    this.params = ctx.params;
    this.allocCycles = ctx.params['iova.alloc_cycles'];
    this.slowAllocCycles = ctx.params['iova.slow_alloc_cycles'];
    this.freeCycles = ctx.params['iova.free_cycles'];
    this.slowFreeCycles = ctx.params['iova.slow_free_cycles'];
    this.driver = driverCosts(ctx.params);
    this.vmm = new Vmm(c, ctx.params);
    this.iommu = new Iommu(c, ctx.params);
    this.reachable = new ReachablePages(c);
    this.rings = new RingTraffic(c, ctx.params, this.iommu, this.vmm, 'device-domain');
    this.cachedMaxPages = ctx.params['iova.cached_max_pages'];
  }

  /** The replay's buffer tracker (segments of scatter-gather DMAs). */
  get ctxSlots(): StrategyContext['slots'] {
    return this.ctx.slots;
  }

  /** Grows per-slot state to the tracker's slot capacity; call once per batch. */
  syncSlots(): void {
    const n = this.ctx.slots.slotCapacity;
    if (n > this.slotIova.length) this.slotIova = growFloat64(this.slotIova, n);
  }

  /** Largest range the IOVA caches hold (iova.cached_max_pages unless a strategy raises it). */
  cachedMaxPages: number;

  allocator(domain: number): LinuxIovaAllocator {
    let a = this.allocators[domain];
    if (a === undefined) {
      a = new LinuxIovaAllocator(this.params['iova.magazine_size'], this.params['iova.depot_magazines'], this.cachedMaxPages);
      this.allocators[domain] = a;
    }
    return a;
  }

  /** dma_map_*: one IOVA range for the DMA's pages, then one PTE per page with its direction. */
  map(b: EventBatch, i: number): void {
    this.mapAt(b, i, -1);
  }

  /**
   * Maps the DMA at row i at IOVA page `at`, or at a range allocated for it when `at` < 0: the
   * driver's work, the ownership check, one PTE per page with the DMA's direction, the descriptor
   * read. @returns the DMA's first IOVA page, or -1 when the map was refused.
   */
  mapAt(b: EventBatch, i: number, at: number): number {
    const c = this.c;
    const guest = b.guest[i];
    const domain = b.device[i];
    const sg = this.sg.load(b, i, this.ctx.slots);
    const pages = sg.totalPages;
    const slot = b.slot[i];
    chargeMap(c, this.driver, sg.totalLen);
    for (let p = 0; p < pages; p++) {
      if (!this.vmm.owns(guest, sg.gpn[p])) {
        refuseMap(c, sg.totalLen, b.line[i]);
        this.slotIova[slot] = -1;
        return -1;
      }
    }
    const iova = at >= 0 ? at : this.allocIova(domain, pages, b.cpu[i]);
    const perms = permForDir(b.dir[i]);
    for (let p = 0; p < pages; p++) {
      this.iommu.mapPage(domain, iova + p, this.vmm.hostPage(guest, sg.gpn[p]), perms);
      this.reachable.note(guest, sg.gpn[p], 1);
    }
    c[C.pagesMappedNew] += pages;
    this.slotIova[slot] = iova;
    this.rings.posted(b, i);
    return iova;
  }

  /** alloc_iova_fast of `pages` on `cpu`, charged by path (cache or rbtree). */
  allocIova(domain: number, pages: number, cpu: number): number {
    const c = this.c;
    const alloc = this.allocator(domain);
    const iova = alloc.alloc(pages, cpu);
    if (this.countDistinctIovas && this.seenIovas.get(domain, hiOf(iova), iova >>> 0) < 0) {
      this.seenIovas.set(domain, hiOf(iova), iova >>> 0, 1);
      c[C.iovaDistinct]++;
    }
    c[C.iovaAllocs]++;
    if (alloc.lastAllocSlow) {
      c[C.iovaSlowAllocs]++;
      c[C.cycIovaAlloc] += this.slowAllocCycles;
    } else c[C.cycIovaAlloc] += this.allocCycles;
    return iova;
  }

  /**
   * dma_unmap_*: the device's implicit access (if any), the driver's work and the PTE clears.
   * The pages stop counting as reachable now, unless `reachableUntilFlush` (lazy mode: stale IOTLB
   * entries can still reach them until the flush, which calls `releaseReachable`). Leaves the
   * DMA's segments in `sg`.
   * With `keepMapped` the PTEs stay and the pages stay reachable (the caller unmaps a whole range
   * later: fands).
   * @returns the DMA's first IOVA page, or -1 when its map was refused (nothing to undo).
   */
  unmapPages(b: EventBatch, i: number, reachableUntilFlush = false, keepMapped = false): number {
    const c = this.c;
    const domain = b.device[i];
    const iova = this.slotIova[b.slot[i]];
    const sg = this.sg.load(b, i, this.ctx.slots);
    if (b.implicitAccess[i] === 1) {
      if (iova < 0) sgRefused(c, sg);
      else sgThroughIova(this.iommu, c, domain, iova, sg, permForDir(b.dir[i]));
    }
    if (iova >= 0) this.rings.completed(b, i);
    chargeUnmap(c, this.driver, b.len[i], iova < 0);
    if (iova < 0) return -1;
    if (keepMapped) return iova;
    const pages = sg.totalPages;
    // One iommu_unmap of the DMA's whole IOVA range (it frees page-table pages it covers whole).
    this.lastTablesFreed = this.iommu.unmapRange(domain, iova, pages);
    if (!reachableUntilFlush) this.releaseReachable(b.guest[i], sg.gpn, 0, pages);
    return iova;
  }

  /** Guest pages gpn[from, from + pages) of a DMA no longer reachable by its device. */
  releaseReachable(guest: number, gpn: Float64Array, from: number, pages: number): void {
    for (let p = 0; p < pages; p++) this.reachable.note(guest, gpn[from + p], -1);
  }

  /** Returns an IOVA range to its device's allocator, on `cpu`: the cache push, or the rbtree erase when
   * the range does not go to the caches (as alloc charges one path or the other), plus one erase
   * per range of a magazine pushed back to the tree. */
  freeIova(domain: number, iova: number, pages: number, cpu: number): void {
    const c = this.c;
    const alloc = this.allocator(domain);
    alloc.free(iova, pages, cpu);
    c[C.iovaFrees]++;
    if (alloc.lastFreeCached) c[C.cycIovaAlloc] += this.freeCycles;
    if (alloc.lastFreeSlow > 0) {
      c[C.iovaSlowFrees] += alloc.lastFreeSlow;
      c[C.cycIovaAlloc] += alloc.lastFreeSlow * this.slowFreeCycles;
    }
  }

  /**
   * The device uses the buffer's IOVA. Reassigning a page: the VMM drops it from the guest's
   * second translation stage (and invalidates the nested translation of that page before the page
   * changes hands, modelled as taking effect at once), so the device's translation faults.
   */
  probe(): AttackProbe {
    const iommu = this.iommu;
    const revoked = (iommu.revokedHosts ??= new TripleKeyMap(16));
    return {
      iommu,
      devicePage: (slot) => this.slotIova[slot],
      reassign: (guest, gpn) => {
        const host = this.vmm.hostPage(guest, gpn);
        revoked.set(0, hiOf(host), host >>> 0, 1);
        return true;
      },
      restore: (guest, gpn) => {
        const host = this.vmm.hostPage(guest, gpn);
        revoked.delete(0, hiOf(host), host >>> 0);
      },
    };
  }

  /** An explicit device access: through the buffer's IOVA when it names one, else as given. */
  access(b: EventBatch, i: number): void {
    const slot = b.slot[i];
    let page = b.page[i];
    if (slot >= 0) {
      if (this.slotIova[slot] < 0) {
        dmaRefused(this.c, b.offset[i], b.len[i]);
        return;
      }
      page = iovaOfAccess(this.ctx.slots, slot, this.sg, page, this.slotIova[slot]);
    }
    dmaThroughIommu(this.iommu, this.c, b.device[i], page, b.offset[i], b.len[i], permForDir(b.dir[i]));
  }

}
