/**
 * A deferred-invalidation flush queue, one per IOMMU domain (dma-iommu's `iova_fq`): unmapped
 * IOVA ranges wait here, still translatable through stale IOTLB entries, until one domain-wide
 * IOTLB flush releases them all, either when the queue fills or when its timer fires.
 *
 * Models: a fixed ring of `size` entries; the timer is armed by the first entry queued after a
 * flush and fires `timeoutNs` of trace time later. Linux's ring of IOVA_FQ_SIZE = 256 slots
 * holds 255 entries (one slot tells full from empty) and flushes on the unmap that finds it full,
 * so it flushes once per 255 unmaps; this model flushes as the size-th entry is queued, once per
 * `size` unmaps (set linux.fq_size=255 to match Linux exactly). One queue per domain, not per CPU
 * (Linux keeps one per CPU per domain on VT-d; traces carry no CPU).
 * Cost charged: none here; the strategy charges the flush and the frees.
 */
export class FlushQueue {
  readonly iova: Float64Array;
  readonly pages: Int32Array;
  /** The guest and guest pages behind each queued range (still reachable until the flush): entry
   * k's pages are gpns[gpnStart[k], gpnStart[k] + pages[k]). */
  readonly guest: Int32Array;
  readonly gpnStart: Int32Array;
  gpns = new Float64Array(256);
  private gpnUsed = 0;
  length = 0;
  /** Trace time at which the armed timer fires; -1 when no timer is armed. */
  deadline = -1;

  constructor(
    readonly size: number,
    private readonly timeoutNs: number,
  ) {
    this.iova = new Float64Array(size);
    this.pages = new Int32Array(size);
    this.guest = new Int32Array(size);
    this.gpnStart = new Int32Array(size);
  }

  /** Queues a range (of guest pages gpn[0..pages) of `guest`); returns true when the queue is now
   * full and must be flushed. */
  push(iova: number, pages: number, guest: number, gpn: Float64Array, ts: number): boolean {
    if (this.gpnUsed + pages > this.gpns.length) {
      const grown = new Float64Array(Math.max(this.gpns.length * 2, this.gpnUsed + pages));
      grown.set(this.gpns.subarray(0, this.gpnUsed));
      this.gpns = grown;
    }
    this.gpns.set(gpn.subarray(0, pages), this.gpnUsed);
    this.iova[this.length] = iova;
    this.pages[this.length] = pages;
    this.guest[this.length] = guest;
    this.gpnStart[this.length] = this.gpnUsed;
    this.gpnUsed += pages;
    this.length++;
    if (this.deadline < 0) this.deadline = ts + this.timeoutNs;
    return this.length === this.size;
  }

  /** Whether the timer has fired by trace time `ts`. */
  expired(ts: number): boolean {
    return this.deadline >= 0 && ts >= this.deadline;
  }

  clear(): void {
    this.length = 0;
    this.gpnUsed = 0;
    this.deadline = -1;
  }
}
