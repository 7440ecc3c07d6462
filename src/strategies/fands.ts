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
import { Op, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { growInt32 } from '../util/grow.js';
import { LinuxDmaApi } from './linux-dma.js';
import { DmaCosts } from '../metrics/dma-costs.js';

/** A range of IOVA pages shared by the DMAs of one descriptor. */
interface Range {
  domain: number;
  guest: number;
  iova: number;
  /** Pages allocated, and pages handed out so far. */
  pages: number;
  used: number;
  /** DMAs of the range not yet unmapped; whether more may still join. */
  live: number;
  open: boolean;
  /** The guest pages mapped in it, in IOVA order. */
  gpns: number[];
  /** The CPU that unmaps last (frees the range). */
  cpu: number;
}

class FandsRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly api: LinuxDmaApi;
  private readonly contiguous: boolean;
  private readonly batchPages: number;
  /** Per in-flight DMA: index of its range in `ranges`, or -1 (mapped as linux-strict). */
  private slotRange = new Int32Array(0);
  private readonly ranges: (Range | null)[] = [];
  private readonly freeIds: number[] = [];
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
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  consume(b: EventBatch): void {
    this.api.syncSlots();
    if (this.slotRange.length < this.api.slotIova.length) this.slotRange = growInt32(this.slotRange, this.api.slotIova.length, -1);
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

  /** Whether the map at row i joins the range being filled. */
  private joins(b: EventBatch, i: number, pages: number): boolean {
    if (this.open < 0) return false;
    const r = this.ranges[this.open]!;
    return b.device[i] === this.openDevice && b.guest[i] === this.openGuest && b.unitHi[i] === this.openUnitHi && b.unitLo[i] === this.openUnitLo && r.used + pages <= r.pages;
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
    if (!this.joins(b, i, pages)) {
      this.closeOpen();
      const iova = api.allocIova(b.device[i], this.batchPages, b.cpu[i]);
      this.open = this.newRange({ domain: b.device[i], guest: b.guest[i], iova, pages: this.batchPages, used: 0, live: 0, open: true, gpns: [], cpu: b.cpu[i] });
      this.openDevice = b.device[i];
      this.openGuest = b.guest[i];
      this.openUnitHi = b.unitHi[i];
      this.openUnitLo = b.unitLo[i];
    }
    const r = this.ranges[this.open]!;
    const at = api.mapAt(b, i, r.iova + r.used);
    if (at < 0) {
      this.slotRange[slot] = -1; // refused: nothing of the range used
      return;
    }
    for (let p = 0; p < pages; p++) r.gpns.push(api.sg.gpn[p]);
    r.used += pages;
    r.live++;
    this.slotRange[slot] = this.open;
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
    const r = this.ranges[id]!;
    r.live--;
    r.cpu = b.cpu[i];
    if (r.live === 0 && !r.open) this.tearDown(id);
  }

  /** No more DMAs join the range being filled; if all of them are unmapped already, it goes. */
  private closeOpen(): void {
    if (this.open < 0) return;
    const id = this.open;
    const r = this.ranges[id]!;
    r.open = false;
    this.open = -1;
    if (r.live === 0) this.tearDown(id);
  }

  /** The range's last DMA is done: one unmap of the whole range, one invalidation, one wait, free. */
  private tearDown(id: number): void {
    const api = this.api;
    const r = this.ranges[id]!;
    const freed = api.iommu.unmapRange(r.domain, r.iova, r.pages);
    api.iommu.invalidateRange(r.domain, r.iova, r.pages, freed > 0);
    api.iommu.waitForInvalidations();
    for (let k = 0; k < r.gpns.length; k++) api.reachable.note(r.guest, r.gpns[k], -1); // releaseReachable, without copying gpns
    api.freeIova(r.domain, r.iova, r.pages, r.cpu);
    this.counters[C.fandsRanges]++;
    this.ranges[id] = null;
    this.freeIds.push(id);
  }

  private newRange(r: Range): number {
    const id = this.freeIds.pop() ?? this.ranges.length;
    this.ranges[id] = r;
    return id;
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
