/**
 * An identity-mapped region of an IOMMU domain: pages [0, pages) mapped to host pages
 * hostBase + page, read-write, with leaves of one size and the tail that does not fill such a
 * leaf mapped with the next smaller sizes, exactly as that many `PageTables.map` calls lay it out
 * (direct-map's set-up of guest RAM). This file is the arithmetic of that layout, so the page
 * tables can build the region's tables only where a walk, map or unmap reaches them, and still
 * count what the full layout holds: its leaves, its tables, the PTE writes that made them.
 *
 * Layout: segment l (l = top .. 0) holds leaves of level l (4 KiB, 2 MiB, 1 GiB pages) from
 * start[l] to start[l - 1] (start[-1] = pages); each start is a multiple of its leaf size.
 */
/** Pages covered by one entry of a table at each level (3 = root .. 0 = leaf tables); for levels
 * 0..2 also the pages of a leaf written there (4 KiB, 2 MiB, 1 GiB). */
export const ENTRY_PAGES = [1, 512, 512 * 512, 512 * 512 * 512] as const;

export class IdentityRegion {
  /** start[l]: first page of the level-l segment; start[l] .. start[l-1] holds level-l leaves. */
  private readonly start = [0, 0, 0];
  /** Leaves of the whole layout. */
  readonly leaves: number;
  /** Tables of the whole layout, the root included. */
  readonly tables: number;
  /** The largest leaf level the layout uses (0 when it is 4 KiB leaves only). */
  readonly topLevel: number;

  constructor(
    readonly pages: number,
    readonly hostBase: number,
    readonly perms: number,
    level: number,
  ) {
    let at = 0;
    let leaves = 0;
    let top = -1;
    for (let l = 2; l >= 0; l--) {
      this.start[l] = at;
      if (l > level) continue;
      const n = Math.floor((pages - at) / ENTRY_PAGES[l]);
      if (n > 0 && top < 0) top = l;
      leaves += n;
      at += n * ENTRY_PAGES[l];
    }
    this.leaves = leaves;
    this.topLevel = Math.max(0, top);
    this.tables = pages > 0 ? 1 + this.tablesIn(0, pages, 3) : 0;
  }

  /**
   * Tables of the layout below an entry of a level-`level` table that spans pages [from, to):
   * at each level l below, the distinct blocks of one level-l table's span holding a page whose
   * leaf is at level l or below (the pages from start[l] on).
   */
  tablesIn(from: number, to: number, level: number): number {
    let n = 0;
    for (let l = level - 1; l >= 0; l--) {
      const a = Math.max(from, this.start[l]);
      const b = Math.min(to, this.pages);
      if (b <= a) continue;
      const span = ENTRY_PAGES[l + 1];
      n += Math.floor((b - 1) / span) - Math.floor(a / span) + 1;
    }
    return n;
  }

  /** PTE writes the layout takes: one per leaf, one per table linked below the root. */
  get writes(): number {
    return this.tables > 0 ? this.leaves + this.tables - 1 : 0;
  }

  /** The leaf level of `page` in the layout, or -1 when the region does not cover it. */
  leafLevelAt(page: number): number {
    if (page < 0 || page >= this.pages) return -1;
    for (let l = 2; l > 0; l--) if (page < this.start[l - 1]) return l;
    return 0;
  }

  /** Leaves of the layout within pages [from, to). */
  leavesIn(from: number, to: number): number {
    let n = 0;
    for (let l = 2; l >= 0; l--) {
      const segEnd = l > 0 ? this.start[l - 1] : this.pages;
      const a = Math.max(from, this.start[l]);
      const b = Math.min(to, segEnd);
      if (b > a) n += Math.floor(b / ENTRY_PAGES[l]) - Math.ceil(a / ENTRY_PAGES[l]);
    }
    return n;
  }
}
