/**
 * `linux-strict`: the Linux DMA API over an Intel VT-d IOMMU with `iommu.strict=1`: every unmap
 * is followed by a synchronous IOTLB invalidation before the IOVA is freed.
 *
 * Models: (see linux-dma.ts) per-device domains, IOVA ranges from the rcache allocator (fast
 * and slow paths), one PTE per page; at unmap the PTEs are cleared, one page-selective
 * invalidation with an address mask covers the range (a domain flush past 2 MiB), one wait,
 * then the IOVA is freed (and so can be reused at once, as the allocator's LIFO caches do). A
 * scatter-gather list is one range: one allocation, one invalidation and one wait per list.
 * Cost charged: `driver`; `iova-alloc`; `pt-update` per PTE write; `iotlb-invalidate` per
 * unmap (one request + one wait); `iotlb-walk`.
 * Protection: as single-use, per device: pages of buffers in flight only.
 */
import { C, newCounters } from '../metrics/counters.js';
import { dmaThroughIommu } from '../model/device/dma-engine.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { GUEST_SPACE_PAGES, Op, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { LinuxDmaApi } from './linux-dma.js';
import { chargeMap, chargeUnmap, useReferenceLoop, isPlainMap } from './common.js';
import { DmaCosts } from '../metrics/dma-costs.js';

class LinuxStrictRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly api: LinuxDmaApi;

  /** Run the reference loop (StrategyContext.reference). */
  private readonly reference: boolean;

  constructor(ctx: StrategyContext) {
    this.api = new LinuxDmaApi(this.counters, ctx);
    this.reference = useReferenceLoop(ctx);
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  /**
   * The flat loop: the map of a single-segment DMA of pages the guest owns, and the unmap of a
   * mapped single-segment DMA, written out here without LinuxDmaApi's map / unmapPages (whose
   * steps it repeats in order; each counter gets the same additions in the same order).
   * Scatter-gather DMAs, refused maps and explicit accesses take the reference path.
   * consumeReference is the readable form and the truth (test/strategies/reference-loops.test.ts).
   */
  consume(b: EventBatch): void {
    if (this.reference) {
      this.consumeReference(b);
      return;
    }
    const api = this.api;
    api.syncSlots();
    const slotIova = api.slotIova;
    const c = this.counters;
    const iommu = api.iommu;
    const driver = api.driver;
    const reachable = api.reachable;
    const rings = api.rings;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      if (op === Op.map) {
        const guest = b.guest[i];
        const gpn = b.page[i];
        const len = b.len[i];
        const pages = pagesSpanned(b.offset[i], len);
        // Unusual: a scatter-gather list, or a page the guest does not own (refused).
        if (!isPlainMap(b, i, pages)) {
          api.map(b, i);
          continue;
        }
        const domain = b.device[i];
        chargeMap(c, driver, len);
        const iova = api.allocIova(domain, pages, b.cpu[i]);
        iommu.mapRun(domain, iova, guest * GUEST_SPACE_PAGES + gpn, pages, permForDir(b.dir[i]));
        reachable.noteRun(guest, gpn, pages, 1);
        c[C.pagesMappedNew] += pages;
        slotIova[b.slot[i]] = iova;
        rings.posted(b, i);
      } else if (op === Op.unmap) {
        const iova = slotIova[b.slot[i]];
        // Unusual: a scatter-gather list, or a DMA whose map was refused.
        if (b.segs[i] > 1 || iova < 0) {
          this.unmap(b, i);
          continue;
        }
        const domain = b.device[i];
        const offset = b.offset[i];
        const len = b.len[i];
        if (b.implicitAccess[i] === 1) dmaThroughIommu(iommu, c, domain, iova, offset, len, permForDir(b.dir[i]));
        rings.completed(b, i);
        chargeUnmap(c, driver, len, false);
        const pages = pagesSpanned(offset, len);
        const freed = iommu.unmapRange(domain, iova, pages);
        reachable.noteRun(b.guest[i], b.page[i], pages, -1);
        iommu.invalidateRange(domain, iova, pages, freed > 0);
        iommu.waitForInvalidations();
        api.freeIova(domain, iova, pages, b.cpu[i]);
      } else api.access(b, i);
    }
    this.costs.flush(c);
  }

  /** The reference loop: every DMA through LinuxDmaApi. */
  private consumeReference(b: EventBatch): void {
    this.api.syncSlots();
    const c = this.counters;
    const api = this.api;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      if (op === Op.map) api.map(b, i);
      else if (op === Op.unmap) this.unmap(b, i);
      else api.access(b, i);
    }
    this.costs.flush(c);
  }

  /** dma_unmap_* in strict mode: PTEs cleared, one invalidation of the range, a wait, the IOVA freed. */
  private unmap(b: EventBatch, i: number): void {
    const api = this.api;
    const iova = api.unmapPages(b, i);
    if (iova < 0) return;
    const pages = api.sg.totalPages;
    api.iommu.invalidateRange(b.device[i], iova, pages, api.lastTablesFreed > 0);
    api.iommu.waitForInvalidations();
    api.freeIova(b.device[i], iova, pages, b.cpu[i]);
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  probe(): AttackProbe {
    return this.api.probe();
  }
}

export const linuxStrict: StrategyDefinition = {
  id: 'linux-strict',
  summary: 'Linux DMA API, iommu.strict=1: IOVA per mapping, synchronous IOTLB invalidation at every unmap',
  fromPaper: false,
  hasMappings: true,
  protection: {
    interGuest: 'full',
    intraGuest: 'page',
    enforcedOnDevice: true,
    note: 'pages of buffers in flight are reachable, per device domain; nothing stale after unmap returns',
  },
  create: (ctx) => new LinuxStrictRun(ctx),
};
