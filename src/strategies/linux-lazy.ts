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
import { GUEST_SPACE_PAGES, Op, PAGE_SIZE, pagesSpanned, permForDir, type EventBatch } from '../types/event.js';
import { dmaThroughIommu } from '../model/device/dma-engine.js';
import type { AttackProbe, StrategyContext, StrategyDefinition, StrategyRun } from '../types/strategy.js';
import { LinuxDmaApi } from './linux-dma.js';
import { chargeMap, chargeUnmap, useReferenceLoop, isPlainMap } from './common.js';
import { DmaCosts } from '../metrics/dma-costs.js';

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
  /** False only when no domain's timer is armed (fireTimers then has nothing to look at). */
  private anyArmed = false;
  /** Run the reference loop (StrategyContext.reference). */
  private readonly reference: boolean;

  constructor(ctx: StrategyContext) {
    this.api = new LinuxDmaApi(this.counters, ctx);
    this.reference = useReferenceLoop(ctx);
    this.api.iommu.countStaleHits = true;
    // The reference loop also checks stale hits the readable way: a walk per IOTLB hit.
    this.api.iommu.staleHitsByWalk = this.reference;
    this.api.countDistinctIovas = true;
    this.entries = ctx.params['linux.fq_size'];
    this.perCpu = ctx.params['linux.fq_per_cpu'] === 1;
    this.timeoutJiffies = msecsToJiffies(ctx.params['linux.fq_timeout_ms'], ctx.params['linux.hz']);
    this.jiffyNs = 1e9 / ctx.params['linux.hz'];
    this.latencyNs = ctx.params['linux.timer_latency_ns'];
    this.pushCycles = ctx.params['linux.fq_push_cycles'];
  }

  /** Cycles per DMA and per device (metrics/dma-costs.ts). */
  readonly costs = new DmaCosts();

  /**
   * The flat loop: the map of a single-segment DMA of pages the guest owns, and the unmap of a
   * mapped single-segment DMA, written out here without LinuxDmaApi's map / unmapPages (whose
   * steps it repeats in order; each counter gets the same additions in the same order), the
   * range queued as the reference loop queues it. Scatter-gather DMAs, refused maps and explicit
   * accesses take the reference path. consumeReference is the readable form and the truth
   * (test/strategies/reference-loops.test.ts).
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
      const ts = b.ts[i];
      if (this.anyArmed) this.fireTimers(ts);
      this.clock.advance(c, ts);
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
          this.unmap(b, i, ts);
          continue;
        }
        const domain = b.device[i];
        const offset = b.offset[i];
        const len = b.len[i];
        if (b.implicitAccess[i] === 1) dmaThroughIommu(iommu, c, domain, iova, offset, len, permForDir(b.dir[i]));
        rings.completed(b, i);
        chargeUnmap(c, driver, len, false);
        const pages = pagesSpanned(offset, len);
        api.lastTablesFreed = iommu.unmapRange(domain, iova, pages);
        // The pages stay reachable until the flush (as unmapPages(..., true)).
        const cpu = b.cpu[i];
        const q = this.queue(domain);
        const ring = q.ring(cpu);
        c[C.cycIotlbInvalidate] += this.pushCycles;
        c[C.staleBytes] += pages * PAGE_SIZE;
        c[C.staleRanges]++;
        c[C.deferredUnmaps]++;
        this.freeCovered(domain, q, ring, cpu);
        if (ring.full) {
          this.flush(domain, q);
          this.freeCovered(domain, q, ring, cpu);
        }
        ring.pushRun(iova, pages, b.guest[i], b.page[i], q.flushes);
        q.arm(ts, cpu);
        this.anyArmed = true;
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
      const ts = b.ts[i];
      this.fireTimers(ts);
      this.clock.advance(c, ts);
      if (op === Op.map) api.map(b, i);
      else if (op === Op.unmap) this.unmap(b, i, ts);
      else api.access(b, i);
    }
    this.costs.flush(c);
  }

  /** dma_unmap_* in lazy mode: PTEs cleared, the range queued on the CPU's flush queue (a full
   * queue flushes the domain first), the domain's timer armed. */
  private unmap(b: EventBatch, i: number, ts: number): void {
    const c = this.counters;
    const api = this.api;
    const iova = api.unmapPages(b, i, true);
    if (iova < 0) return;
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
    this.anyArmed = true;
  }

  /** Timers whose deadline has come by trace time `ts` fire, each at its own deadline, earliest
   * first. */
  private fireTimers(ts: number): void {
    for (;;) {
      if (!this.anyArmed) return;
      let domain = -1;
      let armed = false;
      for (let k = 0; k < this.domains.length; k++) {
        const d = this.queues[this.domains[k]].deadline;
        if (d >= 0) armed = true;
        if (d >= 0 && d <= ts && (domain < 0 || d < this.queues[domain].deadline)) domain = this.domains[k];
      }
      if (domain < 0) {
        this.anyArmed = armed;
        return;
      }
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
