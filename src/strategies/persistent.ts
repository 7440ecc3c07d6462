/**
 * `persistent`: a page's IOMMU mapping, once made, is kept after the buffer is unmapped, so a
 * recycled buffer (an RX ring refill, a reused page-cache page) is mapped again with no
 * hypercall at all.
 *
 * Models: at map the driver looks each page up in its mapping cache (`refcount` per page); pages
 * not mapped, or mapped without the needed permission, are mapped (or upgraded) by one
 * hypercall with an ownership check and PTE write each (an upgrade also invalidates the page's
 * IOTLB entry). IOVA = guest-physical address. Unmap leaves the mapping in place. With
 * `persistent.capacity` = N > 0 the cache holds at most N pages: pages with no buffer in flight
 * form an LRU list, and the least recently used are evicted inside the same hypercall (PTE clear
 * + page invalidation each, one wait); in-flight pages are never evicted, so the cache may
 * exceed N while more than N pages are in flight. A map whose new pages fail the ownership check
 * is refused whole. A scatter-gather list is one DMA (at most one hypercall for all its pages);
 * DMAs posted together share hypercalls (hypercall-batch.ts).
 * Does not model: the guest asking the VMM to drop mappings on memory pressure.
 * Cost charged: `driver`; `refcount` per page at map (lookup) and, when bounded, at unmap
 * (in-flight count); `hypercall`, `validate`, `pt-update`, `iotlb-invalidate` for pages that
 * change or are evicted; `iotlb-walk`.
 * Protection: inter-guest; intra-guest only for pages never used for I/O: a page stays
 * reachable long after its buffer was unmapped.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaThroughIommu, sgRefused, sgThroughGpa } from '../model/device/dma-engine.js';
import { SgList } from '../model/device/sg-list.js';
import { HypercallBatch } from './hypercall-batch.js';
import { RingTraffic } from './ring-traffic.js';
import { Iommu } from '../model/iommu/iommu.js';
import { Vmm } from '../model/vmm/vmm.js';
import { Op, PAGE_SIZE, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { chargeMap, chargeUnmap, refuseMap, driverCosts, fixedProbe, guestPageOfSlot, growUint8, useReferenceLoop, type DriverCosts } from './common.js';
import { PageEntries } from './page-entries.js';
import { DmaCosts } from '../metrics/dma-costs.js';

class PersistentRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly driver: DriverCosts;
  private readonly vmm: Vmm;
  private readonly iommu: Iommu;
  private readonly pages = new PageEntries();
  /** Most pages kept mapped; 0 = unbounded. */
  private readonly capacity: number;
  private slotRefused = new Uint8Array(0);
  private readonly mapCalls: HypercallBatch;
  private readonly sg = new SgList();
  private readonly rings: RingTraffic;
  /** Run the reference loop (StrategyContext.reference). */
  private readonly reference: boolean;
  private readonly refcountCycles: number;
  /** The flat loop's entries of the pages of the DMA being mapped. */
  private found = new Int32Array(64);

  constructor(private readonly ctx: StrategyContext) {
    this.reference = useReferenceLoop(ctx);
    this.refcountCycles = ctx.params['refcount.update_cycles'];
    this.driver = driverCosts(ctx.params);
    this.vmm = new Vmm(this.counters, ctx.params);
    this.iommu = new Iommu(this.counters, ctx.params);
    this.capacity = ctx.params['persistent.capacity'];
    this.mapCalls = new HypercallBatch(this.vmm, Op.map, ctx.params['hypercall.batch']);
    this.rings = new RingTraffic(this.counters, ctx.params, this.iommu, this.vmm, 'guest-domain');
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  /**
   * The flat loop: a single-segment DMA's pages are a run gpn, gpn + 1, ..., looked up here
   * without an SgList; the common cases are handled here: a map every page of which is mapped
   * already with the direction it needs (a reuse), and the unmap of a DMA whose map was not
   * refused. Maps that need the hypercall (new pages, upgrades, evictions, refusals),
   * scatter-gather lists and everything else take the reference methods below.
   * consumeReference is the readable form and the truth (test/strategies/reference-loops.test.ts).
   */
  consume(b: EventBatch): void {
    if (this.reference) {
      this.consumeReference(b);
      return;
    }
    if (this.ctx.slots.slotCapacity > this.slotRefused.length) this.slotRefused = growUint8(this.slotRefused, this.ctx.slots.slotCapacity);
    const c = this.counters;
    const entries = this.pages;
    const bounded = this.capacity > 0;
    const refcountCycles = this.refcountCycles;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      this.mapCalls.row(b, i);
      if (op === Op.map) {
        const guest = b.guest[i];
        const gpn = b.page[i];
        const len = b.len[i];
        const n = pagesSpanned(b.offset[i], len);
        if (b.segs[i] > 1 || !this.allMapped(guest, gpn, n, permForDir(b.dir[i]))) {
          this.map(b, i);
          continue;
        }
        // Every page is mapped with the access it needs: the driver's lookups, and no hypercall.
        chargeMap(c, this.driver, len);
        for (let p = 0; p < n; p++) {
          c[C.refcountUpdates]++;
          c[C.cycRefcount] += refcountCycles;
        }
        c[C.mapReuses]++;
        if (bounded) for (let p = 0; p < n; p++) entries.hold(this.found[p]);
        this.slotRefused[b.slot[i]] = 0;
        this.rings.posted(b, i);
      } else if (op === Op.unmap) {
        if (b.segs[i] > 1 || this.slotRefused[b.slot[i]] === 1) {
          this.unmap(b, i);
          continue;
        }
        const guest = b.guest[i];
        const gpn = b.page[i];
        const offset = b.offset[i];
        const len = b.len[i];
        if (b.implicitAccess[i] === 1) dmaThroughIommu(this.iommu, c, guest, gpn, offset, len, permForDir(b.dir[i]));
        this.rings.completed(b, i);
        chargeUnmap(c, this.driver, len, false);
        if (!bounded) continue; // the mapping stays; nothing else to do
        const n = pagesSpanned(offset, len);
        for (let p = 0; p < n; p++) {
          c[C.refcountUpdates]++;
          c[C.cycRefcount] += refcountCycles;
          const e = entries.find(guest, gpn + p);
          if (--entries.inFlight[e] === 0) entries.pushIdle(e);
        }
      } else dmaThroughIommu(this.iommu, c, b.guest[i], b.page[i], b.offset[i], b.len[i], permForDir(b.dir[i]));
    }
    this.costs.flush(c);
  }

  /** Whether every page of gpn .. gpn + n - 1 of `guest` has an entry with `need`; the entries
   * go to `found`. */
  private allMapped(guest: number, gpn: number, n: number, need: number): boolean {
    if (n > this.found.length) this.found = new Int32Array(Math.max(n, this.found.length * 2));
    for (let p = 0; p < n; p++) {
      const e = this.pages.find(guest, gpn + p);
      if (e < 0 || (this.pages.perms[e] & need) !== need) return false;
      this.found[p] = e;
    }
    return true;
  }

  /** The reference loop: every DMA through map / unmap below. */
  private consumeReference(b: EventBatch): void {
    if (this.ctx.slots.slotCapacity > this.slotRefused.length) this.slotRefused = growUint8(this.slotRefused, this.ctx.slots.slotCapacity);
    const c = this.counters;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      this.mapCalls.row(b, i);
      if (op === Op.map) this.map(b, i);
      else if (op === Op.unmap) this.unmap(b, i);
      else dmaThroughIommu(this.iommu, c, b.guest[i], b.page[i], b.offset[i], b.len[i], permForDir(b.dir[i]));
    }
    this.costs.flush(c);
  }

  private map(b: EventBatch, i: number): void {
    const c = this.counters;
    const pages = this.pages;
    const bounded = this.capacity > 0;
    const guest = b.guest[i];
    const sg = this.sg.load(b, i, this.ctx.slots);
    const n = sg.totalPages;
    const need = permForDir(b.dir[i]);
    chargeMap(c, this.driver, sg.totalLen);
    const found = pages.lookup(guest, sg.gpn, n);
    let missing = 0;
    for (let p = 0; p < n; p++) {
      this.vmm.chargeRefcount(); // the driver's mapping-cache lookup
      // A page two segments share is one page to map.
      if (found[p] < 0 && (sg.count === 1 || sg.indexOf(sg.gpn[p]) === p)) missing++;
    }
    if (pages.needsChange(found, n, need) === 0) {
      c[C.mapReuses]++;
      if (bounded) for (let p = 0; p < n; p++) pages.hold(found[p]);
      this.slotRefused[b.slot[i]] = 0;
      this.rings.posted(b, i);
      return;
    }
    this.mapCalls.call();
    if (!pages.validateChanges(this.vmm, found, guest, sg.gpn, n, need)) {
      refuseMap(c, sg.totalLen, b.line[i]);
      this.slotRefused[b.slot[i]] = 1;
      return;
    }
    // Pages already cached are held first, so eviction cannot take them from under this buffer.
    if (bounded) {
      for (let p = 0; p < n; p++) if (found[p] >= 0) pages.hold(found[p]);
    }
    let invalidated = false;
    if (bounded) {
      while (pages.size + missing > this.capacity && pages.lruHead >= 0) {
        const victim = pages.lruHead;
        this.iommu.unmapPage(pages.guest[victim], pages.page[victim]);
        this.iommu.invalidatePage(pages.guest[victim], pages.page[victim]);
        pages.remove(victim);
        c[C.evictions]++;
        c[C.reachableBytes] -= PAGE_SIZE;
        invalidated = true;
      }
    }
    // Evictions took only idle entries, never this buffer's (held above): `found` still holds.
    if (pages.mapOrUpgrade(this.iommu, this.vmm, c, found, guest, sg.gpn, n, need, bounded)) invalidated = true;
    if (invalidated) this.iommu.waitForInvalidations();
    this.slotRefused[b.slot[i]] = 0;
    this.rings.posted(b, i);
  }

  private unmap(b: EventBatch, i: number): void {
    const c = this.counters;
    const guest = b.guest[i];
    const refused = this.slotRefused[b.slot[i]] === 1;
    const sg = this.sg.load(b, i, this.ctx.slots);
    if (b.implicitAccess[i] === 1) {
      if (refused) sgRefused(c, sg);
      else sgThroughGpa(this.iommu, c, guest, sg, permForDir(b.dir[i]));
    }
    if (!refused) this.rings.completed(b, i);
    chargeUnmap(c, this.driver, b.len[i], refused);
    if (refused || this.capacity === 0) return; // the mapping stays; nothing else to do
    const n = sg.totalPages;
    for (let p = 0; p < n; p++) {
      this.vmm.chargeRefcount();
      const e = this.pages.find(guest, sg.gpn[p]);
      if (--this.pages.inFlight[e] === 0) this.pages.pushIdle(e);
    }
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  /** IOVA = guest-physical address. The VMM keeps no reference on pages it mapped for the guest,
   * so nothing stops it reassigning one that is still mapped. */
  probe(): AttackProbe {
    return fixedProbe(this.iommu, guestPageOfSlot(() => this.slotRefused, this.ctx.slots));
  }
}

export const persistent: StrategyDefinition = {
  id: 'persistent',
  summary: 'mappings kept after unmap and reused by later DMAs to the same page (optional LRU capacity)',
  fromPaper: true,
  hasMappings: true,
  protection: {
    interGuest: 'full',
    intraGuest: 'never-used-pages',
    enforcedOnDevice: true,
    note: 'every page ever used for I/O stays reachable after its buffer is unmapped',
  },
  create: (ctx) => new PersistentRun(ctx),
};
