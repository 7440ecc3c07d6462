/**
 * `direct-map`: all of a guest's memory is mapped in its IOMMU domain once, when the guest
 * starts; nothing happens per DMA.
 *
 * Models: at a guest's first event, its RAM (guest.memory_mib from address 0) is mapped
 * read-write at IOVA = guest-physical address (setup, reported apart from the run's cycles); a
 * guest owns any page of its guest-physical space, so a DMA to a page beyond that RAM (RAM above
 * the PCI hole, a large VM) finds it mapped too: such pages are mapped, leaf by leaf, when a DMA
 * first names them, and counted as setup as well (the VMM's table mirrors all of the guest's
 * memory from the start). Devices translate through the IOMMU (IOTLB, walk on a miss); pages the
 * guest does not own stay unmapped and fault.
 * With `direct-map.page_kib` = 2048 or 1048576 the guest is mapped with 2 MiB or 1 GiB leaves
 * (any tail smaller than one is mapped with the next smaller size): fewer PTEs, shorter walks
 * (3 or 2 references) and one IOTLB entry covering 512 or 262,144 pages.
 * Cost charged: `driver` per map and unmap; `iotlb-walk` on misses; setup PTE writes as setup.
 * Protection: inter-guest only: the device reaches all of its guest's memory.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaThroughIommu, sgThroughGpa } from '../model/device/dma-engine.js';
import { SgList, dmaLen } from '../model/device/sg-list.js';
import { Iommu } from '../model/iommu/iommu.js';
import { MAX_IOVA_PAGES, PAGES_PER_LEAF, PageSize } from '../model/iommu/page-table.js';
import { Vmm } from '../model/vmm/vmm.js';
import { Op, Origin, PAGE_SIZE, Perm, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { TripleKeyMap, hiOf } from '../util/triple-key-map.js';
import { chargeMap, chargeUnmap, driverCosts, GuestSet, type DriverCosts } from './common.js';
import { RingTraffic } from './ring-traffic.js';

class DirectMapRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly guests = new GuestSet();
  private readonly driver: DriverCosts;
  private readonly vmm: Vmm;
  private readonly iommu: Iommu;
  /** Leaf level used for guest memory: 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB. */
  private readonly leafLevel: number;
  /** Leaves mapped beyond a guest's RAM, by (guest, first page of the leaf). */
  private readonly beyondRam = new TripleKeyMap(16);
  private readonly sg = new SgList();
  private readonly rings: RingTraffic;

  private readonly slots: StrategyContext['slots'];

  constructor(ctx: StrategyContext) {
    this.slots = ctx.slots;
    const kib = ctx.params['direct-map.page_kib'];
    this.leafLevel = kib === 1048576 ? PageSize.huge : kib === 2048 ? PageSize.large : PageSize.small;
    this.driver = driverCosts(ctx.params);
    this.vmm = new Vmm(this.counters, ctx.params);
    this.iommu = new Iommu(this.counters, ctx.params);
    this.rings = new RingTraffic(this.counters, ctx.params, this.iommu, this.vmm, 'guest-physical');
  }

  consume(b: EventBatch): void {
    const c = this.counters;
    const iommu = this.iommu;
    const ram = this.vmm.ramPages;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.clock.advance(c, b.ts[i]);
      const guest = b.guest[i];
      if (this.guests.add(guest)) this.startGuest(guest);
      if (op === Op.map) {
        chargeMap(c, this.driver, dmaLen(b, i, this.slots));
        const sg = this.sg.load(b, i, this.slots);
        // Served by the standing mapping when every page is the guest's and translatable.
        let served = true;
        for (let p = 0; p < sg.totalPages; p++) {
          const gpn = sg.gpn[p];
          if (!this.vmm.owns(guest, gpn) || gpn >= MAX_IOVA_PAGES) served = false;
          else if (gpn >= ram) this.mapBeyondRam(guest, gpn);
        }
        if (served) c[C.mapReuses]++;
        this.rings.posted(b, i);
      } else if (op === Op.unmap) {
        if (b.implicitAccess[i] === 1) {
          if (b.segs[i] === 1) dmaThroughIommu(iommu, c, guest, b.page[i], b.offset[i], b.len[i], permForDir(b.dir[i]));
          else sgThroughGpa(iommu, c, guest, this.sg.load(b, i, this.slots), permForDir(b.dir[i]));
        }
        this.rings.completed(b, i);
        chargeUnmap(c, this.driver, b.len[i]);
      } else {
        if (b.origin[i] === Origin.trace) {
          const n = pagesSpanned(b.offset[i], b.len[i]);
          for (let p = 0; p < n; p++) {
            const gpn = b.page[i] + p;
            if (gpn >= ram && gpn < MAX_IOVA_PAGES && this.vmm.owns(guest, gpn)) this.mapBeyondRam(guest, gpn);
          }
        }
        dmaThroughIommu(iommu, c, guest, b.page[i], b.offset[i], b.len[i], permForDir(b.dir[i]));
      }
    }
  }

  /** A page of the guest beyond its RAM: its leaf is mapped (as setup) unless it already is. */
  private mapBeyondRam(guest: number, gpn: number): void {
    let level = this.leafLevel;
    let base = Math.floor(gpn / PAGES_PER_LEAF[level]) * PAGES_PER_LEAF[level];
    // A superpage that would straddle the end of RAM (mapped with smaller leaves): this page alone.
    if (base < this.vmm.ramPages) {
      level = PageSize.small;
      base = gpn;
    }
    if (this.beyondRam.get(guest, hiOf(base), base >>> 0) >= 0) return;
    this.beyondRam.set(guest, hiOf(base), base >>> 0, 1);
    this.iommu.setupMapPage(guest, base, this.vmm.hostPage(guest, base), Perm.readWrite, level);
    this.counters[C.reachableBytes] += PAGES_PER_LEAF[level] * PAGE_SIZE;
  }

  /**
   * Maps all of the guest's RAM, read-write, at IOVA = guest-physical address (the largest leaves
   * first, smaller ones for the tail). The IOMMU counts the whole mapping as set up but builds its
   * tables only where devices go, so 1,024 guests of 1 GiB cost what their DMAs touch.
   */
  private startGuest(guest: number): void {
    this.iommu.setupMapIdentity(guest, this.vmm.ramPages, this.vmm.hostPage(guest, 0), Perm.readWrite, this.leafLevel);
    this.counters[C.reachableBytes] += this.vmm.ramBytes;
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  /**
   * IOVA = guest-physical address. The VMM's IOMMU table mirrors the guest's memory, so when it
   * takes a page away it unmaps it (the whole superpage holding it, when mapped with one) and
   * invalidates the IOTLB before the page changes hands.
   */
  probe(): AttackProbe {
    const leafPages = PAGES_PER_LEAF[this.leafLevel];
    const base = (gpn: number) => Math.floor(gpn / leafPages) * leafPages;
    return {
      iommu: this.iommu,
      devicePage: (slot) => this.slots.pageOfSlot(slot),
      reassign: (guest, gpn) => {
        this.iommu.unmapPage(guest, gpn); // clears whichever leaf covers the page
        this.iommu.invalidatePage(guest, gpn);
        this.iommu.waitForInvalidations();
        return true;
      },
      restore: (guest, gpn) => {
        const b = base(gpn);
        if (b + leafPages <= this.vmm.ramPages || b >= this.vmm.ramPages) this.iommu.setupMapPage(guest, b, this.vmm.hostPage(guest, b), Perm.readWrite, this.leafLevel);
        else this.iommu.setupMapPage(guest, gpn, this.vmm.hostPage(guest, gpn), Perm.readWrite, 0);
      },
    };
  }
}

export const directMap: StrategyDefinition = {
  id: 'direct-map',
  summary: 'all guest memory mapped in the IOMMU once at guest start; nothing per DMA',
  fromPaper: true,
  hasMappings: true,
  protection: {
    interGuest: 'full',
    intraGuest: 'none',
    enforcedOnDevice: true,
    note: 'the device reaches every page of its own guest, never another guest or the VMM',
  },
  create: (ctx) => new DirectMapRun(ctx),
};
