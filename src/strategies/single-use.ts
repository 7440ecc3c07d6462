/**
 * `single-use`: every DMA buffer gets a fresh IOMMU mapping at map time, torn down with a
 * synchronous IOTLB invalidation at unmap.
 *
 * Models: map = one hypercall per DMA (a scatter-gather list is one DMA), shared by DMAs
 * posted together (hypercall-batch.ts); the VMM checks each page belongs to the guest (stops at
 * the first that does not and refuses the map), allocates one IOVA range for all the DMA's pages
 * (each segment starting on a page of its own, as Linux packs a list) and writes one PTE per page
 * with the DMA's direction as permission; the device uses the IOVA. Unmap = one hypercall (batched
 * likewise); one PTE clear and one page invalidation per page, one wait, IOVA range freed. Two
 * buffers in one page get two distinct IOVA pages, so unmapping one never breaks the other.
 * Does not model: range (multi-page) invalidation descriptors.
 * Cost charged: `driver`; `hypercall` x2 per DMA (fewer with batching); `iova-alloc` per alloc and free; `validate`
 * per page; `pt-update` per PTE write; `iotlb-invalidate` per page + one wait; `iotlb-walk`.
 * Protection: inter- and intra-guest at page granularity: only pages of buffers in flight are
 * reachable, and only in their direction.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaRefused, dmaThroughIommu, sgRefused, sgThroughIova } from '../model/device/dma-engine.js';
import { SgList } from '../model/device/sg-list.js';
import { Iommu } from '../model/iommu/iommu.js';
import { IovaAllocator } from '../model/iommu/iova-allocator.js';
import { Vmm } from '../model/vmm/vmm.js';
import { GUEST_SPACE_PAGES, Op, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { ReachablePages } from './reachable-pages.js';
import { HypercallBatch } from './hypercall-batch.js';
import { RingTraffic } from './ring-traffic.js';
import { chargeMap, chargeUnmap, refuseMap, driverCosts, fixedProbe, growFloat64, iovaOfAccess, useReferenceLoop, type DriverCosts, isPlainMap } from './common.js';
import { DmaCosts } from '../metrics/dma-costs.js';

class SingleUseRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly driver: DriverCosts;
  private readonly vmm: Vmm;
  private readonly iommu: Iommu;
  private readonly allocators: IovaAllocator[] = [];
  private readonly iovaAllocCycles: number;
  private readonly iovaFreeCycles: number;
  /** Per in-flight DMA: first IOVA page (-1 when the map was refused). */
  private slotIova = new Float64Array(0);
  private slotCap = 0;
  private readonly reachable: ReachablePages;
  private readonly mapCalls: HypercallBatch;
  private readonly unmapCalls: HypercallBatch;
  private readonly sg = new SgList();
  private readonly rings: RingTraffic;
  /** Run the reference loop (StrategyContext.reference). */
  private readonly reference: boolean;
  private readonly validateCycles: number;

  constructor(private readonly ctx: StrategyContext) {
    this.reference = useReferenceLoop(ctx);
    this.validateCycles = ctx.params['validate.page_cycles'];
    this.driver = driverCosts(ctx.params);
    this.vmm = new Vmm(this.counters, ctx.params);
    this.iommu = new Iommu(this.counters, ctx.params);
    this.reachable = new ReachablePages(this.counters);
    this.iovaAllocCycles = ctx.params['iova.alloc_cycles'];
    this.iovaFreeCycles = ctx.params['iova.free_cycles'];
    this.mapCalls = new HypercallBatch(this.vmm, Op.map, ctx.params['hypercall.batch']);
    this.unmapCalls = new HypercallBatch(this.vmm, Op.unmap, ctx.params['hypercall.batch']);
    this.rings = new RingTraffic(this.counters, ctx.params, this.iommu, this.vmm, 'guest-domain');
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  /**
   * The flat loop: a single-segment map of the guest's own pages and the unmap of a mapped
   * single-segment DMA are written out here in one piece (the model's run-length fast paths:
   * Iommu.mapRun, unmapInvalidateRun); scatter-gather DMAs, refused maps and explicit accesses
   * go to the reference methods below. consumeReference is the readable form and the truth:
   * test/strategies/reference-loops.test.ts holds the two equal, counter for counter.
   */
  consume(b: EventBatch): void {
    if (this.reference) {
      this.consumeReference(b);
      return;
    }
    if (this.ctx.slots.slotCapacity > this.slotCap) this.growSlots(this.ctx.slots.slotCapacity);
    const c = this.counters;
    const iommu = this.iommu;
    const validateCycles = this.validateCycles;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      this.mapCalls.row(b, i);
      this.unmapCalls.row(b, i);
      if (op === Op.map) {
        const guest = b.guest[i];
        const gpn = b.page[i];
        const len = b.len[i];
        const pages = pagesSpanned(b.offset[i], len);
        // Unusual: a scatter-gather list, or a page the guest does not own (the map is refused).
        if (!isPlainMap(b, i, pages)) {
          this.map(b, i);
          continue;
        }
        chargeMap(c, this.driver, len);
        this.mapCalls.call();
        for (let p = 0; p < pages; p++) {
          // vmm.validate of each page: charged, and owned (checked above).
          c[C.validations]++;
          c[C.cycValidate] += validateCycles;
        }
        const iova = this.allocator(guest).alloc(pages);
        c[C.iovaAllocs]++;
        c[C.cycIovaAlloc] += this.iovaAllocCycles;
        iommu.mapRun(guest, iova, guest * GUEST_SPACE_PAGES + gpn, pages, permForDir(b.dir[i]));
        this.reachable.noteRun(guest, gpn, pages, 1);
        c[C.pagesMappedNew] += pages;
        this.slotIova[b.slot[i]] = iova;
        this.rings.posted(b, i);
      } else if (op === Op.unmap) {
        const iova = this.slotIova[b.slot[i]];
        // Unusual: a scatter-gather list, or a DMA whose map was refused.
        if (b.segs[i] > 1 || iova < 0) {
          this.unmap(b, i);
          continue;
        }
        const guest = b.guest[i];
        const offset = b.offset[i];
        const len = b.len[i];
        if (b.implicitAccess[i] === 1) dmaThroughIommu(iommu, c, guest, iova, offset, len, permForDir(b.dir[i]));
        this.rings.completed(b, i);
        chargeUnmap(c, this.driver, len, false);
        const pages = pagesSpanned(offset, len);
        this.unmapCalls.call();
        iommu.unmapInvalidateRun(guest, iova, pages);
        this.reachable.noteRun(guest, b.page[i], pages, -1);
        iommu.waitForInvalidations();
        this.allocator(guest).free(iova, pages);
        c[C.iovaFrees]++;
        c[C.cycIovaAlloc] += this.iovaFreeCycles;
      } else this.access(b, i);
    }
    this.costs.flush(c);
  }

  /** The reference loop: every DMA through map / unmap / access below. */
  private consumeReference(b: EventBatch): void {
    if (this.ctx.slots.slotCapacity > this.slotCap) this.growSlots(this.ctx.slots.slotCapacity);
    const c = this.counters;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      this.mapCalls.row(b, i);
      this.unmapCalls.row(b, i);
      if (op === Op.map) this.map(b, i);
      else if (op === Op.unmap) this.unmap(b, i);
      else this.access(b, i);
    }
    this.costs.flush(c);
  }

  private map(b: EventBatch, i: number): void {
    const c = this.counters;
    const guest = b.guest[i];
    const sg = this.sg.load(b, i, this.ctx.slots);
    const pages = sg.totalPages;
    const slot = b.slot[i];
    chargeMap(c, this.driver, sg.totalLen);
    this.mapCalls.call();
    for (let p = 0; p < pages; p++) {
      if (!this.vmm.validate(guest, sg.gpn[p])) {
        refuseMap(c, sg.totalLen, b.line[i]);
        this.slotIova[slot] = -1;
        return;
      }
    }
    const iova = this.allocator(guest).alloc(pages);
    c[C.iovaAllocs]++;
    c[C.cycIovaAlloc] += this.iovaAllocCycles;
    const perms = permForDir(b.dir[i]);
    for (let p = 0; p < pages; p++) {
      this.iommu.mapPage(guest, iova + p, this.vmm.hostPage(guest, sg.gpn[p]), perms);
      this.reachable.note(guest, sg.gpn[p], 1);
    }
    c[C.pagesMappedNew] += pages;
    this.slotIova[slot] = iova;
    this.rings.posted(b, i);
  }

  private unmap(b: EventBatch, i: number): void {
    const c = this.counters;
    const guest = b.guest[i];
    const slot = b.slot[i];
    const iova = this.slotIova[slot];
    const sg = this.sg.load(b, i, this.ctx.slots);
    if (b.implicitAccess[i] === 1) {
      if (iova < 0) sgRefused(c, sg);
      else sgThroughIova(this.iommu, c, guest, iova, sg, permForDir(b.dir[i]));
    }
    if (iova >= 0) this.rings.completed(b, i);
    chargeUnmap(c, this.driver, b.len[i], iova < 0);
    if (iova < 0) return; // the map was refused: nothing to tear down
    const pages = sg.totalPages;
    this.unmapCalls.call();
    for (let p = 0; p < pages; p++) {
      this.iommu.unmapPage(guest, iova + p);
      this.iommu.invalidatePage(guest, iova + p);
      this.reachable.note(guest, sg.gpn[p], -1);
    }
    this.iommu.waitForInvalidations();
    this.allocator(guest).free(iova, pages);
    c[C.iovaFrees]++;
    c[C.cycIovaAlloc] += this.iovaFreeCycles;
  }

  /** An explicit device access: through the buffer's IOVA when it names a live buffer, else
   * the address as given is used as an IOVA. */
  private access(b: EventBatch, i: number): void {
    const slot = b.slot[i];
    let page = b.page[i];
    if (slot >= 0) {
      if (this.slotIova[slot] < 0) {
        dmaRefused(this.counters, b.offset[i], b.len[i]);
        return;
      }
      page = iovaOfAccess(this.ctx.slots, slot, this.sg, page, this.slotIova[slot]);
    }
    dmaThroughIommu(this.iommu, this.counters, b.guest[i], page, b.offset[i], b.len[i], permForDir(b.dir[i]));
  }


  private allocator(guest: number): IovaAllocator {
    let a = this.allocators[guest];
    if (a === undefined) {
      a = new IovaAllocator();
      this.allocators[guest] = a;
    }
    return a;
  }

  private growSlots(n: number): void {
    this.slotIova = growFloat64(this.slotIova, n);
    this.slotCap = n;
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  /** The device uses the buffer's IOVA. The VMM keeps no reference on pages it mapped for the
   * guest, so nothing stops it reassigning one that is still mapped. */
  probe(): AttackProbe {
    return fixedProbe(this.iommu, (slot) => this.slotIova[slot]);
  }
}

export const singleUse: StrategyDefinition = {
  id: 'single-use',
  summary: 'a fresh IOMMU mapping per DMA (hypercall), torn down with a synchronous IOTLB invalidation',
  fromPaper: true,
  hasMappings: true,
  protection: {
    interGuest: 'full',
    intraGuest: 'page',
    enforcedOnDevice: true,
    note: 'only pages of buffers in flight are reachable, in their direction; the rest of such a page is exposed',
  },
  create: (ctx) => new SingleUseRun(ctx),
};

