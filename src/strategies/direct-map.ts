/**
 * `direct-map`: all of a guest's memory is mapped in its IOMMU domain once, when the guest
 * starts; nothing happens per DMA.
 *
 * Models: at a guest's first event, every guest page is mapped read-write at IOVA = guest-
 * physical address (setup, reported apart from the run's cycles); devices translate through the
 * IOMMU (IOTLB, walk on a miss); pages the guest does not own stay unmapped and fault.
 * With `direct-map.page_kib` = 2048 or 1048576 the guest is mapped with 2 MiB or 1 GiB leaves
 * (any tail smaller than one is mapped with the next smaller size): fewer PTEs, shorter walks
 * (3 or 2 references) and one IOTLB entry covering 512 or 262,144 pages.
 * Cost charged: `driver` per map and unmap; `iotlb-walk` on misses; setup PTE writes as setup.
 * Protection: inter-guest only: the device reaches all of its guest's memory.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaThroughIommu } from '../model/device/dma-engine.js';
import { Iommu } from '../model/iommu/iommu.js';
import { PAGES_PER_LEAF, PageSize } from '../model/iommu/page-table.js';
import { Vmm } from '../model/vmm/vmm.js';
import { Op, Perm, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { chargeMap, chargeUnmap, driverCosts, GuestSet, type DriverCosts } from './common.js';

class DirectMapRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly guests = new GuestSet();
  private readonly driver: DriverCosts;
  private readonly vmm: Vmm;
  private readonly iommu: Iommu;
  /** Leaf level used for guest memory: 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB. */
  private readonly leafLevel: number;

  private readonly slots: StrategyContext['slots'];

  constructor(ctx: StrategyContext) {
    this.slots = ctx.slots;
    const kib = ctx.params['direct-map.page_kib'];
    this.leafLevel = kib === 1048576 ? PageSize.huge : kib === 2048 ? PageSize.large : PageSize.small;
    this.driver = driverCosts(ctx.params);
    this.vmm = new Vmm(this.counters, ctx.params);
    this.iommu = new Iommu(this.counters, ctx.params);
  }

  consume(b: EventBatch): void {
    const c = this.counters;
    const iommu = this.iommu;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op === Op.skip) continue;
      this.clock.advance(c, b.ts[i]);
      const guest = b.guest[i];
      if (this.guests.add(guest)) this.startGuest(guest);
      if (op === Op.map) {
        chargeMap(c, this.driver, b.len[i]);
        // Served by the standing mapping when the guest owns every page of the buffer.
        const pages = pagesSpanned(b.offset[i], b.len[i]);
        if (this.vmm.owns(guest, b.page[i]) && this.vmm.owns(guest, b.page[i] + pages - 1)) c[C.mapReuses]++;
      } else if (op === Op.unmap) {
        if (b.implicitAccess[i] === 1) dmaThroughIommu(iommu, c, guest, b.page[i], b.offset[i], b.len[i], permForDir(b.dir[i]));
        chargeUnmap(c, this.driver, b.len[i]);
      } else {
        dmaThroughIommu(iommu, c, guest, b.page[i], b.offset[i], b.len[i], permForDir(b.dir[i]));
      }
    }
  }

  /** Maps all of the guest's memory, read-write, at IOVA = guest-physical address. */
  private startGuest(guest: number): void {
    const pages = this.vmm.guestPages;
    let gpn = 0;
    for (let level = this.leafLevel; level >= 0; level--) {
      const step = PAGES_PER_LEAF[level];
      for (; gpn + step <= pages; gpn += step) this.iommu.setupMapPage(guest, gpn, this.vmm.hostPage(guest, gpn), Perm.readWrite, level);
    }
    this.counters[C.reachableBytes] += this.vmm.guestBytes;
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
        if (b + leafPages <= this.vmm.guestPages) this.iommu.setupMapPage(guest, b, this.vmm.hostPage(guest, b), Perm.readWrite, this.leafLevel);
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
