/**
 * The IOTLB: a set-associative cache of translations shared by every device behind the IOMMU.
 *
 * Models: `entries` entries in entries/ways sets, LRU replacement within a set (a global use
 * stamp per entry), entries tagged by domain and by the leaf's size (4 KiB, 2 MiB, 1 GiB), so a
 * superpage entry covers all its 4 KiB pages; page, domain and global invalidation.
 * The set of an entry is (tag page XOR domain * 0x9e3779b1) mod sets: for domain 0 simply the
 * page number modulo the number of sets, as in hardware that indexes by low page bits.
 * Does not model: not-present entries (never cached), device-side ATS caches, timing.
 * Domains are below 2^29 (an entry's tag packs domain and leaf level into one int32).
 * Cost charged: none here; the IOMMU facade counts hits, misses and walks.
 */
import { PAGES_PER_LEAF } from './page-table.js';

export class Iotlb {
  readonly entries: number;
  readonly ways: number;
  readonly sets: number;
  private readonly setMask: number;
  /** Per entry: domain * 4 + leaf level, or -1 when the entry is invalid (one compare tests
   * validity, domain and size together). */
  private readonly tagKey: Int32Array;
  private readonly tagPage: Float64Array;
  private readonly value: Float64Array;
  private readonly stamp: Float64Array;
  private clock = 0;
  /** Largest leaf level ever inserted: lookups and invalidations need not look for larger tags. */
  private maxLevelInserted = 0;
  /** Valid entries replaced by the last insert (0 or 1). */
  lastEvicted = 0;
  /** Leaf level of the entry the last successful lookup hit. */
  lastHitLevel = 0;
  /** The way a 4 KiB insert would replace in the set the last missed lookup scanned. */
  private missVictim = 0;
  /**
   * Per entry: 1 when it is a 4 KiB entry whose leaf is known to be still in the page tables
   * (set when filled after a walk, or confirmed by one; cleared by the IOMMU when that leaf, or
   * any leaf of its domain in a way it cannot pin down, is removed). Lets lazy mode count stale
   * hits without a table walk per hit (Iommu.translate).
   */
  private readonly present: Uint8Array;
  /** Whether the entry the last successful lookup hit is known present (see `present`). */
  lastHitPresent = false;
  /** The way the last successful lookup hit. */
  private lastHitWay = 0;

  constructor(entries: number, ways: number) {
    if (entries < 1 || ways < 1 || entries % ways !== 0 || ((entries / ways) & (entries / ways - 1)) !== 0) {
      throw new RangeError(`IOTLB of ${entries} entries and ${ways} ways: entries/ways must be a power of two`);
    }
    this.entries = entries;
    this.ways = ways;
    this.sets = entries / ways;
    this.setMask = this.sets - 1;
    this.tagKey = new Int32Array(entries).fill(-1);
    this.tagPage = new Float64Array(entries);
    this.value = new Float64Array(entries);
    this.stamp = new Float64Array(entries);
    this.present = new Uint8Array(entries);
  }

  /** The set a tag page of a domain falls in. */
  setOf(domain: number, tagPage: number): number {
    return ((tagPage >>> 0) ^ Math.imul(domain, 0x9e3779b1)) & this.setMask;
  }

  /**
   * Looks up the 4 KiB page `page` of `domain`, trying superpage tags up to `maxLevel`.
   * @returns the cached leaf (negative), or 0 on a miss. A hit refreshes the entry's LRU stamp.
   */
  lookup(domain: number, page: number, maxLevel: number): number {
    const top = maxLevel < this.maxLevelInserted ? maxLevel : this.maxLevelInserted;
    // Level 0 first, noting the way a 4 KiB insert would replace (so a miss need not scan the
    // set again: see insertAfterMiss).
    const base0 = this.setOf(domain, page) * this.ways;
    const key0 = domain * 4;
    let victim = base0;
    let invalidFound = false;
    for (let w = base0; w < base0 + this.ways; w++) {
      const key = this.tagKey[w];
      if (key === key0 && this.tagPage[w] === page) {
        this.stamp[w] = ++this.clock;
        this.lastHitLevel = 0;
        this.lastHitWay = w;
        this.lastHitPresent = this.present[w] === 1;
        return this.value[w];
      }
      if (!invalidFound) {
        if (key < 0) {
          victim = w;
          invalidFound = true;
        } else if (this.stamp[w] < this.stamp[victim]) victim = w;
      }
    }
    this.missVictim = victim;
    for (let level = 1; level <= top; level++) {
      const tag = Math.floor(page / PAGES_PER_LEAF[level]);
      const key = domain * 4 + level;
      const base = this.setOf(domain, tag) * this.ways;
      for (let w = base; w < base + this.ways; w++) {
        if (this.tagKey[w] === key && this.tagPage[w] === tag) {
          this.stamp[w] = ++this.clock;
          this.lastHitLevel = level;
          this.lastHitWay = w;
          this.lastHitPresent = false; // superpage entries are always checked by a walk
          return this.value[w];
        }
      }
    }
    return 0;
  }

  /** Caches a leaf found by a walk; replaces an invalid way, else the least recently used. */
  insert(domain: number, page: number, level: number, leaf: number): void {
    const tag = level === 0 ? page : Math.floor(page / PAGES_PER_LEAF[level]);
    const base = this.setOf(domain, tag) * this.ways;
    let victim = base;
    for (let w = base; w < base + this.ways; w++) {
      if (this.tagKey[w] < 0) {
        victim = w;
        break;
      }
      if (this.stamp[w] < this.stamp[victim]) victim = w;
    }
    this.fill(victim, domain, tag, level, leaf);
  }

  /**
   * `insert` right after a `lookup` of the same domain and page missed, with nothing in between:
   * a 4 KiB leaf goes to the way that lookup already chose.
   */
  insertAfterMiss(domain: number, page: number, level: number, leaf: number): void {
    if (level === 0) this.fill(this.missVictim, domain, page, 0, leaf);
    else this.insert(domain, page, level, leaf);
  }

  private fill(victim: number, domain: number, tag: number, level: number, leaf: number): void {
    this.lastEvicted = this.tagKey[victim] < 0 ? 0 : 1;
    if (level > this.maxLevelInserted) this.maxLevelInserted = level;
    this.tagKey[victim] = domain * 4 + level;
    this.tagPage[victim] = tag;
    this.value[victim] = leaf;
    this.stamp[victim] = ++this.clock;
    this.present[victim] = level === 0 ? 1 : 0; // filled after a walk found the leaf
  }

  /** A walk found the leaf behind the entry the last lookup hit still present. */
  confirmPresent(): void {
    if (this.lastHitLevel === 0) this.present[this.lastHitWay] = 1;
  }

  /** The 4 KiB leaf of `page` in `domain` left the tables: its entry, if any, is no longer
   * known present. */
  forgetPresent(domain: number, page: number): void {
    const key = domain * 4;
    const base = this.setOf(domain, page) * this.ways;
    for (let w = base; w < base + this.ways; w++) if (this.tagKey[w] === key && this.tagPage[w] === page) this.present[w] = 0;
  }

  /** No entry is known present any more. */
  forgetPresentAll(): void {
    this.present.fill(0);
  }

  /** Leaves of `domain` left the tables in a way not pinned to pages: none of its entries is
   * known present any more. */
  forgetPresentDomain(domain: number): void {
    for (let w = 0; w < this.entries; w++) if (this.tagKey[w] >= 0 && this.tagKey[w] >> 2 === domain) this.present[w] = 0;
  }

  /** Drops every entry of `domain` covering 4 KiB page `page`; returns how many were valid. */
  invalidatePage(domain: number, page: number): number {
    let dropped = 0;
    // Sizes never cached cannot be present: most strategies only ever cache 4 KiB leaves.
    for (let level = 0; level <= this.maxLevelInserted; level++) {
      const tag = level === 0 ? page : Math.floor(page / PAGES_PER_LEAF[level]);
      const key = domain * 4 + level;
      const base = this.setOf(domain, tag) * this.ways;
      for (let w = base; w < base + this.ways; w++) {
        if (this.tagKey[w] === key && this.tagPage[w] === tag) {
          this.tagKey[w] = -1;
          dropped++;
        }
      }
    }
    return dropped;
  }

  /**
   * Drops every entry of `domain` covering any 4 KiB page of [start, start + pages): the same
   * entries, and so the same count, as invalidatePage on each page in turn. For a block larger
   * than the lookups it would take, one pass over all entries instead (F&S invalidates 64-page
   * ranges: 64 set scans against one scan of a 64-entry IOTLB).
   */
  invalidateBlock(domain: number, start: number, pages: number): number {
    if (this.entries > pages * this.ways * (this.maxLevelInserted + 1)) {
      let dropped = 0;
      for (let p = start; p < start + pages; p++) dropped += this.invalidatePage(domain, p);
      return dropped;
    }
    const end = start + pages - 1;
    let dropped = 0;
    for (let w = 0; w < this.entries; w++) {
      const key = this.tagKey[w];
      if (key < 0 || key >> 2 !== domain) continue;
      const level = key & 3;
      const tag = this.tagPage[w];
      // The entry's pages [tag * size, (tag + 1) * size) meet the block.
      const inBlock = level === 0 ? tag >= start && tag <= end : tag >= Math.floor(start / PAGES_PER_LEAF[level]) && tag <= Math.floor(end / PAGES_PER_LEAF[level]);
      if (inBlock) {
        this.tagKey[w] = -1;
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops every entry of `domain`; returns how many were valid. */
  invalidateDomain(domain: number): number {
    let dropped = 0;
    for (let w = 0; w < this.entries; w++) {
      const key = this.tagKey[w];
      if (key >= 0 && key >> 2 === domain) {
        this.tagKey[w] = -1;
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops every entry; returns how many were valid. */
  invalidateAll(): number {
    const dropped = this.occupancy;
    this.tagKey.fill(-1);
    return dropped;
  }

  /** Valid entries now (for tests and reports). */
  get occupancy(): number {
    let n = 0;
    for (let w = 0; w < this.entries; w++) if (this.tagKey[w] >= 0) n++;
    return n;
  }
}
