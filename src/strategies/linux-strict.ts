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
import { newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { Op, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { LinuxDmaApi } from './linux-dma.js';
import { DmaCosts } from '../metrics/dma-costs.js';

class LinuxStrictRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly api: LinuxDmaApi;

  constructor(ctx: StrategyContext) {
    this.api = new LinuxDmaApi(this.counters, ctx);
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  consume(b: EventBatch): void {
    this.api.syncSlots();
    const c = this.counters;
    const api = this.api;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      this.costs.step(c, b, i);
      this.clock.advance(c, b.ts[i]);
      if (op === Op.map) api.map(b, i);
      else if (op === Op.unmap) {
        const iova = api.unmapPages(b, i);
        if (iova < 0) continue;
        const pages = api.sg.totalPages;
        api.iommu.invalidateRange(b.device[i], iova, pages, api.lastTablesFreed > 0);
        api.iommu.waitForInvalidations();
        api.freeIova(b.device[i], iova, pages, b.cpu[i]);
      } else api.access(b, i);
    }
    this.costs.flush(c);
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
