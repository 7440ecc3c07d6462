/**
 * `software` (CDNA, Willmann et al. HPCA 2007): no IOMMU. The VMM validates every DMA
 * descriptor the driver posts and pins its pages, so a driver can only name its own guest's
 * memory and no page is reassigned while a DMA to it is pending.
 *
 * Models: descriptors posted together share one hypercall: consecutive map rows of the same
 * guest and device with the same unit (or the same timestamp), at most `software.batch` per
 * call. The VMM checks each page's ownership (a descriptor with a page the guest does not own
 * is refused whole) and pins each page. Completions are processed by the VMM on its existing
 * interrupt path (no extra hypercall) and unpin each page. The device then accesses physical
 * memory with no check.
 * Does not model: the CDNA NIC's own per-guest contexts and descriptor-ring protection.
 * Cost charged: `driver`; `hypercall` per batch; `validate` and `refcount` per page at map;
 * `refcount` per page at unmap.
 * Protection: inter-guest against the driver only; none against a device that misbehaves on
 * its own; within its guest a driver may name any page.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaPhysical, dmaRefused } from '../model/device/dma-engine.js';
import { Vmm } from '../model/vmm/vmm.js';
import { Op, Origin, pagesSpanned, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { chargeMap, chargeUnmap, refuseMap, driverCosts, fixedProbe, guestPageOfSlot, GuestSet, growUint8, type DriverCosts } from './common.js';

class SoftwareRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly guests = new GuestSet();
  private readonly driver: DriverCosts;
  private readonly vmm: Vmm;
  private readonly batchLimit: number;
  private slotRefused = new Uint8Array(0);
  // The batch being posted: its guest, device, unit and timestamp, and how many it holds.
  private batchOpen = false;
  private batchGuest = 0;
  private batchDevice = 0;
  private batchHasUnit = 0;
  private batchUnitHi = 0;
  private batchUnitLo = 0;
  private batchTs = 0;
  private batchSize = 0;

  constructor(private readonly ctx: StrategyContext) {
    this.driver = driverCosts(ctx.params);
    this.vmm = new Vmm(this.counters, ctx.params);
    this.batchLimit = ctx.params['software.batch'];
  }

  consume(b: EventBatch): void {
    if (this.ctx.slots.slotCapacity > this.slotRefused.length) this.slotRefused = growUint8(this.slotRefused, this.ctx.slots.slotCapacity);
    const c = this.counters;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op === Op.skip) continue;
      this.clock.advance(c, b.ts[i]);
      if (this.guests.add(b.guest[i])) c[C.reachableBytes] += this.vmm.guestBytes;
      if (op === Op.map) {
        this.map(b, i);
      } else {
        this.batchOpen = false;
        if (op === Op.unmap) this.unmap(b, i);
        else if (b.origin[i] === Origin.driver && !this.validDescriptor(b, i)) dmaRefused(c, b.offset[i], b.len[i]);
        else dmaPhysical(c, b.offset[i], b.len[i]);
      }
    }
  }

  /** The VMM's check of a descriptor a driver posts outside a map: every page its guest's. */
  private validDescriptor(b: EventBatch, i: number): boolean {
    const n = pagesSpanned(b.offset[i], b.len[i]);
    for (let p = 0; p < n; p++) if (!this.vmm.validate(b.guest[i], b.page[i] + p)) return false;
    return true;
  }

  /** Whether row i is posted together with the open batch. */
  private joinsBatch(b: EventBatch, i: number): boolean {
    if (!this.batchOpen || this.batchSize >= this.batchLimit) return false;
    if (b.guest[i] !== this.batchGuest || b.device[i] !== this.batchDevice) return false;
    const sameUnit = b.hasUnit[i] === 1 && this.batchHasUnit === 1 && b.unitHi[i] === this.batchUnitHi && b.unitLo[i] === this.batchUnitLo;
    return sameUnit || b.ts[i] === this.batchTs;
  }

  private map(b: EventBatch, i: number): void {
    const c = this.counters;
    const guest = b.guest[i];
    const gpa = b.page[i];
    const n = pagesSpanned(b.offset[i], b.len[i]);
    chargeMap(c, this.driver, b.len[i]);
    if (!this.joinsBatch(b, i)) {
      this.vmm.hypercall();
      this.batchOpen = true;
      this.batchGuest = guest;
      this.batchDevice = b.device[i];
      this.batchSize = 0;
    }
    this.batchHasUnit = b.hasUnit[i];
    this.batchUnitHi = b.unitHi[i];
    this.batchUnitLo = b.unitLo[i];
    this.batchTs = b.ts[i];
    this.batchSize++;
    for (let p = 0; p < n; p++) {
      if (!this.vmm.validate(guest, gpa + p)) {
        refuseMap(c, b.len[i]);
        this.slotRefused[b.slot[i]] = 1;
        return;
      }
    }
    for (let p = 0; p < n; p++) this.vmm.pin(this.vmm.hostPage(guest, gpa + p));
    this.slotRefused[b.slot[i]] = 0;
  }

  private unmap(b: EventBatch, i: number): void {
    const c = this.counters;
    const refused = this.slotRefused[b.slot[i]] === 1;
    if (b.implicitAccess[i] === 1) {
      if (refused) dmaRefused(c, b.offset[i], b.len[i]);
      else dmaPhysical(c, b.offset[i], b.len[i]);
    }
    chargeUnmap(c, this.driver, b.len[i], refused);
    if (refused) return;
    const n = pagesSpanned(b.offset[i], b.len[i]);
    for (let p = 0; p < n; p++) this.vmm.unpin(this.vmm.hostPage(b.guest[i], b.page[i] + p));
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  /** Physical DMA; the VMM will not reassign a page while a pin is held on it. */
  probe(): AttackProbe {
    return fixedProbe(
      null,
      guestPageOfSlot(() => this.slotRefused, this.ctx.slots),
      (guest, gpn) => this.vmm.pinCount(this.vmm.hostPage(guest, gpn)) === 0,
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
    note: 'a driver cannot name another guest\'s page; a misbehaving device reaches any memory',
  },
  create: (ctx) => new SoftwareRun(ctx),
};
