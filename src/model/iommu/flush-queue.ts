/**
 * Linux's deferred-invalidation flush queue for one IOMMU domain (drivers/iommu/dma-iommu.c,
 * `iova_fq`): unmapped IOVA ranges wait, still translatable through stale IOTLB entries, until
 * a domain-wide IOTLB flush covers them, and are freed back to the IOVA caches after it.
 *
 * Models, as queue_iova / fq_ring_free / fq_flush_timeout do (Linux 5.17-6.12):
 * - one ring per CPU (the trace's `cpu` column) holding `entries` ranges (Linux: 256 slots, 255
 *   usable), or one ring for every CPU (2008 kernels' single list);
 * - each queued range records the domain's flush-start count; a range is covered by every flush
 *   that starts after it was queued, and freed only after such a flush (fq_ring_free);
 * - queuing first frees this CPU's covered ranges; if the ring is still full it flushes the
 *   domain and frees again, then queues;
 * - one timer per domain, armed by a queue when it is not already armed, never re-armed or
 *   cancelled by a full-ring flush; when it fires (at its deadline, between trace events too) it
 *   flushes the domain and frees every CPU's covered ranges. Its deadline is in whole jiffies:
 *   msecs_to_jiffies(timeout) rounds up, and the timer fires at a jiffy boundary (HZ =
 *   linux.hz), so a 10 ms timeout at HZ 250 fires 8-12 ms after it is armed, plus the softirq
 *   latency linux.timer_latency_ns.
 * Flushes here are synchronous: a flush that starts also finishes (start = finish count).
 * Does not model: the 32,768-entry single queue of `shadow_on_flush` devices (s390 only), the
 * depot's delayed trimming.
 * Cost charged: none here; the strategy charges pushes, flushes and frees.
 */
export class CpuRing {
  readonly iova: Float64Array;
  readonly pages: Int32Array;
  readonly guest: Int32Array;
  /** The domain's flush-start count when the range was queued. */
  readonly counter: Float64Array;
  /** 1 once a flush has invalidated the range (its pages are no longer reachable). */
  readonly invalidated: Uint8Array;
  /** The range's guest pages: gpns[gpnStart[k], gpnStart[k] + pages[k]). */
  readonly gpnStart: Int32Array;
  gpns = new Float64Array(256);
  private gpnUsed = 0;
  /** Ranges queued, oldest first, at [head, head + length) (circular). */
  head = 0;
  length = 0;

  constructor(readonly capacity: number) {
    this.iova = new Float64Array(capacity);
    this.pages = new Int32Array(capacity);
    this.guest = new Int32Array(capacity);
    this.counter = new Float64Array(capacity);
    this.invalidated = new Uint8Array(capacity);
    this.gpnStart = new Int32Array(capacity);
  }

  get full(): boolean {
    return this.length === this.capacity;
  }

  /** The slot of the k-th oldest range. */
  slot(k: number): number {
    return (this.head + k) % this.capacity;
  }

  push(iova: number, pages: number, guest: number, gpn: Float64Array, counter: number): void {
    if (this.length === 0) this.gpnUsed = 0;
    if (this.gpnUsed + pages > this.gpns.length) this.compactGpns(pages);
    const k = this.slot(this.length);
    this.gpns.set(gpn.subarray(0, pages), this.gpnUsed);
    this.iova[k] = iova;
    this.pages[k] = pages;
    this.guest[k] = guest;
    this.counter[k] = counter;
    this.invalidated[k] = 0;
    this.gpnStart[k] = this.gpnUsed;
    this.gpnUsed += pages;
    this.length++;
  }

  /** `push` of a range whose guest pages are gpn, gpn + 1, ... (a single-segment DMA). */
  pushRun(iova: number, pages: number, guest: number, gpn: number, counter: number): void {
    if (this.length === 0) this.gpnUsed = 0;
    if (this.gpnUsed + pages > this.gpns.length) this.compactGpns(pages);
    const k = this.slot(this.length);
    const at = this.gpnUsed;
    for (let p = 0; p < pages; p++) this.gpns[at + p] = gpn + p;
    this.iova[k] = iova;
    this.pages[k] = pages;
    this.guest[k] = guest;
    this.counter[k] = counter;
    this.invalidated[k] = 0;
    this.gpnStart[k] = at;
    this.gpnUsed = at + pages;
    this.length++;
  }

  /** Drops the oldest range. */
  shift(): void {
    this.head = (this.head + 1) % this.capacity;
    this.length--;
  }

  /** Makes room for `more` guest pages: the live ranges' pages moved to the front (grown if need be). */
  private compactGpns(more: number): void {
    let live = 0;
    for (let k = 0; k < this.length; k++) live += this.pages[this.slot(k)];
    const out = new Float64Array(Math.max(this.gpns.length, 2 * (live + more)));
    let at = 0;
    for (let k = 0; k < this.length; k++) {
      const s = this.slot(k);
      out.set(this.gpns.subarray(this.gpnStart[s], this.gpnStart[s] + this.pages[s]), at);
      this.gpnStart[s] = at;
      at += this.pages[s];
    }
    this.gpns = out;
    this.gpnUsed = at;
  }
}

export class FlushQueue {
  private readonly rings: CpuRing[] = [];
  /** Flushes started (= finished: they are synchronous). */
  flushes = 0;
  /** Trace time the armed timer fires at; -1 when not armed. */
  deadline = -1;
  /** The CPU that armed the timer: the frees it does go to that CPU's IOVA caches. */
  timerCpu = 0;

  /**
   * @param entries ranges one ring holds (Linux: IOVA_FQ_SIZE 256 slots, 255 usable)
   * @param perCpu one ring per CPU (Linux >= 5.17 on VT-d), else one for all
   * @param timeoutJiffies msecs_to_jiffies(timeout)
   * @param jiffyNs nanoseconds per jiffy (1e9 / HZ)
   * @param latencyNs from the expiry tick to the handler
   */
  constructor(
    private readonly entries: number,
    private readonly perCpu: boolean,
    private readonly timeoutJiffies: number,
    private readonly jiffyNs: number,
    private readonly latencyNs = 0,
  ) {}

  /** The ring the CPU queues on. */
  ring(cpu: number): CpuRing {
    const k = this.perCpu ? cpu : 0;
    let r = this.rings[k];
    if (r === undefined) {
      r = new CpuRing(this.entries);
      this.rings[k] = r;
    }
    return r;
  }

  /** Every ring in use (the timer frees them all). */
  allRings(): CpuRing[] {
    return this.rings.filter((r) => r !== undefined);
  }

  /** Arms the timer at trace time `ts` by `cpu`, unless it is armed already. */
  arm(ts: number, cpu: number): void {
    if (this.deadline >= 0) return;
    // mod_timer(jiffies + n): the current jiffy is the one `ts` falls in; it fires n jiffies on.
    this.deadline = (Math.floor(ts / this.jiffyNs) + this.timeoutJiffies) * this.jiffyNs + this.latencyNs;
    this.timerCpu = cpu;
  }
}

/** msecs_to_jiffies(ms) at HZ `hz`: a ceiling (include/linux/jiffies.h). */
export function msecsToJiffies(ms: number, hz: number): number {
  return Math.ceil((ms * hz) / 1000);
}
