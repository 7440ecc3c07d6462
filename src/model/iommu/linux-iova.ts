/**
 * Linux's IOVA allocator as dma-iommu drives it (drivers/iommu/iova.c): per-CPU "rcache"
 * magazines in front of an rbtree allocator (Peleg et al., USENIX ATC 2015, merged in Linux 4.7).
 *
 * Models: sizes below the largest cached size are rounded up to a power of two; an allocation
 * pops the loaded magazine, else the previous one, else a full magazine from the depot, else
 * goes to the rbtree (slow path). A free pushes on the loaded magazine, else swaps with the
 * previous one, else moves the full loaded magazine to the depot (or, when the depot is full,
 * returns all its ranges to the rbtree) and starts an empty one. Slow-path ranges are size-
 * aligned and handed out top-down below the 32-bit DMA limit; ranges returned to the tree are
 * reused last-freed-first for the same size. The loaded and previous magazines are per CPU (the
 * trace's `cpu` column: an allocation and a free use the caches of the CPU that makes them); the
 * depot is shared.
 * Does not model: rbtree search time growing with fragmentation (a fixed slow-path cost is
 * charged instead), the depot's shrink worker, 64-bit limits.
 * Cost charged: none here; callers charge `iova-alloc` from `lastAllocSlow`, `lastFreeCached` and
 * `lastFreeSlow`: an alloc or free costs its fast (cache) path or its slow (rbtree) path, and a free
 * that pushes a full magazine back to the tree costs the fast path plus one slow free per range.
 */

/** First page above the 32-bit DMA limit: allocations come from below it, top-down. */
export const DMA32_LIMIT_PAGE = 0x100000;

/** One CPU's magazines: per order, the loaded one and the previous one. */
interface CpuCache {
  loaded: number[][];
  prev: number[][];
}

export class LinuxIovaAllocator {
  private readonly cpus: CpuCache[] = [];
  private readonly depot: number[][][] = [];
  private readonly treeFree = new Map<number, number[]>();
  private cursor = DMA32_LIMIT_PAGE;
  private readonly maxOrder: number;
  private readonly cachedMax: number;
  /** Whether the last alloc missed the caches. */
  lastAllocSlow = false;
  /** Whether the last free went to the per-CPU caches (else straight to the rbtree). */
  lastFreeCached = false;
  /** Ranges the last free returned to the rbtree (0, 1, or a whole magazine). */
  lastFreeSlow = 0;

  constructor(
    private readonly magazineSize: number,
    private readonly depotMagazines: number,
    cachedMaxPages: number,
  ) {
    this.maxOrder = orderOf(cachedMaxPages);
    this.cachedMax = cachedMaxPages;
    for (let o = 0; o <= this.maxOrder; o++) this.depot.push([]);
  }

  private cpuCache(cpu: number): CpuCache {
    let c = this.cpus[cpu];
    if (c === undefined) {
      c = { loaded: [], prev: [] };
      for (let o = 0; o <= this.maxOrder; o++) {
        c.loaded.push([]);
        c.prev.push([]);
      }
      this.cpus[cpu] = c;
    }
    return c;
  }

  /** The size actually allocated for a request of `pages` (power of two when cacheable). */
  roundedSize(pages: number): number {
    return pages < this.cachedMax ? nextPowerOfTwo(pages) : pages;
  }

  /** Allocates `pages` on `cpu` (default 0). */
  alloc(pages: number, cpu = 0): number {
    const size = this.roundedSize(pages);
    const order = orderOf(size);
    if (this.magazineSize > 0 && order >= 0 && order <= this.maxOrder) {
      const hit = this.cacheGet(this.cpuCache(cpu), order);
      if (hit >= 0) {
        this.lastAllocSlow = false;
        return hit;
      }
    }
    this.lastAllocSlow = true;
    return this.treeAlloc(size);
  }

  /** Frees a range on `cpu` (default 0): into that CPU's caches. */
  free(start: number, pages: number, cpu = 0): void {
    const size = this.roundedSize(pages);
    const order = orderOf(size);
    this.lastFreeSlow = 0;
    if (this.magazineSize > 0 && order >= 0 && order <= this.maxOrder) {
      this.lastFreeCached = true;
      this.cachePut(this.cpuCache(cpu), order, start);
      return;
    }
    this.lastFreeCached = false;
    this.treeFreeRange(start, size);
    this.lastFreeSlow = 1;
  }

  private cacheGet(cc: CpuCache, order: number): number {
    const loaded = cc.loaded[order];
    if (loaded.length > 0) return loaded.pop()!;
    const prev = cc.prev[order];
    if (prev.length > 0) {
      cc.loaded[order] = prev;
      cc.prev[order] = loaded;
      return prev.pop()!;
    }
    const full = this.depot[order].pop();
    if (full !== undefined) {
      cc.loaded[order] = full;
      return full.pop()!;
    }
    return -1;
  }

  private cachePut(cc: CpuCache, order: number, start: number): void {
    let loaded = cc.loaded[order];
    if (loaded.length < this.magazineSize) {
      loaded.push(start);
      return;
    }
    const prev = cc.prev[order];
    if (prev.length < this.magazineSize) {
      cc.prev[order] = loaded;
      cc.loaded[order] = prev;
      prev.push(start);
      return;
    }
    // Both magazines full: the loaded one goes to the depot, or back to the tree.
    if (this.depot[order].length < this.depotMagazines) this.depot[order].push(loaded);
    else {
      for (const s of loaded) this.treeFreeRange(s, 2 ** order);
      this.lastFreeSlow = loaded.length;
    }
    loaded = [start];
    cc.loaded[order] = loaded;
  }

  private treeAlloc(size: number): number {
    const reuse = this.treeFree.get(size);
    if (reuse !== undefined && reuse.length > 0) return reuse.pop()!;
    const align = nextPowerOfTwo(size);
    this.cursor = Math.floor((this.cursor - size) / align) * align;
    return this.cursor;
  }

  private treeFreeRange(start: number, size: number): void {
    let list = this.treeFree.get(size);
    if (list === undefined) {
      list = [];
      this.treeFree.set(size, list);
    }
    list.push(start);
  }
}

/** The smallest power of two >= n (n >= 1). */
export function nextPowerOfTwo(n: number): number {
  // A shift, not 2 ** k (a Math.pow call on the hot path); >>> 0 keeps 2^31 positive.
  if (n > 0x80000000) return 2 ** Math.ceil(Math.log2(n));
  return n <= 1 ? 1 : (1 << (32 - Math.clz32(n - 1))) >>> 0;
}

/** log2(n) when n is a power of two (below 2^31), else -1. */
export function orderOf(n: number): number {
  return n > 0 && (n & (n - 1)) === 0 ? 31 - Math.clz32(n) : -1;
}
