/**
 * IOMMU page tables: one 4-level radix tree per domain (VT-d second-level / AMD-Vi style),
 * 512 entries per table, 4 KiB leaves, optional 2 MiB and 1 GiB superpage leaves.
 *
 * Models: table allocation on first use, leaf writes and clears, a walk that reads one entry
 * per level (so a 4 KiB translation costs 4 memory references, a 2 MiB one 3, a 1 GiB one 2),
 * the 48-bit input address width of 4-level tables (pages at or above 2^36 fault), and freeing
 * tables as Linux's VT-d driver does (dma_pte_clear_level, drivers/iommu/intel/iommu.c): an
 * unmap of a range frees every table whose whole span lies inside it (one write clears its
 * parent entry), while a table that merely becomes empty is kept (`unmapRange`); a single-page
 * clear (`unmap`) never frees anything.
 * Does not model: paging-structure caches (walk-cache.ts), the root/context tables (one lookup
 * per domain, not per DMA).
 * Cost charged: none here; the IOMMU facade turns the writes it reports into cycles.
 *
 * Speed: a small direct-mapped cache remembers the leaf table (level 0) of recently used 2 MiB
 * blocks, so most maps, unmaps and walks read one entry instead of four. It changes no result: a
 * walk that finds its leaf table there still counts the four references the IOMMU makes. A
 * cached leaf table stays the one the tree links to until a superpage leaf is written over it or
 * tables are freed; either empties the cache.
 *
 * Identity regions (`mapIdentity`, direct-map's set-up of guest RAM) are built lazily: the
 * region's tables exist from the start as far as every count goes (leaves, tables, PTE writes),
 * but a table is only filled in when a walk, map or unmap first passes through it, so memory and
 * time follow the pages a trace touches, not the RAM a guest has. Every result is the one the
 * full layout gives (identity-region.ts has its arithmetic).
 *
 * Encoding, in one Float64Array of 512-entry tables (table 0 is unused so 0 means empty):
 * an interior entry holds a child table index (> 0), or LAZY for a region table not built yet;
 * a leaf holds -(hostPage * 4 + perms), perms in 1..3 (R = 1, W = 2), so every present leaf is
 * negative.
 */
import { IdentityRegion } from './identity-region.js';

const ENTRIES = 512;
export const LEVELS = 4;
/** Pages of a 4-level table's 48-bit address space: 2^36. */
export const MAX_IOVA_PAGES = 2 ** 36;

/** Leaf levels: 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB. */
export const PageSize = { small: 0, large: 1, huge: 2 } as const;
/** 4 KiB pages per leaf of each level. */
export const PAGES_PER_LEAF = [1, 512, 512 * 512] as const;
/** 4 KiB pages one entry of a table at each level spans (level 0: a PTE .. level 3: a PML4E). */
const ENTRY_SPAN = [1, 512, 512 * 512, 512 * 512 * 512] as const;

export function encodeLeaf(hostPage: number, perms: number): number {
  return -(hostPage * 4 + perms);
}
export function leafPerms(leaf: number): number {
  // Not `-leaf % 4`: leaves exceed int32, and % on doubles is a slow fmod call.
  const v = -leaf;
  return v - Math.floor(v / 4) * 4;
}
export function leafHostPage(leaf: number): number {
  return Math.floor(-leaf / 4);
}

/** Table index at `level` (3 = top .. 0 = leaf tables) of a 4 KiB page number below 2^36. */
function indexAt(page: number, level: number): number {
  const lo = page >>> 0;
  if (level === 0) return lo & 511;
  if (level === 1) return (lo >>> 9) & 511;
  if (level === 2) return (lo >>> 18) & 511;
  return ((lo >>> 27) | (Math.floor(page / 4294967296) << 5)) & 511;
}

/** Entries of the leaf-table cache (a power of two). */
const LEAF_CACHE = 256;

/** An interior entry of an identity region whose table is not built yet (never a table index). */
const LAZY = Number.MAX_SAFE_INTEGER;

export class PageTables {
  private tables = new Float64Array(ENTRIES * 64);
  /** Leaf-table cache, indexed by hash of (domain, 2 MiB block): domain (-1 = empty), block,
   * leaf table. */
  private readonly cacheDomain = new Int32Array(LEAF_CACHE).fill(-1);
  private readonly cacheBlock = new Int32Array(LEAF_CACHE);
  private readonly cacheTable = new Int32Array(LEAF_CACHE);
  private tableCount = 1; // table 0 reserved
  /** Freed tables (zeroed), reused before new ones are cut. */
  private freeTables: number[] = [];
  private roots = new Int32Array(16);
  /** The identity region of each domain that has one (see mapIdentity). */
  private readonly regions: (IdentityRegion | undefined)[] = [];
  /** Leaves present (of any size), those of identity regions included. */
  leaves = 0;
  /** Tables allocated and not freed, all domains (the roots included). */
  liveTables = 0;
  /** Tables allocated by the last map (0..4, the root included). */
  lastTablesAllocated = 0;
  /** Tables freed by the last unmapRange. */
  lastTablesFreed = 0;
  /** Memory references made by the last walk. */
  lastWalkRefs = 0;
  /** Level of the leaf found by the last walk. */
  lastWalkLevel = 0;

  /**
   * Writes a leaf for `page` (aligned to the leaf size) in `domain`, creating tables on the way.
   * @returns PTE writes made: 1 for the leaf + 1 per table linked in. Sets lastTablesAllocated.
   * Overwriting a present leaf is one write and does not change `leaves`; a superpage written
   * over a table drops the leaves below it from the count. A page at or beyond the 48-bit input
   * width cannot be mapped: nothing is written and 0 is returned (translations of it fault).
   */
  map(domain: number, page: number, hostPage: number, perms: number, level = PageSize.small as number): number {
    if (page >= MAX_IOVA_PAGES) {
      this.lastTablesAllocated = 0;
      return 0;
    }
    if (level !== 0) this.cacheDomain.fill(-1);
    else {
      const leafTable = this.cachedLeafTable(domain, page);
      if (leafTable > 0) {
        const slot = leafTable * ENTRIES + ((page >>> 0) & 511);
        if (this.tables[slot] === 0) this.leaves++;
        this.tables[slot] = encodeLeaf(hostPage, perms);
        this.lastTablesAllocated = 0;
        return 1;
      }
    }
    let table = this.root(domain);
    let writes = 0;
    let allocated = table < 0 ? 1 : 0;
    if (table < 0) table = this.newRoot(domain);
    for (let l = LEVELS - 1; l > level; l--) {
      const slot = table * ENTRIES + indexAt(page, l);
      let next = this.tables[slot];
      if (next === LAZY) next = this.build(domain, slot, l, page);
      else if (next <= 0) {
        // Empty (or a superpage leaf being split, which this model does not do: replace it).
        if (next < 0) this.leaves--;
        next = this.newTable();
        this.tables[slot] = next;
        writes++;
        allocated++;
      }
      table = next;
    }
    if (level === 0) this.cacheLeafTable(domain, page, table);
    const slot = table * ENTRIES + indexAt(page, level);
    const old = this.tables[slot];
    if (old > 0) this.leaves -= this.leavesBelow(domain, old, level, page); // a table replaced by a superpage leaf
    if (old >= 0) this.leaves++;
    this.tables[slot] = encodeLeaf(hostPage, perms);
    this.lastTablesAllocated = allocated;
    return writes + 1;
  }

  /**
   * Clears the leaf that maps `page` in `domain`.
   * @returns 1 when a leaf was cleared (one PTE write), 0 when nothing was mapped there.
   */
  unmap(domain: number, page: number): number {
    let table = this.root(domain);
    if (table < 0 || page >= MAX_IOVA_PAGES) return 0;
    const leafTable = this.cachedLeafTable(domain, page);
    if (leafTable > 0) {
      const slot = leafTable * ENTRIES + ((page >>> 0) & 511);
      if (this.tables[slot] === 0) return 0;
      this.tables[slot] = 0;
      this.leaves--;
      return 1;
    }
    for (let l = LEVELS - 1; l >= 0; l--) {
      const slot = table * ENTRIES + indexAt(page, l);
      const e = this.tables[slot];
      if (e === 0) return 0;
      if (e < 0) {
        this.tables[slot] = 0;
        this.leaves--;
        return 1;
      }
      table = e === LAZY ? this.build(domain, slot, l, page) : e;
    }
    return 0;
  }

  /**
   * Unmaps the pages [first, first + pages) of `domain` as Linux's dma_pte_clear_level does: an
   * entry whose whole span lies in the range is cleared with one write (a table below it is freed
   * with every table under it); a table only partly in the range is entered and its entries in
   * the range cleared one write each; a superpage leaf partly in the range is cleared whole
   * (Linux rounds such an unmap up to the superpage).
   * @returns PTE writes made. Sets lastTablesFreed.
   */
  unmapRange(domain: number, first: number, pages: number): number {
    this.lastTablesFreed = 0;
    const root = this.root(domain);
    if (root < 0 || pages <= 0 || first >= MAX_IOVA_PAGES) return 0;
    const last = Math.min(first + pages, MAX_IOVA_PAGES) - 1;
    const writes = this.clearLevel(domain, root, LEVELS - 1, 0, first, last);
    if (this.lastTablesFreed > 0) this.cacheDomain.fill(-1);
    return writes;
  }

  /** clearLevel over the entries of `table` (at `level`, spanning pages from `base`) in [first, last]. */
  private clearLevel(domain: number, table: number, level: number, base: number, first: number, last: number): number {
    const span = ENTRY_SPAN[level];
    const lo = Math.max(0, Math.floor((first - base) / span));
    const hi = Math.min(ENTRIES - 1, Math.floor((last - base) / span));
    let writes = 0;
    for (let k = lo; k <= hi; k++) {
      const slot = table * ENTRIES + k;
      let e = this.tables[slot];
      if (e === 0) continue;
      const entryBase = base + k * span;
      const whole = first <= entryBase && last >= entryBase + span - 1;
      if (e < 0) {
        this.leaves--;
        this.tables[slot] = 0;
        writes++;
      } else if (whole) {
        this.leaves -= this.leavesBelow(domain, e, level, entryBase);
        this.freeSubtree(domain, e, level, entryBase);
        this.tables[slot] = 0;
        writes++;
      } else {
        if (e === LAZY) e = this.build(domain, slot, level, entryBase);
        writes += this.clearLevel(domain, e, level - 1, entryBase, first, last);
      }
    }
    return writes;
  }

  /** Frees the table (or LAZY region table) `entry` that a level-`level` entry covering `page`
   * points to, and every table below it. */
  private freeSubtree(domain: number, entry: number, level: number, page: number): void {
    const base = Math.floor(page / ENTRY_SPAN[level]) * ENTRY_SPAN[level];
    if (entry === LAZY) {
      // Tables that exist as far as every count goes, never built: freed by counting them.
      const n = 1 + this.regions[domain]!.tablesIn(base, base + ENTRY_SPAN[level], level - 1);
      this.liveTables -= n;
      this.lastTablesFreed += n;
      return;
    }
    for (let k = 0; k < ENTRIES; k++) {
      const e = this.tables[entry * ENTRIES + k];
      if (e > 0) this.freeSubtree(domain, e, level - 1, base + k * ENTRY_SPAN[level - 1]);
    }
    this.tables.fill(0, entry * ENTRIES, (entry + 1) * ENTRIES);
    this.freeTables.push(entry);
    this.liveTables--;
    this.lastTablesFreed++;
  }

  /**
   * Walks the tables for `page`: one memory reference per level read.
   * @returns the leaf (negative) or 0 when not present. Sets lastWalkRefs and lastWalkLevel.
   */
  walk(domain: number, page: number): number {
    let table = this.root(domain);
    this.lastWalkRefs = 0;
    if (table < 0 || page >= MAX_IOVA_PAGES) return 0;
    const leafTable = this.cachedLeafTable(domain, page);
    if (leafTable > 0) {
      // The upper three entries lead here (the IOMMU still reads them: four references).
      this.lastWalkRefs = LEVELS;
      const e = this.tables[leafTable * ENTRIES + ((page >>> 0) & 511)];
      if (e < 0) this.lastWalkLevel = 0;
      return e;
    }
    for (let l = LEVELS - 1; l >= 0; l--) {
      if (l === 0) this.cacheLeafTable(domain, page, table);
      const slot = table * ENTRIES + indexAt(page, l);
      const e = this.tables[slot];
      this.lastWalkRefs++;
      if (e === 0) return 0;
      if (e < 0) {
        this.lastWalkLevel = l;
        return e;
      }
      table = e === LAZY ? this.build(domain, slot, l, page) : e;
    }
    return 0;
  }

  /**
   * Leaves reachable from the table (or LAZY region table) `entry` that a level-`level` entry
   * covering `page` points to (the table itself is left allocated, as Linux leaves it).
   */
  private leavesBelow(domain: number, entry: number, level: number, page: number): number {
    const base = Math.floor(page / ENTRY_SPAN[level]) * ENTRY_SPAN[level];
    if (entry === LAZY) return this.regions[domain]!.leavesIn(base, base + ENTRY_SPAN[level]);
    let n = 0;
    for (let k = 0; k < ENTRIES; k++) {
      const e = this.tables[entry * ENTRIES + k];
      if (e < 0) n++;
      else if (e > 0) n += this.leavesBelow(domain, e, level - 1, base + k * ENTRY_SPAN[level - 1]);
    }
    return n;
  }

  /**
   * Maps pages [0, pages) of a domain with no tables yet to host pages hostBase + page, as
   * map() calls of `level` leaves (then smaller ones for the tail) would, but builds only the
   * root now: the other tables when first reached. Counts (leaves) are the full layout's at once.
   * @returns the layout (its PTE writes and tables, for the caller's counters), or null when the
   * domain already has tables (then map page by page).
   */
  mapIdentity(domain: number, pages: number, hostBase: number, perms: number, level: number): IdentityRegion | null {
    if (this.root(domain) >= 0) return null;
    const region = new IdentityRegion(Math.min(pages, MAX_IOVA_PAGES), hostBase, perms, level);
    if (region.tables === 0) return region;
    this.regions[domain] = region;
    this.fill(this.newRoot(domain), LEVELS - 1, 0, region);
    this.leaves += region.leaves;
    this.liveTables += region.tables - 1; // the root is counted by newRoot
    this.cacheDomain.fill(-1);
    return region;
  }

  /** Builds the region table a LAZY entry (at `slot`, level `level`, covering `page`) stands for. */
  private build(domain: number, slot: number, level: number, page: number): number {
    const child = this.newTable();
    this.liveTables--; // counted as live since the region was mapped
    this.fill(child, level - 1, Math.floor(page / ENTRY_SPAN[level]) * ENTRY_SPAN[level], this.regions[domain]!);
    this.tables[slot] = child;
    return child;
  }

  /** Writes a region table's entries: its leaves, LAZY for the tables below it, empty past the region. */
  private fill(table: number, level: number, base: number, region: IdentityRegion): void {
    for (let k = 0; k < ENTRIES; k++) {
      const first = base + k * ENTRY_SPAN[level];
      const leafLevel = region.leafLevelAt(first);
      if (leafLevel < 0) break; // the region is a prefix: nothing further is in it
      this.tables[table * ENTRIES + k] = leafLevel === level ? encodeLeaf(region.hostBase + first, region.perms) : LAZY;
    }
  }

  /** The cached leaf table holding `page` (below MAX_IOVA_PAGES) of `domain`, or 0. */
  private cachedLeafTable(domain: number, page: number): number {
    const block = Math.floor(page / ENTRIES); // < 2^27: an int32
    const k = (block ^ Math.imul(domain, 0x9e3779b1)) & (LEAF_CACHE - 1);
    return this.cacheDomain[k] === domain && this.cacheBlock[k] === block ? this.cacheTable[k] : 0;
  }

  private cacheLeafTable(domain: number, page: number, table: number): void {
    const block = Math.floor(page / ENTRIES);
    const k = (block ^ Math.imul(domain, 0x9e3779b1)) & (LEAF_CACHE - 1);
    this.cacheDomain[k] = domain;
    this.cacheBlock[k] = block;
    this.cacheTable[k] = table;
  }

  /** Tables allocated so far, all domains (table 0 excluded). */
  get tablesAllocated(): number {
    return this.tableCount - 1;
  }

  private root(domain: number): number {
    return domain < this.roots.length && this.roots[domain] > 0 ? this.roots[domain] : -1;
  }

  private newRoot(domain: number): number {
    if (domain >= this.roots.length) {
      let n = this.roots.length;
      while (n <= domain) n *= 2;
      const r = new Int32Array(n);
      r.set(this.roots);
      this.roots = r;
    }
    const t = this.newTable();
    this.roots[domain] = t;
    return t;
  }

  private newTable(): number {
    this.liveTables++;
    if (this.freeTables.length > 0) return this.freeTables.pop()!;
    if ((this.tableCount + 1) * ENTRIES > this.tables.length) {
      const t = new Float64Array(this.tables.length * 2);
      t.set(this.tables);
      this.tables = t;
    }
    return this.tableCount++;
  }
}
