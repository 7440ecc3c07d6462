/**
 * An IOVA allocator for strategies that hand out I/O virtual addresses (single-use): ranges of
 * whole 4 KiB pages, reused last-freed-first per range size (like the per-CPU caches in front of
 * Linux's IOVA allocator), new ranges cut from a bump pointer.
 *
 * Models: which IOVA range each mapping gets, and so which IOTLB sets it lands in and how soon
 * an IOVA is reused. Does not model: alignment to the range size, fragmentation, the rbtree slow
 * path (the linux-* strategies model that separately). Cost charged: none here; the strategy
 * charges `iova-alloc` per call.
 */

/**
 * First IOVA page handed out: 128 TiB (2^35 pages), the top half of the 48-bit IOVA space, far
 * above the guest-physical RAM of any real guest, so an IOVA does not alias a guest-physical
 * address (a device that emits a guest-physical address instead of its IOVA then faults rather
 * than hitting another buffer by chance).
 */
export const IOVA_BASE_PAGE = 2 ** 35;

/** Range sizes below this keep their free stacks in an array indexed by size (no Map lookup). */
const SMALL_SIZES = 64;

export class IovaAllocator {
  private next = IOVA_BASE_PAGE;
  /** Free ranges by size in pages; arrays used as stacks (amortised, no per-call allocation). */
  private readonly smallFree: number[][] = Array.from({ length: SMALL_SIZES }, () => []);
  private readonly largeFree = new Map<number, number[]>();

  /** @returns the first page of a free range of `pages` pages. */
  alloc(pages: number): number {
    const stack = pages < SMALL_SIZES ? this.smallFree[pages] : this.largeFree.get(pages);
    if (stack !== undefined && stack.length > 0) return stack.pop()!;
    const start = this.next;
    this.next += pages;
    return start;
  }

  free(start: number, pages: number): void {
    if (pages < SMALL_SIZES) {
      this.smallFree[pages].push(start);
      return;
    }
    let stack = this.largeFree.get(pages);
    if (stack === undefined) {
      stack = [];
      this.largeFree.set(pages, stack);
    }
    stack.push(start);
  }

  /** Pages of IOVA space ever handed out (the high-water mark above the base). */
  get spanPages(): number {
    return this.next - IOVA_BASE_PAGE;
  }
}
