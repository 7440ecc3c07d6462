/**
 * The IOTLB: a set-associative cache of translations shared by every device behind the IOMMU.
 *
 * Models: `entries` entries in entries/ways sets, LRU replacement within a set (a global use
 * stamp per entry), entries tagged by domain and by the leaf's size (4 KiB, 2 MiB, 1 GiB), so a
 * superpage entry covers all its 4 KiB pages; page, domain and global invalidation.
 * The set of an entry is (tag page XOR domain * 0x9e3779b1) mod sets: for domain 0 simply the
 * page number modulo the number of sets, as in hardware that indexes by low page bits.
 * Does not model: not-present entries (never cached), device-side ATS caches, timing.
 * Cost charged: none here; the IOMMU facade counts hits, misses and walks.
 */
import { PAGES_PER_LEAF } from './page-table.js';

export class Iotlb {
  readonly entries: number;
  readonly ways: number;
  readonly sets: number;
  private readonly setMask: number;
  private readonly tagDomain: Int32Array;
  private readonly tagPage: Float64Array;
  private readonly tagLevel: Uint8Array;
  private readonly value: Float64Array;
  private readonly stamp: Float64Array;
  private readonly valid: Uint8Array;
  private clock = 0;
  /** Valid entries replaced by the last insert (0 or 1). */
  lastEvicted = 0;
  /** Leaf level of the entry the last successful lookup hit. */
  lastHitLevel = 0;

  constructor(entries: number, ways: number) {
    if (entries < 1 || ways < 1 || entries % ways !== 0 || ((entries / ways) & (entries / ways - 1)) !== 0) {
      throw new RangeError(`IOTLB of ${entries} entries and ${ways} ways: entries/ways must be a power of two`);
    }
    this.entries = entries;
    this.ways = ways;
    this.sets = entries / ways;
    this.setMask = this.sets - 1;
    this.tagDomain = new Int32Array(entries);
    this.tagPage = new Float64Array(entries);
    this.tagLevel = new Uint8Array(entries);
    this.value = new Float64Array(entries);
    this.stamp = new Float64Array(entries);
    this.valid = new Uint8Array(entries);
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
    for (let level = 0; level <= maxLevel; level++) {
      const tag = level === 0 ? page : Math.floor(page / PAGES_PER_LEAF[level]);
      const base = this.setOf(domain, tag) * this.ways;
      for (let w = base; w < base + this.ways; w++) {
        if (this.valid[w] === 1 && this.tagPage[w] === tag && this.tagDomain[w] === domain && this.tagLevel[w] === level) {
          this.stamp[w] = ++this.clock;
          this.lastHitLevel = level;
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
      if (this.valid[w] === 0) {
        victim = w;
        break;
      }
      if (this.stamp[w] < this.stamp[victim]) victim = w;
    }
    this.lastEvicted = this.valid[victim];
    this.valid[victim] = 1;
    this.tagDomain[victim] = domain;
    this.tagPage[victim] = tag;
    this.tagLevel[victim] = level;
    this.value[victim] = leaf;
    this.stamp[victim] = ++this.clock;
  }

  /** Drops every entry of `domain` covering 4 KiB page `page`; returns how many were valid. */
  invalidatePage(domain: number, page: number): number {
    let dropped = 0;
    for (let level = 0; level < PAGES_PER_LEAF.length; level++) {
      const tag = level === 0 ? page : Math.floor(page / PAGES_PER_LEAF[level]);
      const base = this.setOf(domain, tag) * this.ways;
      for (let w = base; w < base + this.ways; w++) {
        if (this.valid[w] === 1 && this.tagPage[w] === tag && this.tagDomain[w] === domain && this.tagLevel[w] === level) {
          this.valid[w] = 0;
          dropped++;
        }
      }
    }
    return dropped;
  }

  /** Drops every entry of `domain`; returns how many were valid. */
  invalidateDomain(domain: number): number {
    let dropped = 0;
    for (let w = 0; w < this.entries; w++) {
      if (this.valid[w] === 1 && this.tagDomain[w] === domain) {
        this.valid[w] = 0;
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops every entry; returns how many were valid. */
  invalidateAll(): number {
    let dropped = 0;
    for (let w = 0; w < this.entries; w++) dropped += this.valid[w];
    this.valid.fill(0);
    return dropped;
  }

  /** Valid entries now (for tests and reports). */
  get occupancy(): number {
    let n = 0;
    for (let w = 0; w < this.entries; w++) n += this.valid[w];
    return n;
  }
}
