/**
 * `shadow`: DMA through permanently mapped shadow buffers (Markuze et al., ASPLOS 2016). The
 * device only ever reaches the shadow pool; data is copied into a shadow buffer at map (TX) and
 * out of it at unmap (RX). No mapping changes per DMA, so no invalidations.
 *
 * Models: per-device IOMMU domains and shadow pools (see shadow-pool.ts); map takes a shadow
 * buffer of the buffer's size class (growing the pool by mapping new pages when none is free)
 * and, for to_device and bidirectional buffers, copies the data in; the device accesses the
 * shadow buffer's IOVA; unmap copies from_device and bidirectional data out and returns the
 * shadow buffer. A scatter-gather list takes one shadow buffer per segment, each copied on its own
 * (as swiotlb bounces each segment). A driver naming a page its guest does not own is refused
 * (as linux-*). Pool pages come from the top of the guest's RAM (guest.memory_mib), below the
 * descriptor rings (ring-traffic.ts), which the device reads and writes through its domain too.
 * Does not model: copies that overlap the device's DMA (the copy is charged in full on the CPU).
 * Cost charged: `driver`; `iova-alloc` per shadow buffer taken and returned
 * (shadow.alloc_cycles); `copy` per segment copied (copy.call_cycles + bytes x copy.byte_cycles);
 * `pt-update` only when a pool grows; `iotlb-walk`.
 * Protection: byte granular: the device reaches shadow buffers only, never guest memory
 * (exposure 0); shadow buffers hold copies of data already given to the device.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaRefused, dmaThroughIommu, sgRefused } from '../model/device/dma-engine.js';
import { SgList } from '../model/device/sg-list.js';
import { RingTraffic, ringReservePages } from './ring-traffic.js';
import { Iommu } from '../model/iommu/iommu.js';
import { ShadowPool } from '../model/iommu/shadow-pool.js';
import { Vmm } from '../model/vmm/vmm.js';
import { Dir, Op, PAGE_SIZE, Perm, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { chargeMap, chargeUnmap, refuseMap, driverCosts, fixedProbe, growFloat64, useReferenceLoop, type DriverCosts, isPlainMap } from './common.js';
import { DmaCosts } from '../metrics/dma-costs.js';

class ShadowRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly driver: DriverCosts;
  private readonly vmm: Vmm;
  private readonly iommu: Iommu;
  private readonly pools: ShadowPool[] = [];
  /** Pool pages used per guest, counted down from the top of its memory. */
  private readonly guestPoolPages: number[] = [];
  private readonly allocCycles: number;
  private readonly copyCall: number;
  private readonly copyByte: number;
  /** Per in-flight DMA: shadow address of its first segment, or -1 when the map was refused. */
  private slotShadow = new Float64Array(0);
  /** Per in-flight scatter-gather DMA: the shadow address of every segment. */
  private readonly slotShadows = new Map<number, Float64Array>();
  private readonly sg = new SgList();
  private readonly rings: RingTraffic;
  /** Run the reference loop (StrategyContext.reference). */
  private readonly reference: boolean;

  constructor(private readonly ctx: StrategyContext) {
    this.reference = useReferenceLoop(ctx);
    this.driver = driverCosts(ctx.params);
    this.vmm = new Vmm(this.counters, ctx.params);
    this.iommu = new Iommu(this.counters, ctx.params);
    this.rings = new RingTraffic(this.counters, ctx.params, this.iommu, this.vmm, 'device-domain');
    this.allocCycles = ctx.params['shadow.alloc_cycles'];
    this.copyCall = ctx.params['copy.call_cycles'];
    this.copyByte = ctx.params['copy.byte_cycles'];
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  /**
   * The flat loop: the map of a single-segment buffer of the guest's own pages (one shadow
   * buffer) and the unmap of a single-segment DMA whose map was not refused are handled here;
   * refused maps, scatter-gather lists and explicit accesses take the reference methods below.
   * consumeReference is the readable form and the truth (test/strategies/reference-loops.test.ts).
   */
  consume(b: EventBatch): void {
    if (this.reference) {
      this.consumeReference(b);
      return;
    }
    if (this.ctx.slots.slotCapacity > this.slotShadow.length) this.slotShadow = growFloat64(this.slotShadow, this.ctx.slots.slotCapacity);
    const c = this.counters;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      if (op === Op.map) {
        const guest = b.guest[i];
        const gpn = b.page[i];
        const len = b.len[i];
        if (!isPlainMap(b, i, pagesSpanned(b.offset[i], len))) {
          this.map(b, i);
          continue;
        }
        chargeMap(c, this.driver, len);
        const pool = this.pool(b.device[i]);
        const addr = pool.take(len);
        c[C.cycIovaAlloc] += this.allocCycles;
        const grew = pool.lastGrowPages > 0;
        if (grew) this.grow(guest, b.device[i], pool);
        if (b.dir[i] !== Dir.from_device) this.copy(len);
        this.slotShadow[b.slot[i]] = addr;
        if (!grew) c[C.mapReuses]++;
        c[C.reachableBytes] += len;
        this.rings.posted(b, i);
      } else if (op === Op.unmap) {
        const first = this.slotShadow[b.slot[i]];
        if (b.segs[i] > 1 || first < 0) {
          this.unmap(b, i);
          continue;
        }
        const len = b.len[i];
        if (b.implicitAccess[i] === 1) this.deviceAccess(b.device[i], first, len, permForDir(b.dir[i]));
        this.rings.completed(b, i);
        chargeUnmap(c, this.driver, len, false);
        if (b.dir[i] !== Dir.to_device) this.copy(len);
        this.pool(b.device[i]).give(first, len);
        c[C.cycIovaAlloc] += this.allocCycles;
        c[C.reachableBytes] -= len;
      } else this.access(b, i);
    }
    this.costs.flush(c);
  }

  /** The reference loop: every DMA through map / unmap / access below. */
  private consumeReference(b: EventBatch): void {
    if (this.ctx.slots.slotCapacity > this.slotShadow.length) this.slotShadow = growFloat64(this.slotShadow, this.ctx.slots.slotCapacity);
    const c = this.counters;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
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
    const slot = b.slot[i];
    chargeMap(c, this.driver, sg.totalLen);
    for (let p = 0; p < sg.totalPages; p++) {
      if (!this.vmm.owns(guest, sg.gpn[p])) {
        refuseMap(c, sg.totalLen, b.line[i]);
        this.slotShadow[slot] = -1;
        return;
      }
    }
    const pool = this.pool(b.device[i]);
    const addrs = sg.count > 1 ? new Float64Array(sg.count) : null;
    let grew = false;
    for (let k = 0; k < sg.count; k++) {
      const len = sg.len[k];
      const addr = pool.take(len);
      c[C.cycIovaAlloc] += this.allocCycles;
      if (pool.lastGrowPages > 0) {
        this.grow(guest, b.device[i], pool);
        grew = true;
      }
      if (b.dir[i] !== Dir.from_device) this.copy(len);
      if (k === 0) this.slotShadow[slot] = addr;
      if (addrs !== null) addrs[k] = addr;
    }
    if (!grew) c[C.mapReuses]++;
    if (addrs !== null) this.slotShadows.set(slot, addrs);
    // The device reaches the shadow copies only: nothing of guest memory beyond the DMA.
    c[C.reachableBytes] += sg.totalLen;
    this.rings.posted(b, i);
  }

  /** Maps the pages a pool just grew by, read-write, for good. */
  private grow(guest: number, domain: number, pool: ShadowPool): void {
    const c = this.counters;
    for (let p = 0; p < pool.lastGrowPages; p++) {
      const used = (this.guestPoolPages[guest] ?? 0) + 1;
      this.guestPoolPages[guest] = used;
      const gpn = this.vmm.ramPages - ringReservePages(this.vmm.ramPages) - used;
      this.iommu.mapPage(domain, pool.lastGrowIovaPage + p, this.vmm.hostPage(guest, gpn), Perm.readWrite);
    }
    c[C.pagesMappedNew] += pool.lastGrowPages;
    c[C.shadowPages] += pool.lastGrowPages;
  }

  private unmap(b: EventBatch, i: number): void {
    const c = this.counters;
    const slot = b.slot[i];
    const first = this.slotShadow[slot];
    const sg = this.sg.load(b, i, this.ctx.slots);
    const addrs = sg.count > 1 ? this.slotShadows.get(slot) : undefined;
    if (b.implicitAccess[i] === 1) {
      if (first < 0) sgRefused(c, sg);
      else for (let k = 0; k < sg.count; k++) this.deviceAccess(b.device[i], addrs ? addrs[k] : first, sg.len[k], permForDir(b.dir[i]));
    }
    if (first >= 0) this.rings.completed(b, i);
    chargeUnmap(c, this.driver, b.len[i], first < 0);
    if (first < 0) return;
    const pool = this.pool(b.device[i]);
    for (let k = 0; k < sg.count; k++) {
      if (b.dir[i] !== Dir.to_device) this.copy(sg.len[k]);
      pool.give(addrs ? addrs[k] : first, sg.len[k]);
      c[C.cycIovaAlloc] += this.allocCycles;
    }
    if (addrs) this.slotShadows.delete(slot);
    c[C.reachableBytes] -= sg.totalLen;
  }

  private access(b: EventBatch, i: number): void {
    const slot = b.slot[i];
    if (slot >= 0) {
      let addr = this.slotShadow[slot];
      const addrs = this.slotShadows.get(slot);
      if (addrs !== undefined) {
        // The segment holding the page named (else the first).
        this.ctx.slots.segmentsOf(slot, this.sg);
        const k = this.sg.segmentOf(b.page[i]);
        if (k >= 0) addr = addrs[k];
      }
      if (addr < 0) dmaRefused(this.counters, b.offset[i], b.len[i]);
      // The device names the shadow buffer; an offset into the original maps to the same offset.
      else this.deviceAccess(b.device[i], addr, b.len[i], permForDir(b.dir[i]));
      return;
    }
    dmaThroughIommu(this.iommu, this.counters, b.device[i], b.page[i], b.offset[i], b.len[i], permForDir(b.dir[i]));
  }

  private deviceAccess(domain: number, addr: number, len: number, need: number): void {
    const page = Math.floor(addr / PAGE_SIZE);
    dmaThroughIommu(this.iommu, this.counters, domain, page, addr - page * PAGE_SIZE, len, need);
  }

  private copy(len: number): void {
    const c = this.counters;
    c[C.copyBytes] += len;
    c[C.cycCopy] += this.copyCall + len * this.copyByte;
  }

  private pool(domain: number): ShadowPool {
    let p = this.pools[domain];
    if (p === undefined) {
      p = new ShadowPool();
      this.pools[domain] = p;
    }
    return p;
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  /** The device uses the shadow buffer's IOVA; guest pages are never in its domain. */
  probe(): AttackProbe {
    return fixedProbe(this.iommu, (slot) => (this.slotShadow[slot] < 0 ? -1 : Math.floor(this.slotShadow[slot] / PAGE_SIZE)));
  }
}

export const shadow: StrategyDefinition = {
  id: 'shadow',
  summary: 'permanently mapped shadow buffers (Markuze et al. 2016): copy in/out, no map/unmap, no invalidations',
  fromPaper: false,
  hasMappings: true,
  protection: {
    interGuest: 'full',
    intraGuest: 'byte',
    enforcedOnDevice: true,
    note: 'byte granular: the device reaches only shadow copies of I/O data, never the guest\'s own pages',
  },
  create: (ctx) => new ShadowRun(ctx),
};
