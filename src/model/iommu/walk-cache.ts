/**
 * The IOMMU's paging-structure caches ("walk caches"): per level, a set-associative LRU cache of
 * non-leaf entries a page walk has read, so a later walk through the same upper tables starts
 * lower down (VT-d: the second-level PML4-entry, PDP-entry and PD-entry caches).
 *
 * Models: three caches, one per non-leaf level: the PDE cache (an entry per 2 MiB block: a hit
 * leaves 1 memory read for a 4 KiB leaf), the PDPTE cache (per 1 GiB: 2 reads left) and the
 * PML4E cache (per 512 GiB: 3 reads left); a walk tries the deepest first. Entries are tagged by
 * domain; a walk fills the levels it read. Invalidation as VT-d defines it: a page-selective
 * invalidation with the invalidation hint (IH) clear drops every cached entry whose span holds a
 * page of the range (its paging-structure entries may have changed), in every level (the VT-d
 * text: all non-leaf entries "corresponding to" the range) or only the deepest ones
 * (iommu.psi_walk_levels); with IH set the caches are kept; domain-selective and global
 * invalidations drop the domain's or every entry.
 * Does not model: caching of not-present entries, per-requester partitioning, prefetch.
 * Cost charged: none here; the IOMMU facade counts the memory reads a walk makes.
 */
/** Cache levels, deepest first: the PDE, PDPTE and PML4E caches. */
export const WALK_CACHE_LEVELS = ['pde', 'pdpte', 'pml4e'] as const;
/** log2 of the 4 KiB pages one cached entry of each level spans (2 MiB, 1 GiB, 512 GiB). */
const SPAN_SHIFT = [9, 18, 27] as const;
const SPAN = SPAN_SHIFT.map((s) => 2 ** s);

class LevelCache {
  private readonly sets: number;
  private readonly tagDomain: Int32Array;
  private readonly tag: Float64Array;
  private readonly stamp: Float64Array;
  private clock = 0;

  constructor(
    readonly entries: number,
    private readonly ways: number,
  ) {
    this.sets = entries > 0 ? entries / ways : 0;
    this.tagDomain = new Int32Array(entries).fill(-1);
    this.tag = new Float64Array(entries);
    this.stamp = new Float64Array(entries);
  }

  private base(domain: number, tag: number): number {
    return (((tag >>> 0) ^ Math.imul(domain, 0x9e3779b1)) & (this.sets - 1)) * this.ways;
  }

  /** Whether (domain, tag) is cached; a hit refreshes its LRU stamp. */
  lookup(domain: number, tag: number): boolean {
    if (this.entries === 0) return false;
    const b = this.base(domain, tag);
    for (let w = b; w < b + this.ways; w++) {
      if (this.tagDomain[w] === domain && this.tag[w] === tag) {
        this.stamp[w] = ++this.clock;
        return true;
      }
    }
    return false;
  }

  fill(domain: number, tag: number): void {
    if (this.entries === 0) return;
    const b = this.base(domain, tag);
    let victim = b;
    for (let w = b; w < b + this.ways; w++) {
      if (this.tagDomain[w] === domain && this.tag[w] === tag) {
        victim = w;
        break;
      }
      if (this.tagDomain[w] < 0) {
        victim = w;
        break;
      }
      if (this.stamp[w] < this.stamp[victim]) victim = w;
    }
    this.tagDomain[victim] = domain;
    this.tag[victim] = tag;
    this.stamp[victim] = ++this.clock;
  }

  /** Drops (domain, tag); returns 1 when it was cached. */
  invalidate(domain: number, tag: number): number {
    if (this.entries === 0) return 0;
    const b = this.base(domain, tag);
    for (let w = b; w < b + this.ways; w++) {
      if (this.tagDomain[w] === domain && this.tag[w] === tag) {
        this.tagDomain[w] = -1;
        return 1;
      }
    }
    return 0;
  }

  /** Drops every entry of `domain` (every entry when domain < 0); returns how many. */
  invalidateDomain(domain: number): number {
    let n = 0;
    for (let w = 0; w < this.entries; w++) {
      if (this.tagDomain[w] >= 0 && (domain < 0 || this.tagDomain[w] === domain)) {
        this.tagDomain[w] = -1;
        n++;
      }
    }
    return n;
  }
}

export class WalkCaches {
  private readonly levels: LevelCache[];
  /** Whether any level caches anything (walks skip the lookups otherwise). */
  readonly enabled: boolean;
  /** The last lookup: the level that hit (0 pde, 1 pdpte, 2 pml4e) or -1, and how many of the
   * walk's upper entries the hit saves reading (3, 2, 1 or 0). */
  lastHitLevel = -1;
  lastSkipped = 0;

  /** @param entries entries of the PDE, PDPTE and PML4E caches (0: no such cache); @param ways their associativity */
  constructor(entries: readonly [number, number, number], ways: number) {
    this.levels = entries.map((n) => new LevelCache(n, Math.min(ways, Math.max(n, 1))));
    this.enabled = entries.some((n) => n > 0);
  }

  /**
   * Looks up the upper entries of a walk to 4 KiB page `page`, deepest first; sets lastHitLevel
   * and lastSkipped, and counts each level's hit or miss into `counts` at `hitIds[k]` /
   * `missIds[k]`. `leafLevel` is the table level of the leaf (0: 4 KiB, 1: 2 MiB, 2: 1 GiB):
   * only entries above the leaf are in these caches.
   */
  lookup(domain: number, page: number, leafLevel: number, counts: Float64Array, hitIds: readonly number[], missIds: readonly number[]): void {
    this.lastHitLevel = -1;
    this.lastSkipped = 0;
    for (let k = leafLevel; k < 3; k++) {
      if (this.levels[k].entries === 0) continue;
      if (this.levels[k].lookup(domain, Math.floor(page / SPAN[k]))) {
        counts[hitIds[k]]++;
        this.lastHitLevel = k;
        this.lastSkipped = 3 - k;
        return;
      }
      counts[missIds[k]]++;
    }
  }

  /** After a walk read the upper entries from the top down to `deepest` (a cache level): fills
   * the levels read below the one that hit. */
  fill(domain: number, page: number, deepest: number): void {
    const top = this.lastHitLevel < 0 ? 2 : this.lastHitLevel - 1;
    for (let k = top; k >= deepest; k--) this.levels[k].fill(domain, Math.floor(page / SPAN[k]));
  }

  /** A page-selective invalidation with IH clear: drops the entries spanning any page of the
   * range, in the deepest `levels` caches (3: every level, as the VT-d text reads; 1: the PDE
   * cache only). @returns entries dropped. */
  invalidateRange(domain: number, first: number, pages: number, levels = 3): number {
    let n = 0;
    for (let k = 0; k < levels; k++) {
      if (this.levels[k].entries === 0) continue;
      const lo = Math.floor(first / SPAN[k]);
      const hi = Math.floor((first + pages - 1) / SPAN[k]);
      for (let t = lo; t <= hi; t++) n += this.levels[k].invalidate(domain, t);
    }
    return n;
  }

  /** Drops every entry of `domain` (all domains when domain < 0). */
  invalidateDomain(domain: number): number {
    let n = 0;
    for (const l of this.levels) n += l.invalidateDomain(domain);
    return n;
  }
}
