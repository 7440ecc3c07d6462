/**
 * `linux-lazy`: the Linux DMA API over VT-d in its default lazy mode: unmapped IOVAs wait in a
 * per-domain flush queue and are invalidated together by one domain-wide IOTLB flush, every
 * `linux.fq_size` unmaps or `linux.fq_timeout_ns` after the first queued one.
 *
 * Models: map as linux-strict (linux-dma.ts). Unmap clears the PTEs and queues the range (see
 * flush-queue.ts); no invalidation yet, so the device can still reach the pages through IOTLB
 * entries it holds: such hits are counted (`iotlb_stale_hits`), the queued ranges are counted
 * (`stale_bytes`, `stale_window_ns`), and their guest pages stay reachable, each distinct page
 * once, until the flush (exposure). A flush is one domain-selective
 * invalidation and one wait, then every queued IOVA is freed. The timer is checked at each
 * event of the trace; a timer still pending at the end of the trace does not fire.
 * Cost charged: `driver`; `iova-alloc`; `pt-update`; `iotlb-invalidate` per queued entry
 * (linux.fq_push_cycles) and per flush (one request + one wait); `iotlb-walk`.
 * Protection: page granularity, but a just-unmapped page stays reachable for up to one flush
 * period.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { FlushQueue } from '../model/iommu/flush-queue.js';
import { Op, PAGE_SIZE, type EventBatch } from '../types/event.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { LinuxDmaApi } from './linux-dma.js';

class LinuxLazyRun implements StrategyRun {
  readonly counters = newCounters();
  private readonly clock = new TimeWeighted();
  private readonly api: LinuxDmaApi;
  private readonly queues: FlushQueue[] = [];
  /** Domains with a queue, for the timer check. */
  private readonly domains: number[] = [];
  private readonly fqSize: number;
  private readonly fqTimeout: number;
  private readonly pushCycles: number;

  constructor(ctx: StrategyContext) {
    this.api = new LinuxDmaApi(this.counters, ctx);
    this.api.iommu.countStaleHits = true;
    this.fqSize = ctx.params['linux.fq_size'];
    this.fqTimeout = ctx.params['linux.fq_timeout_ns'];
    this.pushCycles = ctx.params['linux.fq_push_cycles'];
  }

  consume(b: EventBatch): void {
    this.api.syncSlots();
    const c = this.counters;
    const api = this.api;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op > Op.access) continue;
      const ts = b.ts[i];
      this.clock.advance(c, ts);
      this.fireTimers(ts);
      if (op === Op.map) api.map(b, i);
      else if (op === Op.unmap) {
        const iova = api.unmapPages(b, i, true);
        if (iova < 0) continue;
        const sg = api.sg;
        const domain = b.device[i];
        const q = this.queue(domain);
        c[C.cycIotlbInvalidate] += this.pushCycles;
        c[C.staleBytes] += sg.totalPages * PAGE_SIZE;
        if (q.push(iova, sg.totalPages, b.guest[i], sg.gpn, ts)) this.flush(domain, q);
      } else api.access(b, i);
    }
  }

  private fireTimers(ts: number): void {
    for (let k = 0; k < this.domains.length; k++) {
      const q = this.queues[this.domains[k]];
      if (q.length > 0 && q.expired(ts)) {
        this.counters[C.flushQueueTimeouts]++;
        this.flush(this.domains[k], q);
      }
    }
  }

  /** One domain-wide invalidation and wait, then the queued IOVAs are freed. */
  private flush(domain: number, q: FlushQueue): void {
    const c = this.counters;
    this.api.iommu.invalidateDomain(domain);
    this.api.iommu.waitForInvalidations();
    c[C.flushQueueFlushes]++;
    for (let k = 0; k < q.length; k++) {
      this.api.freeIova(domain, q.iova[k], q.pages[k]);
      this.api.releaseReachable(q.guest[k], q.gpns, q.gpnStart[k], q.pages[k]);
      c[C.staleBytes] -= q.pages[k] * PAGE_SIZE;
    }
    q.clear();
  }

  private queue(domain: number): FlushQueue {
    let q = this.queues[domain];
    if (q === undefined) {
      q = new FlushQueue(this.fqSize, this.fqTimeout);
      this.queues[domain] = q;
      this.domains.push(domain);
    }
    return q;
  }

  finish(endTs: number): void {
    this.clock.finish(this.counters, endTs);
  }

  probe(): AttackProbe {
    return this.api.probe();
  }
}

export const linuxLazy: StrategyDefinition = {
  id: 'linux-lazy',
  summary: 'Linux DMA API default: unmaps queued, one domain-wide IOTLB flush per N unmaps or timeout',
  fromPaper: false,
  hasMappings: true,
  protection: {
    interGuest: 'full',
    intraGuest: 'page',
    enforcedOnDevice: true,
    note: 'as linux-strict, but an unmapped page stays reachable through stale IOTLB entries until the next flush',
  },
  create: (ctx) => new LinuxLazyRun(ctx),
};
