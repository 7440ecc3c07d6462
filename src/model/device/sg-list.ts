/**
 * The scatter-gather list of one DMA as the strategies see it: its segments (guest-physical
 * page, offset in that page, length) and every guest page they cover, in order, as one packed
 * list. A plain buffer is a list of one segment. A DMA API call maps the whole list at once:
 * Linux's `dma_map_sg` gives it one IOVA range in which each segment starts on a page of its
 * own (iommu_dma_map_sg), so page k of the packed list is IOVA page `first + k`.
 *
 * Models nothing and charges nothing: it is the shape of a DMA. A page that two segments share
 * appears twice in the packed list (Linux maps it at two IOVA pages).
 */
import { pagesSpanned, type EventBatch } from '../../types/event.js';
import { growFloat64, growInt32 } from '../../util/grow.js';

/** Where a DMA's segments come from when it has more than one: the replay's buffer tracker. */
export interface SegmentSource {
  /** Fills `out` with the segments of the DMA in `slot` (valid from its map until the batch of
   * its unmap has been consumed). */
  segmentsOf(slot: number, out: SgList): void;
  /** Bytes of all segments of the DMA in `slot`. */
  dmaLenOfSlot(slot: number): number;
}

/** Bytes of the DMA whose first map row (or unmap row) is row i. */
export function dmaLen(b: EventBatch, i: number, source: SegmentSource): number {
  return b.segs[i] > 1 && b.op[i] === 0 /* Op.map */ ? source.dmaLenOfSlot(b.slot[i]) : b.len[i];
}

export class SgList {
  /** Segments. */
  count = 0;
  /** Bytes of all segments. */
  totalLen = 0;
  /** Pages of all segments (the length of the packed list). */
  totalPages = 0;
  page = new Float64Array(8);
  offset = new Int32Array(8);
  len = new Float64Array(8);
  /** Index in `gpn` of each segment's first page. */
  firstPage = new Int32Array(8);
  /** Every guest page of every segment, in segment order. */
  gpn = new Float64Array(32);

  clear(): void {
    this.count = 0;
    this.totalLen = 0;
    this.totalPages = 0;
  }

  /** Adds a segment of `len` bytes at `offset` in guest page `page`. */
  push(page: number, offset: number, len: number): void {
    const k = this.count;
    if (k === this.page.length) this.growSegments();
    const n = pagesSpanned(offset, len);
    while (this.totalPages + n > this.gpn.length) this.growPages();
    this.page[k] = page;
    this.offset[k] = offset;
    this.len[k] = len;
    this.firstPage[k] = this.totalPages;
    for (let p = 0; p < n; p++) this.gpn[this.totalPages + p] = page + p;
    this.totalPages += n;
    this.totalLen += len;
    this.count = k + 1;
  }

  /**
   * Loads the DMA of row i (its first map row, or its unmap row): from the row itself when it
   * has one segment, else from the tracker.
   */
  load(b: EventBatch, i: number, source: SegmentSource): this {
    if (b.segs[i] <= 1) {
      this.clear();
      this.push(b.page[i], b.offset[i], b.len[i]);
    } else source.segmentsOf(b.slot[i], this);
    return this;
  }

  /** The segment whose pages hold guest page `gpn` (the first such), or -1. */
  segmentOf(gpn: number): number {
    for (let k = 0; k < this.count; k++) {
      const first = this.firstPage[k];
      const end = k + 1 < this.count ? this.firstPage[k + 1] : this.totalPages;
      if (gpn >= this.gpn[first] && gpn < this.gpn[first] + (end - first)) return k;
    }
    return -1;
  }

  /** Index in the packed list of guest page `gpn` (its first occurrence), or -1. */
  indexOf(gpn: number): number {
    for (let k = 0; k < this.totalPages; k++) if (this.gpn[k] === gpn) return k;
    return -1;
  }

  private growSegments(): void {
    const n = this.page.length * 2;
    this.page = growFloat64(this.page, n);
    this.len = growFloat64(this.len, n);
    this.offset = growInt32(this.offset, n);
    this.firstPage = growInt32(this.firstPage, n);
  }

  private growPages(): void {
    this.gpn = growFloat64(this.gpn, this.gpn.length * 2);
  }
}
