/**
 * A Linux >= 6.12 `dma:dma_map_sg` event as ONE DMA whose segments are the list's physical
 * entries (include/trace/events/dma.h; real examples in traces/capture/qemu612-*.txt.gz):
 *
 *   dma_map_sg: 0000:00:04.0 dir=FROM_DEVICE nents=32/32 ents=1/1 dma_addrs={0xfffa0000}
 *               sizes={0x20000} phys_addrs={0xbd3e000,0x1dc6000,...32 entries...}
 *
 * The IOMMU merged 32 scattered pages into one DMA segment of 128 KiB: the DMA's pages are the 32
 * `phys_addrs`, not 128 KiB from the first. What the event lacks is each entry's length. They come
 * from, in this order:
 *   1. the `iommu:map` lines of the same list, when the file has them: with both event groups on,
 *      the list's maps come just before its dma_map_sg line, on the same CPU, at contiguous IOVAs
 *      starting at the first DMA address's page; one map per physically contiguous run of entries
 *      (`iommu_map_sg`), its paddr the page of the entry starting the run and its size page-rounded.
 *      An entry then spans the IOVA pages from its own to the next entry's (or its run's end), less
 *      its offset in the first page, clipped to the DMA segment (`dma_addrs`/`sizes`) holding it.
 *      When the kernel cut the list at 128 entries, the maps after the last entry shown give the
 *      rest of the DMA's pages (one segment a map);
 *   2. the counts: when there are as many DMA segments as entries, nothing was merged and
 *      `sizes` are the entries' lengths;
 *   3. a guess: each entry runs to the end of its page, and the last is trimmed or extended so the
 *      DMA's total is the sum of `sizes` (the caller says in the summary that bytes were guessed).
 * Addresses are BigInt here (scatter-gather lines are few; addresses up to 64 bits stay exact).
 */

/** An address as the reader has it: canonical `0x...` text, or a number when exact. */
export type Addr = string | number;

const PAGE = 4096n;
const PAGE_MASK = ~0xfffn;

/** The iommu:map events of one CPU since its last scatter-gather list, oldest first. */
interface CpuMaps {
  /** IOVA as a number, NaN when it is not exact as a double (such a map is never part of a list). */
  iova: number[];
  paddr: Addr[];
  size: number[];
}

/**
 * The `iommu:map` events of a file that has `dma:` events, held per CPU until a `dma_map_sg`
 * line of that CPU claims those of its list. The others are the same DMAs as `dma:` events
 * (duplicates): `duplicates` counts them as they are dropped (at most `limit` are held a CPU).
 */
export class IommuMapStash {
  private byCpu = new Map<number, CpuMaps>();
  /** Maps dropped as duplicates of dma: events, and maps that gave a list's segments. */
  duplicates = 0;
  used = 0;

  constructor(private limit = 8192) {}

  push(cpu: number, iova: number, paddr: Addr, size: number): void {
    let c = this.byCpu.get(cpu);
    if (c === undefined) this.byCpu.set(cpu, (c = { iova: [], paddr: [], size: [] }));
    c.iova.push(iova);
    c.paddr.push(paddr);
    c.size.push(size);
    if (c.iova.length > 2 * this.limit) this.drop(c, c.iova.length - this.limit);
  }

  /**
   * The maps of the list whose first DMA address is `first` (exact, as a number), mapped on `cpu`
   * just before: from the newest map at the page of `first`, the maps after it that continue its
   * IOVA range (others, from interrupts on the CPU, are passed over), until `needEnd` (the
   * page-rounded end of the DMA's segments, when they are all known) is reached. The maps up to
   * the last one taken leave the stash. Empty when there is none.
   */
  claim(cpu: number, first: number, needEnd: number): IovaRun[] {
    const c = this.byCpu.get(cpu);
    if (c === undefined || !Number.isFinite(first)) return [];
    const page = Math.floor(first / 4096) * 4096;
    let s = c.iova.length - 1;
    while (s >= 0 && c.iova[s] !== page) s--;
    if (s < 0) return [];
    const runs: IovaRun[] = [];
    let end = page;
    let last = s;
    for (let i = s; i < c.iova.length && end < needEnd; i++) {
      if (c.iova[i] !== end) continue;
      runs.push({ iova: BigInt(end), paddr: BigInt(c.paddr[i]), size: c.size[i] });
      end += c.size[i];
      last = i;
    }
    this.used += runs.length;
    this.duplicates -= runs.length; // drop() counts every map it removes as a duplicate
    this.drop(c, last + 1);
    return runs;
  }

  /** Drops every map still held (end of file): they were duplicates. */
  finish(): void {
    for (const c of this.byCpu.values()) this.drop(c, c.iova.length);
  }

  private drop(c: CpuMaps, n: number): void {
    this.duplicates += n;
    c.iova.splice(0, n);
    c.paddr.splice(0, n);
    c.size.splice(0, n);
  }
}

/** One `iommu:map` event of a list: IOVA range [iova, iova + size) -> physical pages from paddr. */
export interface IovaRun {
  iova: bigint;
  paddr: bigint;
  size: number;
}

export interface SgList {
  phys: string[];
  dmaAddrs: string[];
  sizes: number[];
  /** Whether `phys` / `dmaAddrs` and `sizes` hold the whole list (the kernel cuts them at 128). */
  physComplete: boolean;
  dmaComplete: boolean;
}

export interface SgSegments {
  addrs: string[];
  lens: number[];
  /** Where the lengths came from: the list's iommu:map lines, the event alone (exact), or a guess. */
  how: 'iommu' | 'exact' | 'guessed';
  /** From iommu:map lines, but past the DMA segments the kernel showed (cut at 128): whole pages. */
  rounded: boolean;
  /** The kernel cut the list and nothing gave the rest: the DMA lacks some pages. */
  missing: boolean;
}

/** The first DMA address of a list as a number when exact, and the page-rounded end of its segments (Infinity when not all known). */
export function listRange(list: SgList): { first: number; needEnd: number } {
  const first = list.dmaAddrs.length > 0 && list.dmaAddrs[0].length <= 15 ? Number(list.dmaAddrs[0]) : NaN;
  let needEnd = list.dmaComplete ? 0 : Infinity;
  const n = Math.min(list.dmaAddrs.length, list.sizes.length);
  for (let i = 0; i < n && needEnd < Infinity; i++) {
    const a = list.dmaAddrs[i];
    if (a.length > 15) needEnd = Infinity;
    else needEnd = Math.max(needEnd, Math.ceil((Number(a) + list.sizes[i]) / 4096) * 4096);
  }
  return { first, needEnd };
}

/** The segments of a list: from its iommu:map events (`runs`) when they fit it, else from the event alone. */
export function sgSegments(list: SgList, runs: IovaRun[]): SgSegments {
  return (runs.length > 0 && fromRuns(list, runs)) || fromEvent(list);
}

const hex = (v: bigint) => '0x' + v.toString(16);

/** DMA segments as [start, end) IOVA byte ranges, in list order. */
function dmaRanges(list: SgList): Array<[bigint, bigint]> {
  const n = Math.min(list.dmaAddrs.length, list.sizes.length);
  const out: Array<[bigint, bigint]> = [];
  for (let i = 0; i < n; i++) {
    const a = BigInt(list.dmaAddrs[i]);
    out.push([a, a + BigInt(list.sizes[i])]);
  }
  return out;
}

/** The end of the DMA segment holding IOVA byte `at`, or -1n when none does. */
function segmentEnd(ranges: Array<[bigint, bigint]>, at: bigint): bigint {
  for (const [a, b] of ranges) if (at >= a && at < b) return b;
  return -1n;
}

/** Segments from the list's iommu:map events, or null when they do not fit its entries. */
function fromRuns(list: SgList, runs: IovaRun[]): SgSegments | null {
  const phys = list.phys.map((p) => BigInt(p));
  const n = phys.length;
  if (n === 0) return null;
  // Each entry's run and its page's offset in the run (entries of a run come in page order).
  const runOf: number[] = [];
  const at: bigint[] = [];
  let j = -1;
  for (let k = 0; k < n; k++) {
    const page = phys[k] & PAGE_MASK;
    if (j >= 0) {
      const q = page - runs[j].paddr;
      if (q > at[k - 1] && q < BigInt(runs[j].size)) {
        runOf.push(j);
        at.push(q);
        continue;
      }
    }
    j++;
    if (j >= runs.length || runs[j].paddr !== page) return null;
    runOf.push(j);
    at.push(0n);
  }
  const ranges = dmaRanges(list);
  const addrs: string[] = [];
  const lens: number[] = [];
  let rounded = false;
  const add = (addr: string, start: bigint, end: bigint): boolean => {
    const segEnd = segmentEnd(ranges, start);
    if (segEnd < 0n) {
      if (list.dmaComplete) return false;
      rounded = true; // past the DMA segments shown: the page-rounded length
    } else if (segEnd < end) end = segEnd;
    if (end > start) {
      addrs.push(addr);
      lens.push(Number(end - start));
    }
    return true;
  };
  for (let k = 0; k < n; k++) {
    const r = runs[runOf[k]];
    // The entry's IOVA pages: from its own to the next entry's in the run, or to the run's end.
    const end = k + 1 < n && runOf[k + 1] === runOf[k] ? at[k + 1] : BigInt(r.size);
    if (!add(list.phys[k], r.iova + at[k] + (phys[k] & 0xfffn), r.iova + end)) return null;
  }
  // A list cut at 128 entries: the maps after the last entry's run are the rest of it.
  if (!list.physComplete) {
    for (let r = runOf[n - 1] + 1; r < runs.length; r++) {
      if (!add(hex(runs[r].paddr), runs[r].iova, runs[r].iova + BigInt(runs[r].size))) break;
    }
  }
  if (list.dmaComplete && lens.reduce((a, b) => a + b, 0) !== list.sizes.reduce((a, b) => a + b, 0)) return null;
  return { addrs, lens, how: 'iommu', rounded, missing: false };
}

/** Segments from the event alone: exact when nothing was merged, else each entry to the end of its page. */
function fromEvent(list: SgList): SgSegments {
  const n = list.phys.length;
  const total = list.sizes.reduce((a, b) => a + b, 0);
  const complete = list.physComplete && list.dmaComplete;
  if (complete && list.dmaAddrs.length === n && list.sizes.length === n) {
    // As many DMA segments as entries: nothing was merged, each size is its entry's length.
    return { addrs: list.phys.slice(), lens: list.sizes.slice(), how: 'exact', rounded: false, missing: false };
  }
  const lens = list.phys.map((p) => Number(PAGE - (BigInt(p) & 0xfffn)));
  if (complete) {
    // The last entry takes up the difference; a total smaller than the last entry can give is
    // trimmed from the end (entries left with no bytes are dropped; the first keeps one).
    let diff = total - lens.reduce((a, b) => a + b, 0);
    if (diff > 0 && n > 0) lens[n - 1] += diff;
    for (let k = n - 1; k >= 0 && diff < 0; k--) {
      const cut = Math.min(lens[k] - (k === 0 ? 1 : 0), -diff);
      lens[k] -= cut;
      diff += cut;
    }
  }
  const addrs: string[] = [];
  const kept: number[] = [];
  for (let k = 0; k < n; k++) {
    if (lens[k] <= 0) continue;
    addrs.push(list.phys[k]);
    kept.push(lens[k]);
  }
  return { addrs, lens: kept, how: 'guessed', rounded: false, missing: !list.physComplete };
}
