/**
 * Pools of permanently mapped shadow buffers (Markuze et al., "True IOMMU Protection from DMA
 * Attacks", ASPLOS 2016), one per device: a DMA buffer is given a shadow buffer of its size class
 * in memory the device may always reach, and data is copied between the two.
 *
 * Models: size classes of powers of two from 64 B to 4 KiB carved out of whole pages, and whole
 * runs of pages (a power-of-two count) for larger buffers; a class with no free buffer grows by
 * mapping new pages (read-write, never unmapped), taken from the top of the guest's memory and
 * placed at IOVAs of the device's own range; freed buffers are reused last-freed-first.
 * Does not model: per-core pools, shrinking, NUMA placement.
 * Cost charged: none here; the strategy charges PTE writes (through the IOMMU), pool operations
 * and copies.
 */
import { PAGE_SIZE } from '../../types/event.js';
import { nextPowerOfTwo } from './linux-iova.js';

/** Smallest shadow buffer. */
export const SHADOW_MIN_BYTES = 64;
/** First IOVA page of each device's shadow range: 64 TiB (2^34 pages), far above guest RAM. */
export const SHADOW_IOVA_BASE_PAGE = 2 ** 34;

/** Shadow buffer address as one exact number: IOVA page * 4096 + offset. */
export type ShadowAddress = number;

export class ShadowPool {
  /** Free buffers per class, indexed by log2 of the class key (bytes for sub-page classes,
   * pages * 4096 for runs: always a power of two), so a take or give needs no Map lookup. */
  private readonly free: number[][] = [];
  private nextIovaPage = SHADOW_IOVA_BASE_PAGE;
  /** Pages mapped into this pool so far. */
  pages = 0;
  /** Pages the last `take` had to map (0 when a free buffer was reused); their first IOVA page. */
  lastGrowPages = 0;
  lastGrowIovaPage = 0;

  /** The class (buffer size in bytes) that serves a buffer of `len` bytes. */
  static classOf(len: number): number {
    if (len <= SHADOW_MIN_BYTES) return SHADOW_MIN_BYTES;
    if (len <= PAGE_SIZE) return nextPowerOfTwo(len);
    return nextPowerOfTwo(Math.ceil(len / PAGE_SIZE)) * PAGE_SIZE;
  }

  /** Takes a shadow buffer for `len` bytes; sets lastGrow* when the pool had to grow. */
  take(len: number): ShadowAddress {
    const cls = ShadowPool.classOf(len);
    const k = log2(cls);
    let list = this.free[k];
    if (list === undefined) {
      list = [];
      this.free[k] = list;
    }
    this.lastGrowPages = 0;
    if (list.length === 0) {
      const pages = cls <= PAGE_SIZE ? 1 : cls / PAGE_SIZE;
      const first = this.nextIovaPage;
      this.nextIovaPage += pages;
      this.pages += pages;
      this.lastGrowPages = pages;
      this.lastGrowIovaPage = first;
      if (cls < PAGE_SIZE) {
        // Carve the page into buffers; hand out the first, keep the rest (highest first, so
        // that pops return them in address order).
        for (let off = PAGE_SIZE - cls; off > 0; off -= cls) list.push(first * PAGE_SIZE + off);
        return first * PAGE_SIZE;
      }
      return first * PAGE_SIZE;
    }
    return list.pop()!;
  }

  give(addr: ShadowAddress, len: number): void {
    this.free[log2(ShadowPool.classOf(len))].push(addr);
  }
}

/** log2 of a power of two (by count of leading zeros below 2^31). */
function log2(x: number): number {
  return x < 2147483648 ? 31 - Math.clz32(x) : Math.round(Math.log2(x));
}
