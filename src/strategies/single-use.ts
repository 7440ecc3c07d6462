/**
 * `single-use`: every DMA buffer gets a fresh IOMMU mapping at map time, torn down with a
 * synchronous IOTLB invalidation at unmap.
 *
 * Models: map = one hypercall; the VMM checks each page belongs to the guest (stops at the
 * first that does not and refuses the map), allocates an IOVA range for the buffer's pages and
 * writes one PTE per page with the buffer's direction as permission; the device uses the IOVA.
 * Unmap = one hypercall; one PTE clear and one page invalidation per page, one wait, IOVA range
 * freed. Two buffers in one page get two distinct IOVA pages, so unmapping one never breaks the
 * other.
 * Does not model: range (multi-page) invalidation descriptors.
 * Cost charged: `driver`; `hypercall` x2 per DMA; `iova-alloc` per alloc and free; `validate`
 * per page; `pt-update` per PTE write; `iotlb-invalidate` per page + one wait; `iotlb-walk`.
 * Protection: inter- and intra-guest at page granularity: only pages of buffers in flight are
 * reachable, and only in their direction.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaRefused, dmaThroughIommu } from '../model/device/dma-engine.js';
import { Iommu } from '../model/iommu/iommu.js';
import { IovaAllocator } from '../model/iommu/iova-allocator.js';
import { Vmm } from '../model/vmm/vmm.js';
import { Op, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { ReachablePages } from './reachable-pages.js';
import { chargeMap, chargeUnmap, refuseMap, driverCosts, fixedProbe, growFloat64, type DriverCosts } from './common.js';

class SingleUseRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly driver: DriverCosts;
  private readonly vmm: Vmm;
  private readonly iommu: Iommu;
  private readonly allocators: IovaAllocator[] = [];
  private readonly iovaAllocCycles: number;
  private readonly iovaFreeCycles: number;
  /** Per in-flight buffer: first IOVA page (-1 when the map was refused), first guest page. */
  private slotIova = new Float64Array(0);
  private slotGpa = new Float64Array(0);
  private slotCap = 0;
  private readonly reachable: ReachablePages;

  constructor(private readonly ctx: StrategyContext) {
    this.driver = driverCosts(ctx.params);
    this.vmm = new Vmm(this.counters, ctx.params);
    this.iommu = new Iommu(this.counters, ctx.params);
    this.reachable = new ReachablePages(this.counters);
    this.iovaAllocCycles = ctx.params['iova.alloc_cycles'];
    this.iovaFreeCycles = ctx.params['iova.free_cycles'];
  }

  consume(b: EventBatch): void {
    if (this.ctx.slots.slotCapacity > this.slotCap) this.growSlots(this.ctx.slots.slotCapacity);
    const c = this.counters;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op === Op.skip) continue;
      this.clock.advance(c, b.ts[i]);
      if (op === Op.map) this.map(b, i);
      else if (op === Op.unmap) this.unmap(b, i);
      else this.access(b, i);
    }
  }

  private map(b: EventBatch, i: number): void {
    const c = this.counters;
    const guest = b.guest[i];
    const gpa = b.page[i];
    const pages = pagesSpanned(b.offset[i], b.len[i]);
    const slot = b.slot[i];
    chargeMap(c, this.driver, b.len[i]);
    this.vmm.hypercall();
    for (let p = 0; p < pages; p++) {
      if (!this.vmm.validate(guest, gpa + p)) {
        refuseMap(c, b.len[i]);
        this.slotIova[slot] = -1;
        return;
      }
    }
    const iova = this.allocator(guest).alloc(pages);
    c[C.iovaAllocs]++;
    c[C.cycIovaAlloc] += this.iovaAllocCycles;
    const perms = permForDir(b.dir[i]);
    for (let p = 0; p < pages; p++) {
      this.iommu.mapPage(guest, iova + p, this.vmm.hostPage(guest, gpa + p), perms);
      this.reachable.note(guest, gpa + p, 1);
    }
    c[C.pagesMappedNew] += pages;
    this.slotIova[slot] = iova;
    this.slotGpa[slot] = gpa;
  }

  private unmap(b: EventBatch, i: number): void {
    const c = this.counters;
    const guest = b.guest[i];
    const slot = b.slot[i];
    const iova = this.slotIova[slot];
    if (b.implicitAccess[i] === 1) {
      if (iova < 0) dmaRefused(c, b.offset[i], b.len[i]);
      else dmaThroughIommu(this.iommu, c, guest, iova, b.offset[i], b.len[i], permForDir(b.dir[i]));
    }
    chargeUnmap(c, this.driver, b.len[i], iova < 0);
    if (iova < 0) return; // the map was refused: nothing to tear down
    const pages = pagesSpanned(b.offset[i], b.len[i]);
    const gpa = this.slotGpa[slot];
    this.vmm.hypercall();
    for (let p = 0; p < pages; p++) {
      this.iommu.unmapPage(guest, iova + p);
      this.iommu.invalidatePage(guest, iova + p);
      this.reachable.note(guest, gpa + p, -1);
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
      page = this.slotIova[slot] + (page - this.slotGpa[slot]);
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
    this.slotGpa = growFloat64(this.slotGpa, n);
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

