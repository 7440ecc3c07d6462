/**
 * `linux-lazy`: the Linux DMA API over VT-d in its default lazy mode: unmapped IOVAs wait in the
 * domain's flush queues (one per CPU) and are invalidated together by one domain-wide IOTLB
 * flush, when a CPU's queue is full or when the domain's timer fires, then freed.
 *
 * Models: map as linux-strict (linux-dma.ts). Unmap clears the PTEs and queues the range on the
 * unmapping CPU's queue, as queue_iova does (flush-queue.ts): first that CPU's ranges a finished
 * flush covered are freed to its IOVA caches; a still-full queue flushes the domain (every
 * queue's ranges are then invalidated) and frees again; the timer is armed if it is not. When the
 * timer's deadline passes (checked before every event, at the deadline's own time) the domain is
 * flushed and every queue's covered ranges are freed, into the caches of the CPU that armed it.
 * Until the flush the device can still reach a queued range's pages through IOTLB entries it
 * holds: such hits are counted (`iotlb_stale_hits`), the queued ranges are counted (`stale_bytes`,
 * `stale_window_ns`; per unmap, `stale_range_ns` / `deferred_unmaps`), and their guest pages stay reachable, each distinct page once (exposure). A
 * timer still pending at the end of the trace does not fire. Distinct IOVA ranges used are
 * counted (`iova_distinct`): lazy mode reuses IOVAs later than strict mode.
 * Cost charged: `driver`; `iova-alloc`; `pt-update`; `iotlb-invalidate` per queued entry
 * (linux.fq_push_cycles) and per flush (one request + one wait); `iotlb-walk`.
 * Protection: page granularity, but a just-unmapped page stays reachable until the next flush.
 */
import { C, newCounters } from '../metrics/counters.js';
import { TimeWeighted } from '../metrics/time-weighted.js';
import { FlushQueue, msecsToJiffies, type CpuRing } from '../model/iommu/flush-queue.js';
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
  private readonly entries: number;
  private readonly perCpu: boolean;
  private readonly timeoutJiffies: number;
  private readonly jiffyNs: number;
  private readonly latencyNs: number;
  private readonly pushCycles: number;

  constructor(ctx: StrategyContext) {
    this.api = new LinuxDmaApi(this.counters, ctx);
    this.api.iommu.countStaleHits = true;
    this.api.countDistinctIovas = true;
    this.entries = ctx.params['linux.fq_size'];
    this.perCpu = ctx.params['linux.fq_per_cpu'] === 1;
    this.timeoutJiffies = msecsToJiffies(ctx.params['linux.fq_timeout_ms'], ctx.params['linux.hz']);
    this.jiffyNs = 1e9 / ctx.params['linux.hz'];
    this.latencyNs = ctx.params['linux.timer_latency_ns'];
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
      this.fireTimers(ts);
      this.clock.advance(c, ts);
      if (op === Op.map) api.map(b, i);
      else if (op === Op.unmap) {
        const iova = api.unmapPages(b, i, true);
        if (iova < 0) continue;
        const sg = api.sg;
        const domain = b.device[i];
        const cpu = b.cpu[i];
        const q = this.queue(domain);
        const ring = q.ring(cpu);
        c[C.cycIotlbInvalidate] += this.pushCycles;
        c[C.staleBytes] += sg.totalPages * PAGE_SIZE;
        c[C.staleRanges]++;
        c[C.deferredUnmaps]++;
        this.freeCovered(domain, q, ring, cpu);
        if (ring.full) {
          this.flush(domain, q);
          this.freeCovered(domain, q, ring, cpu);
        }
        ring.push(iova, sg.totalPages, b.guest[i], sg.gpn, q.flushes);
        q.arm(ts, cpu);
      } else api.access(b, i);
    }
  }

  /** Timers whose deadline has come by trace time `ts` fire, each at its own deadline, earliest
   * first. */
  private fireTimers(ts: number): void {
    for (;;) {
      let domain = -1;
      for (let k = 0; k < this.domains.length; k++) {
        const d = this.queues[this.domains[k]].deadline;
        if (d >= 0 && d <= ts && (domain < 0 || d < this.queues[domain].deadline)) domain = this.domains[k];
      }
      if (domain < 0) return;
      const q = this.queues[domain];
      this.clock.advance(this.counters, q.deadline);
      q.deadline = -1;
      this.counters[C.flushQueueTimeouts]++;
      this.flush(domain, q);
      for (const ring of q.allRings()) this.freeCovered(domain, q, ring, q.timerCpu);
    }
  }

  /** One domain-wide invalidation and wait: every queued range (all CPUs) is now covered; its
   * pages stop being reachable through stale entries. */
  private flush(domain: number, q: FlushQueue): void {
    const c = this.counters;
    this.api.iommu.invalidateDomain(domain);
    this.api.iommu.waitForInvalidations();
    c[C.flushQueueFlushes]++;
    q.flushes++;
    for (const ring of q.allRings()) {
      for (let k = 0; k < ring.length; k++) {
        const s = ring.slot(k);
        if (ring.invalidated[s] === 1) continue;
        ring.invalidated[s] = 1;
        this.api.releaseReachable(ring.guest[s], ring.gpns, ring.gpnStart[s], ring.pages[s]);
        c[C.staleBytes] -= ring.pages[s] * PAGE_SIZE;
        c[C.staleRanges]--;
      }
    }
  }

  /** fq_ring_free: frees, oldest first, the ranges of `ring` a finished flush covered, into the
   * IOVA caches of `cpu`. */
  private freeCovered(domain: number, q: FlushQueue, ring: CpuRing, cpu: number): void {
    while (ring.length > 0 && ring.counter[ring.head] < q.flushes) {
      this.api.freeIova(domain, ring.iova[ring.head], ring.pages[ring.head], cpu);
      ring.shift();
    }
  }

  private queue(domain: number): FlushQueue {
    let q = this.queues[domain];
    if (q === undefined) {
      q = new FlushQueue(this.entries, this.perCpu, this.timeoutJiffies, this.jiffyNs, this.latencyNs);
      this.queues[domain] = q;
      this.domains.push(domain);
    }
    return q;
  }

  finish(endTs: number): void {
    this.fireTimers(endTs);
    this.clock.finish(this.counters, endTs);
  }

  probe(): AttackProbe {
    return this.api.probe();
  }
}

export const linuxLazy: StrategyDefinition = {
  id: 'linux-lazy',
  summary: 'Linux DMA API default: unmaps queued per CPU, one domain-wide IOTLB flush per full queue or timer',
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
