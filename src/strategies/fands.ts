/**
 * `fands`: F&S, "Fast and Safe IO Memory Protection" (Rubin, Agarwal, Cai, Agarwal, SOSP 2024):
 * Linux strict mode with the receive path of its patch (fands.patch against Linux 6.0.3, mlx5).
 *
 * Models: as linux-strict (linux-dma.ts), except that
 * - (B) the pages of one multi-packet receive descriptor get one contiguous IOVA range: DMAs a
 *   driver posts together (same device, same unit, consecutive maps) share a range of
 *   `fands.batch_pages` pages (64: MLX5_MPWRQ_PAGES_PER_WQE), each page at the next IOVA page,
 *   allocated once (IOVA caches raised to hold ranges of `fands.cached_max_pages`: the patch's
 *   IOVA_RANGE_CACHE_MAX_SIZE 7); nothing is torn down at a page's unmap; when the last DMA of
 *   the range is unmapped, the whole range is unmapped in one call, one page-selective
 *   invalidation covers it (AM = 6), one wait, and the range is freed. Until then every page of
 *   the range stays mapped and reachable (the price: a descriptor's pages are exposed until its
 *   last packet is done);
 * - (A) every page-selective invalidation carries the invalidation hint unless the unmap freed
 *   page-table pages, so the walk caches survive (the patch's qi_flush_iotlb fix).
 * `fands.contiguous` = 0 keeps only A ("Linux + A" of the paper's ablation), `fands.ih` = 0 keeps
 * only B ("Linux + B"). DMAs with no unit (or alone in their group) are mapped as linux-strict
 * maps them: the patch changes only the receive descriptor path.
 * Does not model: the one iotlb_sync_map per descriptor (on VT-d without caching mode a write-
 * buffer flush; charged nothing, as linux-strict's per-map sync is not), the transmit-side design
 * the paper describes but the published patch does not contain.
 * Cost charged: as linux-strict: `driver`; `iova-alloc` per range; `pt-update` per PTE write;
 * `iotlb-invalidate` per range unmapped (one request + one wait); `iotlb-walk`.
 * Protection: page granularity, but a page stays reachable until its whole descriptor is done.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { dmaThroughIommu } from '../model/device/dma-engine.js';
import { GUEST_SPACE_PAGES, Op, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { growInt32 } from '../util/grow.js';
import { PAGES_PER_LEAF } from '../model/iommu/page-table.js';
import { LinuxDmaApi } from './linux-dma.js';
import { DescriptorRanges } from './fands-ranges.js';
import { chargeMap, chargeUnmap, useReferenceLoop, isPlainMap } from './common.js';
import { DmaCosts } from '../metrics/dma-costs.js';

class FandsRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly api: LinuxDmaApi;
  private readonly contiguous: boolean;
  private readonly batchPages: number;
  /** Run the reference loop (StrategyContext.reference). */
  private readonly reference: boolean;
  /**
   * Pages the unmap of a whole range clears: all `batchPages` of it (the reference, as the patch
   * unmaps it), or in the flat loop only those handed out, when that gives the same result: the
   * rest of the range was never mapped (its IOVA is the descriptor's alone, and rings live far
   * above every allocated IOVA), so the same leaves are cleared; and a range smaller than a leaf
   * table's span covers no table whole, so neither unmap frees one. Scanning 1 page instead of
   * 64 per descriptor is most of a range unmap's cost.
   */
  private readonly clearUsedOnly: boolean;
  /** Per in-flight DMA: id of its range in `ranges`, or -1 (mapped as linux-strict). */
  private slotRange = new Int32Array(0);
  /** The descriptor ranges, each of `batchPages` pages. */
  private readonly ranges = new DescriptorRanges();
  /** The range being filled, and the unit, device and guest of the DMAs posted into it. */
  private open = -1;
  private openDevice = -1;
  private openGuest = -1;
  private openUnitHi = 0;
  private openUnitLo = 0;

  constructor(ctx: StrategyContext) {
    this.api = new LinuxDmaApi(this.counters, ctx);
    this.contiguous = ctx.params['fands.contiguous'] === 1;
    this.batchPages = ctx.params['fands.batch_pages'];
    this.api.cachedMaxPages = ctx.params['fands.cached_max_pages'];
    this.api.iommu.hint = ctx.params['fands.ih'] === 1;
    this.reference = useReferenceLoop(ctx);
    this.clearUsedOnly = !this.reference && this.batchPages < PAGES_PER_LEAF[1];
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  /** Grows per-slot state to the tracker's slot capacity; once per batch. */
  private syncSlots(): void {
    this.api.syncSlots();
    if (this.slotRange.length < this.api.slotIova.length) this.slotRange = growInt32(this.slotRange, this.api.slotIova.length, -1);
  }

  /**
   * The flat loop: the map of a single-segment DMA of pages the guest owns (into a descriptor
   * range, or as linux-strict maps it), and the unmap of a mapped single-segment DMA, written out
   * here without LinuxDmaApi's map / mapAt / unmapPages and without loading an SgList (the
   * buffer's pages are the run page, page + 1, ... of the row itself). It repeats the reference
   * methods' steps in their order, so each counter gets the same additions in the same order.
   * Scatter-gather DMAs, refused maps and explicit accesses take the reference path.
   * consumeReference is the readable form and the truth (test/strategies/reference-loops.test.ts).
   */
  consume(b: EventBatch): void {
    if (this.reference) {
      this.consumeReference(b);
      return;
    }
    this.syncSlots();
    const api = this.api;
    const slotIova = api.slotIova;
    const slotRange = this.slotRange;
    const ranges = this.ranges;
    const c = this.counters;
    const iommu = api.iommu;
    const driver = api.driver;
    const reachable = api.reachable;
    const rings = api.rings;
    const contiguous = this.contiguous;
    const batchPages = this.batchPages;
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
          this.map(b, i);
          continue;
        }
        const domain = b.device[i];
        let id = -1;
        let iova: number;
        if (!contiguous || b.hasUnit[i] !== 1 || pages > batchPages) {
          // As linux-strict maps it: a range of its own.
          this.closeOpen();
          chargeMap(c, driver, len);
          iova = api.allocIova(domain, pages, b.cpu[i]);
        } else {
          if (!this.joins(b, i, pages)) this.openRange(b, i);
          id = this.open;
          iova = ranges.iova[id] + ranges.used[id];
          chargeMap(c, driver, len);
        }
        iommu.mapRun(domain, iova, guest * GUEST_SPACE_PAGES + gpn, pages, permForDir(b.dir[i]));
        reachable.noteRun(guest, gpn, pages, 1);
        c[C.pagesMappedNew] += pages;
        const slot = b.slot[i];
        slotIova[slot] = iova;
        rings.posted(b, i);
        slotRange[slot] = id;
        if (id >= 0) {
          for (let p = 0; p < pages; p++) ranges.pushPage(id, gpn + p);
          ranges.live[id]++;
        }
        continue;
      }
      this.closeOpen();
      if (op !== Op.unmap) {
        api.access(b, i);
        continue;
      }
      const slot = b.slot[i];
      const iova = slotIova[slot];
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
      const id = slotRange[slot];
      if (id >= 0) {
        // The pages stay mapped until the range's last DMA is done.
        ranges.cpu[id] = b.cpu[i];
        if (--ranges.live[id] === 0 && ranges.open[id] === 0) this.tearDown(id);
        continue;
      }
      // linux-strict's unmap.
      const pages = pagesSpanned(offset, len);
      const freed = iommu.unmapRange(domain, iova, pages);
      reachable.noteRun(b.guest[i], b.page[i], pages, -1);
      iommu.invalidateRange(domain, iova, pages, freed > 0);
      iommu.waitForInvalidations();
      api.freeIova(domain, iova, pages, b.cpu[i]);
    }
    this.costs.flush(c);
  }

  /** The reference loop: every DMA through the methods below and LinuxDmaApi. */
  private consumeReference(b: EventBatch): void {
    this.syncSlots();
    const c = this.counters;
    const api = this.api;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      if (op === Op.map) this.map(b, i);
      else {
        this.closeOpen();
        if (op === Op.unmap) this.unmap(b, i);
        else api.access(b, i);
      }
    }
    this.costs.flush(c);
  }

  /** Whether the map at row i, of `pages` pages, joins the range being filled. */
  private joins(b: EventBatch, i: number, pages: number): boolean {
    const id = this.open;
    if (id < 0) return false;
    return b.device[i] === this.openDevice && b.guest[i] === this.openGuest && b.unitHi[i] === this.openUnitHi && b.unitLo[i] === this.openUnitLo && this.ranges.used[id] + pages <= this.batchPages;
  }

  /** The range being filled is closed, and a new one, for the descriptor of row i, opened. */
  private openRange(b: EventBatch, i: number): void {
    this.closeOpen();
    const iova = this.api.allocIova(b.device[i], this.batchPages, b.cpu[i]);
    this.open = this.ranges.add(b.device[i], b.guest[i], iova, b.cpu[i]);
    this.openDevice = b.device[i];
    this.openGuest = b.guest[i];
    this.openUnitHi = b.unitHi[i];
    this.openUnitLo = b.unitLo[i];
  }

  private map(b: EventBatch, i: number): void {
    const api = this.api;
    const slot = b.slot[i];
    if (!this.contiguous || b.hasUnit[i] !== 1) {
      this.closeOpen();
      this.slotRange[slot] = -1;
      api.map(b, i);
      return;
    }
    const pages = api.sg.load(b, i, this.api.ctxSlots).totalPages;
    if (pages > this.batchPages) {
      this.closeOpen();
      this.slotRange[slot] = -1;
      api.map(b, i);
      return;
    }
    if (!this.joins(b, i, pages)) this.openRange(b, i);
    const id = this.open;
    const at = api.mapAt(b, i, this.ranges.iova[id] + this.ranges.used[id]);
    if (at < 0) {
      this.slotRange[slot] = -1; // refused: nothing of the range used
      return;
    }
    for (let p = 0; p < pages; p++) this.ranges.pushPage(id, api.sg.gpn[p]);
    this.ranges.live[id]++;
    this.slotRange[slot] = id;
  }

  private unmap(b: EventBatch, i: number): void {
    const api = this.api;
    const id = this.slotRange[b.slot[i]];
    if (id < 0) {
      // linux-strict's unmap
      const iova = api.unmapPages(b, i);
      if (iova < 0) return;
      const pages = api.sg.totalPages;
      api.iommu.invalidateRange(b.device[i], iova, pages, api.lastTablesFreed > 0);
      api.iommu.waitForInvalidations();
      api.freeIova(b.device[i], iova, pages, b.cpu[i]);
      return;
    }
    api.unmapPages(b, i, false, true);
    const r = this.ranges;
    r.live[id]--;
    r.cpu[id] = b.cpu[i];
    if (r.live[id] === 0 && r.open[id] === 0) this.tearDown(id);
  }

  /** No more DMAs join the range being filled; if all of them are unmapped already, it goes. */
  private closeOpen(): void {
    const id = this.open;
    if (id < 0) return;
    this.ranges.open[id] = 0;
    this.open = -1;
    if (this.ranges.live[id] === 0) this.tearDown(id);
  }

  /** The range's last DMA is done: one unmap of the whole range, one invalidation, one wait, free. */
  private tearDown(id: number): void {
    const api = this.api;
    const r = this.ranges;
    const domain = r.domain[id];
    const iova = r.iova[id];
    const freed = api.iommu.unmapRange(domain, iova, this.clearUsedOnly ? r.used[id] : this.batchPages);
    api.iommu.invalidateRange(domain, iova, this.batchPages, freed > 0);
    api.iommu.waitForInvalidations();
    api.releaseReachable(r.guest[id], r.pagesOf(id), 0, r.used[id]);
    api.freeIova(domain, iova, this.batchPages, r.cpu[id]);
    this.counters[C.fandsRanges]++;
    r.release(id);
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  probe(): AttackProbe {
    return this.api.probe();
  }
}

export const fands: StrategyDefinition = {
  id: 'fands',
  summary: 'F&S (SOSP 2024): linux-strict with one contiguous IOVA range and one invalidation per receive descriptor, walk caches kept (IH)',
  fromPaper: false,
  hasMappings: true,
  protection: {
    interGuest: 'full',
    intraGuest: 'page',
    enforcedOnDevice: true,
    note: 'as linux-strict, but a descriptor\'s pages stay reachable until its last packet is unmapped',
  },
  create: (ctx) => new FandsRun(ctx),
};
