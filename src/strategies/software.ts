/**
 * `software` (CDNA, Willmann et al. HPCA 2007): no IOMMU. The VMM validates every DMA
 * descriptor the driver posts and pins its pages, so a driver can only name its own guest's
 * memory and no page is reassigned while a DMA to it is pending.
 *
 * Models: descriptors posted together share one hypercall, by the rule every strategy that makes
 * hypercalls follows (hypercall-batch.ts: consecutive DMAs of one guest and device with the same
 * unit or timestamp, at most `hypercall.batch` per call). A scatter-gather list is one
 * descriptor. The VMM checks each page's ownership (a descriptor with a page the guest does not
 * own is refused whole) and pins each page. Completions are processed by the VMM on its existing
 * interrupt path (no extra hypercall) and unpin each page. The device then accesses physical
 * memory with no check.
 * Does not model: the CDNA NIC's own per-guest contexts and descriptor-ring protection.
 * Cost charged: `driver`; `hypercall` per batch; `validate` and `refcount` per page at map;
 * `refcount` per page at unmap.
 * Protection: inter-guest against the driver only; none against a device that misbehaves on
 * its own, which reaches all host memory (host.memory_mib, its exposure); within its guest a
 * driver may name any page.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaPhysical, dmaRefused, sgPhysical, sgRefused } from '../model/device/dma-engine.js';
import { SgList } from '../model/device/sg-list.js';
import { Vmm } from '../model/vmm/vmm.js';
import { Op, Origin, pagesSpanned, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { chargeMap, chargeUnmap, refuseMap, driverCosts, fixedProbe, guestPageOfSlot, growUint8, useReferenceLoop, type DriverCosts, isPlainMap } from './common.js';
import { HypercallBatch } from './hypercall-batch.js';
import { RingTraffic } from './ring-traffic.js';
import { DmaCosts } from '../metrics/dma-costs.js';

class SoftwareRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly driver: DriverCosts;
  private readonly vmm: Vmm;
  private readonly mapCalls: HypercallBatch;
  private readonly hostBytes: number;
  private started = false;
  private slotRefused = new Uint8Array(0);
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
    this.mapCalls = new HypercallBatch(this.vmm, Op.map, ctx.params['hypercall.batch']);
    this.hostBytes = ctx.params['host.memory_mib'] * 1024 * 1024;
    this.rings = new RingTraffic(this.counters, ctx.params, null, null, 'no-iommu');
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  /**
   * The flat loop: the map of a single-segment buffer of the guest's own pages and the unmap of
   * a single-segment DMA whose map was not refused are handled here; refused maps,
   * scatter-gather lists and explicit accesses take the reference methods below.
   * consumeReference is the readable form and the truth (test/strategies/reference-loops.test.ts).
   */
  consume(b: EventBatch): void {
    if (this.reference) {
      this.consumeReference(b);
      return;
    }
    if (this.ctx.slots.slotCapacity > this.slotRefused.length) this.slotRefused = growUint8(this.slotRefused, this.ctx.slots.slotCapacity);
    const c = this.counters;
    const vmm = this.vmm;
    const validateCycles = this.validateCycles;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      if (!this.started) {
        this.started = true;
        c[C.reachableBytes] += this.hostBytes;
      }
      this.mapCalls.row(b, i);
      if (op === Op.map) {
        const guest = b.guest[i];
        const gpn = b.page[i];
        const len = b.len[i];
        const n = pagesSpanned(b.offset[i], len);
        if (!isPlainMap(b, i, n)) {
          this.map(b, i);
          continue;
        }
        chargeMap(c, this.driver, len);
        this.mapCalls.call();
        for (let p = 0; p < n; p++) {
          // vmm.validate of each page: charged, and owned (checked above).
          c[C.validations]++;
          c[C.cycValidate] += validateCycles;
        }
        for (let p = 0; p < n; p++) vmm.pin(guest, gpn + p);
        this.slotRefused[b.slot[i]] = 0;
        this.rings.posted(b, i);
      } else if (op === Op.unmap) {
        if (b.segs[i] > 1 || this.slotRefused[b.slot[i]] === 1) {
          this.unmap(b, i);
          continue;
        }
        const offset = b.offset[i];
        const len = b.len[i];
        if (b.implicitAccess[i] === 1) dmaPhysical(c, offset, len);
        this.rings.completed(b, i);
        chargeUnmap(c, this.driver, len, false);
        const guest = b.guest[i];
        const gpn = b.page[i];
        const n = pagesSpanned(offset, len);
        for (let p = 0; p < n; p++) vmm.unpin(guest, gpn + p);
      } else if (b.origin[i] === Origin.driver && !this.validDescriptor(b, i)) dmaRefused(c, b.offset[i], b.len[i]);
      else dmaPhysical(c, b.offset[i], b.len[i]);
    }
    this.costs.flush(c);
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
      if (!this.started) {
        // No IOMMU: a device reaches all host memory.
        this.started = true;
        c[C.reachableBytes] += this.hostBytes;
      }
      this.mapCalls.row(b, i);
      if (op === Op.map) this.map(b, i);
      else if (op === Op.unmap) this.unmap(b, i);
      else if (b.origin[i] === Origin.driver && !this.validDescriptor(b, i)) dmaRefused(c, b.offset[i], b.len[i]);
      else dmaPhysical(c, b.offset[i], b.len[i]);
    }
    this.costs.flush(c);
  }

  /** The VMM's check of a descriptor a driver posts outside a map: every page its guest's. */
  private validDescriptor(b: EventBatch, i: number): boolean {
    const n = pagesSpanned(b.offset[i], b.len[i]);
    for (let p = 0; p < n; p++) if (!this.vmm.validate(b.guest[i], b.page[i] + p)) return false;
    return true;
  }

  private map(b: EventBatch, i: number): void {
    const c = this.counters;
    const guest = b.guest[i];
    const sg = this.sg.load(b, i, this.ctx.slots);
    const n = sg.totalPages;
    chargeMap(c, this.driver, sg.totalLen);
    this.mapCalls.call();
    for (let p = 0; p < n; p++) {
      if (!this.vmm.validate(guest, sg.gpn[p])) {
        refuseMap(c, sg.totalLen, b.line[i]);
        this.slotRefused[b.slot[i]] = 1;
        return;
      }
    }
    for (let p = 0; p < n; p++) this.vmm.pin(guest, sg.gpn[p]);
    this.slotRefused[b.slot[i]] = 0;
    this.rings.posted(b, i);
  }

  private unmap(b: EventBatch, i: number): void {
    const c = this.counters;
    const refused = this.slotRefused[b.slot[i]] === 1;
    const sg = this.sg.load(b, i, this.ctx.slots);
    if (b.implicitAccess[i] === 1) {
      if (refused) sgRefused(c, sg);
      else sgPhysical(c, sg);
    }
    if (!refused) this.rings.completed(b, i);
    chargeUnmap(c, this.driver, b.len[i], refused);
    if (refused) return;
    for (let p = 0; p < sg.totalPages; p++) this.vmm.unpin(b.guest[i], sg.gpn[p]);
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  /** Physical DMA; the VMM will not reassign a page while a pin is held on it. */
  probe(): AttackProbe {
    return fixedProbe(
      null,
      guestPageOfSlot(() => this.slotRefused, this.ctx.slots),
      (guest, gpn) => this.vmm.pinCount(guest, gpn) === 0,
    );
  }
}

export const software: StrategyDefinition = {
  id: 'software',
  summary: 'no IOMMU: the VMM validates and pins each posted descriptor (CDNA), one hypercall per batch',
  fromPaper: true,
  hasMappings: false,
  protection: {
    interGuest: 'driver-only',
    intraGuest: 'none',
    enforcedOnDevice: false,
    note: 'a driver cannot name another guest\'s page; a misbehaving device reaches all host memory',
  },
  create: (ctx) => new SoftwareRun(ctx),
};
