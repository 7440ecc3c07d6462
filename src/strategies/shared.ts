/**
 * `shared`: one IOMMU mapping per guest page, shared by all buffers in flight on that page and
 * counted; only the first user of a page maps it and only the last unmaps it.
 *
 * Models: at map the guest driver looks up and counts each page (`refcount` per page); if any
 * page is unmapped, or mapped without the permission this buffer needs, one hypercall maps or
 * upgrades those pages (VMM ownership check and PTE write each; an upgrade also invalidates the
 * page's old IOTLB entry, then one wait). IOVA = guest-physical address. At unmap the counts
 * drop; pages reaching zero are unmapped in one hypercall with a page invalidation each and one
 * wait. A map whose new pages fail the ownership check is refused whole.
 * Does not model: permission downgrade while a page stays mapped (the union is kept until the
 * last user unmaps).
 * Cost charged: `driver`; `refcount` per page at map and unmap; `hypercall`, `validate`,
 * `pt-update`, `iotlb-invalidate` only for pages that change; `iotlb-walk`.
 * Protection: as single-use, counted per page: pages of buffers in flight are reachable.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaThroughIommu, sgRefused, sgThroughGpa } from '../model/device/dma-engine.js';
import { SgList } from '../model/device/sg-list.js';
import { HypercallBatch } from './hypercall-batch.js';
import { RingTraffic } from './ring-traffic.js';
import { Iommu } from '../model/iommu/iommu.js';
import { Vmm } from '../model/vmm/vmm.js';
import { GUEST_SPACE_PAGES, Op, PAGE_SIZE, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import { MAX_IOVA_PAGES } from '../model/iommu/page-table.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { chargeMap, chargeUnmap, refuseMap, driverCosts, fixedProbe, guestPageOfSlot, growUint8, useReferenceLoop, type DriverCosts } from './common.js';
import { PageEntries } from './page-entries.js';
import { DmaCosts } from '../metrics/dma-costs.js';

class SharedRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly driver: DriverCosts;
  private readonly vmm: Vmm;
  private readonly iommu: Iommu;
  private readonly pages = new PageEntries();
  /** Per in-flight buffer: 1 when its map was refused. */
  private slotRefused = new Uint8Array(0);
  private readonly mapCalls: HypercallBatch;
  private readonly unmapCalls: HypercallBatch;
  private readonly sg = new SgList();
  private readonly rings: RingTraffic;
  /** Run the reference loop (StrategyContext.reference). */
  private readonly reference: boolean;
  private readonly refcountCycles: number;
  private readonly validateCycles: number;
  /** The flat loop's entries of the pages of the DMA being unmapped. */
  private found = new Int32Array(64);

  constructor(private readonly ctx: StrategyContext) {
    this.reference = useReferenceLoop(ctx);
    this.refcountCycles = ctx.params['refcount.update_cycles'];
    this.validateCycles = ctx.params['validate.page_cycles'];
    this.driver = driverCosts(ctx.params);
    this.vmm = new Vmm(this.counters, ctx.params);
    this.iommu = new Iommu(this.counters, ctx.params);
    this.mapCalls = new HypercallBatch(this.vmm, Op.map, ctx.params['hypercall.batch']);
    this.unmapCalls = new HypercallBatch(this.vmm, Op.unmap, ctx.params['hypercall.batch']);
    this.rings = new RingTraffic(this.counters, ctx.params, this.iommu, this.vmm, 'guest-domain');
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  /**
   * The flat loop: a single-segment DMA's pages are a run gpn, gpn + 1, ..., written into a
   * scratch list instead of loading an SgList, and the common cases are handled here: a map
   * whose pages are all unmapped (the first user maps them), and an unmap whose entries all
   * exist (with an implicit access in one piece). Maps that reuse or upgrade entries, refused
   * maps, scatter-gather lists and everything else take the reference methods below.
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
    const iommu = this.iommu;
    const refcountCycles = this.refcountCycles;
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
        const n = pagesSpanned(b.offset[i], len);
        if (b.segs[i] > 1 || guest < 0 || gpn < 0 || gpn + n > MAX_IOVA_PAGES || !this.allAbsent(guest, gpn, n)) {
          this.map(b, i);
          continue;
        }
        // The first user of every page: one hypercall validates and maps them all.
        const need = permForDir(b.dir[i]);
        chargeMap(c, this.driver, len);
        for (let p = 0; p < n; p++) {
          c[C.refcountUpdates]++;
          c[C.cycRefcount] += refcountCycles;
        }
        this.mapCalls.call();
        for (let p = 0; p < n; p++) {
          c[C.validations]++;
          c[C.cycValidate] += validateCycles;
        }
        for (let p = 0; p < n; p++) {
          const e = entries.add(guest, gpn + p, need); // may grow the arrays: read inFlight after
          entries.inFlight[e] = 1;
          c[C.reachableBytes] += PAGE_SIZE;
          c[C.pagesMappedNew]++;
        }
        iommu.mapRun(guest, gpn, guest * GUEST_SPACE_PAGES + gpn, n, need);
        this.slotRefused[b.slot[i]] = 0;
        this.rings.posted(b, i);
      } else if (op === Op.unmap) {
        const guest = b.guest[i];
        const gpn = b.page[i];
        const offset = b.offset[i];
        const len = b.len[i];
        const n = pagesSpanned(offset, len);
        if (b.segs[i] > 1 || this.slotRefused[b.slot[i]] === 1 || !this.allPresent(guest, gpn, n)) {
          this.unmap(b, i);
          continue;
        }
        const found = this.found;
        if (b.implicitAccess[i] === 1) dmaThroughIommu(iommu, c, guest, gpn, offset, len, permForDir(b.dir[i]));
        this.rings.completed(b, i);
        chargeUnmap(c, this.driver, len, false);
        let idle = 0;
        for (let p = 0; p < n; p++) {
          c[C.refcountUpdates]++;
          c[C.cycRefcount] += refcountCycles;
          if (--entries.inFlight[found[p]] === 0) idle++;
        }
        if (idle === 0) continue;
        this.unmapCalls.call();
        for (let p = 0; p < n; p++) {
          const e = found[p];
          if (entries.inFlight[e] !== 0) continue;
          entries.remove(e);
          iommu.unmapPage(guest, gpn + p);
          iommu.invalidatePage(guest, gpn + p);
          c[C.reachableBytes] -= PAGE_SIZE;
        }
        iommu.waitForInvalidations();
      } else dmaThroughIommu(iommu, c, b.guest[i], b.page[i], b.offset[i], b.len[i], permForDir(b.dir[i]));
    }
    this.costs.flush(c);
  }

  /** Whether no page of gpn .. gpn + n - 1 of `guest` has an entry. */
  private allAbsent(guest: number, gpn: number, n: number): boolean {
    for (let p = 0; p < n; p++) if (this.pages.find(guest, gpn + p) >= 0) return false;
    return true;
  }

  /** Whether every page of gpn .. gpn + n - 1 of `guest` has an entry; they go to `found`. */
  private allPresent(guest: number, gpn: number, n: number): boolean {
    if (n > this.found.length) this.found = new Int32Array(Math.max(n, this.found.length * 2));
    for (let p = 0; p < n; p++) {
      const e = this.pages.find(guest, gpn + p);
      if (e < 0) return false;
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
      this.unmapCalls.row(b, i);
      if (op === Op.map) this.map(b, i);
      else if (op === Op.unmap) this.unmap(b, i);
      else dmaThroughIommu(this.iommu, c, b.guest[i], b.page[i], b.offset[i], b.len[i], permForDir(b.dir[i]));
    }
    this.costs.flush(c);
  }

  private map(b: EventBatch, i: number): void {
    const c = this.counters;
    const guest = b.guest[i];
    const sg = this.sg.load(b, i, this.ctx.slots);
    const n = sg.totalPages;
    const need = permForDir(b.dir[i]);
    chargeMap(c, this.driver, sg.totalLen);
    // 1. The driver looks up each page's count.
    for (let p = 0; p < n; p++) this.vmm.chargeRefcount();
    const found = this.pages.lookup(guest, sg.gpn, n);
    if (this.pages.needsChange(found, n, need) === 0) {
      c[C.mapReuses]++;
    } else {
      // 2. One hypercall maps (or upgrades) the pages that need it, after checking ownership.
      this.mapCalls.call();
      if (!this.pages.validateChanges(this.vmm, found, guest, sg.gpn, n, need)) {
        refuseMap(c, sg.totalLen, b.line[i]);
        this.slotRefused[b.slot[i]] = 1;
        return;
      }
      if (this.pages.mapOrUpgrade(this.iommu, this.vmm, c, found, guest, sg.gpn, n, need, false)) this.iommu.waitForInvalidations();
    }
    // 3. Count this DMA on each of its pages.
    for (let p = 0; p < n; p++) this.pages.inFlight[found[p]]++;
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
    if (refused) return;
    const n = sg.totalPages;
    let idle = 0;
    const found = this.pages.lookup(guest, sg.gpn, n);
    for (let p = 0; p < n; p++) {
      this.vmm.chargeRefcount();
      if (--this.pages.inFlight[found[p]] === 0) idle++;
    }
    if (idle === 0) return;
    this.unmapCalls.call();
    for (let p = 0; p < n; p++) {
      const e = found[p];
      // (A page listed twice is removed at its first occurrence; the second finds it gone.)
      if (this.pages.inFlight[e] !== 0 || this.pages.find(guest, sg.gpn[p]) !== e) continue;
      this.pages.remove(e);
      this.iommu.unmapPage(guest, sg.gpn[p]);
      this.iommu.invalidatePage(guest, sg.gpn[p]);
      c[C.reachableBytes] -= PAGE_SIZE;
    }
    this.iommu.waitForInvalidations();
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

export const shared: StrategyDefinition = {
  id: 'shared',
  summary: 'one counted IOMMU mapping per page: only the first user maps, only the last unmaps',
  fromPaper: true,
  hasMappings: true,
  protection: {
    interGuest: 'full',
    intraGuest: 'page',
    enforcedOnDevice: true,
    note: 'pages with a buffer in flight are reachable (with the union of their buffers\' directions)',
  },
  create: (ctx) => new SharedRun(ctx),
};
