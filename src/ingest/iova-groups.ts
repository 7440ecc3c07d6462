/**
 * DMAs from `iommu:` events alone (kernels without `dma:` events, Linux < 6.12).
 *
 * A `dma_map_sg` shows there as N `iommu:map` events, one per physically contiguous segment, at
 * contiguous increasing IOVAs, issued one after the other on one CPU, and ONE `iommu:unmap`
 * covering the whole IOVA range. Single maps can look the same (the IOVA allocator's per-CPU
 * caches are LIFO, so buffers mapped one by one often get contiguous IOVAs), but each is released
 * by an unmap of its own. So the grouping is decided when the unmaps come:
 *
 *   - a candidate is a run of maps on one CPU, each starting where the previous one ended, with no
 *     other map of that CPU between them (unmaps may come between: interrupts). A run closes when
 *     the CPU maps elsewhere, or when one of its members is unmapped (a list is whole before any
 *     of it is unmapped);
 *   - members released by the same unmap event and consecutive in the candidate form ONE DMA:
 *     handle = its first IOVA, one `map` row per member (paddr, size), all at the first member's
 *     time, written where the first member was; the unmap is one `unmap` row. An unmap covering
 *     several DMAs gives one row each (ascending IOVA);
 *   - a member whose neighbours in the candidate already belong to other DMAs is a DMA of its own
 *     at once (also a run of one, once closed);
 *   - members still undecided after `holdEvents` events or `holdNs` of trace time are taken as one
 *     DMA per consecutive stretch ("forced"); a later unmap touching part of a forced DMA unmaps
 *     the whole DMA (the rest's own unmaps then release nothing and are not counted as unmatched);
 *     both are counted for the summary. At the end of the file, consecutive live members of a
 *     candidate stay one DMA.
 *
 * Until a candidate is decided its rows, and every row after them, wait in a queue, so the output
 * stays in time order (the rows of a DMA take its first member's time, so they never go back).
 * The queue is columns of plain arrays (no object per row); the one object per map is its record.
 */

export type Addr = string | number;

/** Where the rows go, in order. `segment` is the member's index in its DMA (0: a new DMA). */
export interface RowSink {
  /** `cpu`: the CPU of the DMA's first map. */
  map(ts: number, paddr: Addr, len: number, handle: Addr, segment: number, cpu: number): void;
  /** `cpu`: the CPU of the kernel's unmap. */
  unmap(ts: number, handle: Addr, cpu: number): void;
}

class MapRec {
  /** The candidate it belongs to when it has company (2+ members); its index there. */
  run: MapRec[] | null = null;
  idx = 0;
  /** The first member of its DMA, once decided (itself for a DMA of one). */
  head: MapRec | null = null;
  /** On a head: members in the DMA (consecutive in `run` from `idx`); whether its unmap was written. */
  segs = 0;
  unmapped = false;
  /** Not unmapped by an unmap of its own (or a remap) yet. */
  live = true;
  constructor(
    readonly ts: number,
    readonly cpu: number,
    readonly iova: Addr,
    /** The IOVA as a number, NaN when not exact (then it joins no candidate). */
    readonly iovaNum: number,
    readonly page: number,
    readonly paddr: Addr,
    readonly size: number,
    /** The number of the event that made it (for the bound). */
    readonly event: number,
  ) {}
}

// What a queued output slot is.
const SLOT_MAP = 0; // the rows of the DMA headed by the slot's record (none for other members)
const SLOT_UNMAP = 1;

/** A value per CPU number (an array for the usual small numbers). */
class CpuSlots {
  private small: (MapRec | undefined)[] = [];
  private large = new Map<number, MapRec>();
  get(cpu: number): MapRec | undefined {
    return cpu < 1024 ? this.small[cpu] : this.large.get(cpu);
  }
  set(cpu: number, rec: MapRec): void {
    if (cpu < 1024) this.small[cpu] = rec;
    else this.large.set(cpu, rec);
  }
  delete(cpu: number): void {
    if (cpu < 1024) this.small[cpu] = undefined;
    else this.large.delete(cpu);
  }
}

export class IovaGroups {
  /** Live maps by the IOVA page they start at. */
  private live = new Map<number, MapRec>();
  /** Per CPU: the last member of its open candidate. */
  private lastOnCpu = new CpuSlots();
  // The output queue, as columns; slots before `qHead` are written.
  private qKind: number[] = [];
  private qTs: number[] = [];
  /** The CPU of each slot's map or unmap. */
  private qCpu: number[] = [];
  /** The CPU of the unmap being released. */
  private unmapCpu = 0;
  private qHandle: Addr[] = [];
  private qRec: (MapRec | null)[] = [];
  private qHead = 0;
  private events = 0;
  /** The maps one unmap releases (reused: no array per unmap). */
  private released: MapRec[] = [];
  /** Unmaps that released nothing (their maps came before the trace began). */
  unmatched = 0;
  /** Maps of a live IOVA page without an unmap in between (the old one is unmapped first). */
  remapped = 0;
  /** Candidates of 2+ members taken as one DMA by the bound; unmaps that released part of one. */
  forcedGroups = 0;
  forcedSplits = 0;

  constructor(
    private sink: RowSink,
    private holdEvents = 65_536,
    private holdNs = 10e9,
  ) {}

  map(ts: number, cpu: number, iova: Addr, iovaNum: number, page: number, paddr: Addr, size: number): void {
    const event = ++this.events;
    const old = this.live.get(page);
    if (old !== undefined) {
      if (old.head !== null && old.head.unmapped) this.live.delete(page); // the rest of a forced DMA already unmapped
      else {
        this.remapped++;
        this.released.length = 0;
        this.released.push(old);
        this.release(this.released, ts);
      }
    }
    const rec = new MapRec(ts, cpu, iova, iovaNum, page, paddr, size, event);
    const last = this.lastOnCpu.get(cpu);
    if (last !== undefined && last.iovaNum + last.size === iovaNum) {
      // It continues the CPU's open candidate.
      let run = last.run;
      if (run === null) {
        run = last.run = [last];
        last.idx = 0;
      }
      rec.run = run;
      rec.idx = run.length;
      run.push(rec);
    } else if (last !== undefined) this.close(last);
    this.lastOnCpu.set(cpu, rec);
    this.live.set(page, rec);
    this.push(SLOT_MAP, ts, '', rec, cpu);
    this.settle(ts);
  }

  /** An unmap of `size` bytes from IOVA page `first`, on `cpu`. */
  unmap(ts: number, first: number, size: number, cpu = 0): void {
    this.events++;
    this.unmapCpu = cpu;
    const pages = Math.max(1, Math.ceil(size / 4096));
    const recs = this.released;
    recs.length = 0;
    if (pages <= this.live.size) {
      for (let p = first; p < first + pages; p++) {
        const rec = this.live.get(p);
        if (rec !== undefined) recs.push(rec);
      }
    } else {
      // A range wider than the live maps (a whole-domain unmap, a bogus size): visit the live
      // maps in it instead of every page, in the same ascending order.
      for (const p of [...this.live.keys()].filter((p) => p >= first && p < first + pages).sort((a, b) => a - b)) recs.push(this.live.get(p)!);
    }
    if (recs.length === 0) this.unmatched++;
    else this.release(recs, ts);
    this.settle(ts);
  }

  /** End of the file: undecided members are live; consecutive ones of a candidate stay one DMA. */
  finish(): void {
    for (let i = this.qHead; i < this.qKind.length; i++) {
      const rec = this.qRec[i];
      if (rec !== null && rec.head === null) this.force(rec, false);
    }
    this.flush();
  }

  /** DMAs still mapped (some member not unmapped), at the end. */
  liveDmas(): number {
    const heads = new Set<MapRec>();
    for (const rec of this.live.values()) if (rec.head !== null && !rec.head.unmapped) heads.add(rec.head);
    return heads.size;
  }

  /** Maps `recs` (ascending IOVA) released by one unmap event at `ts`: decide their DMAs, write the unmaps. */
  private release(recs: MapRec[], ts: number): void {
    for (const rec of recs) {
      this.live.delete(rec.page);
      rec.live = false;
    }
    for (let k = 0; k < recs.length; ) {
      const rec = recs[k];
      if (rec.head !== null) {
        // A decided DMA (of one, or forced): its first release unmaps it whole.
        const head = rec.head;
        if (!head.unmapped) {
          head.unmapped = true;
          this.push(SLOT_UNMAP, ts, head.iova, null, this.unmapCpu);
          if (head.segs > 1 && head.run!.slice(head.idx, head.idx + head.segs).some((m) => m.live)) this.forcedSplits++;
        }
        k++;
        continue;
      }
      // Undecided: with the members of its candidate released next to it, one DMA.
      this.close(rec);
      let j = k;
      while (j + 1 < recs.length && rec.run !== null && recs[j + 1].run === rec.run && recs[j + 1].idx === recs[j].idx + 1 && recs[j + 1].head === null) j++;
      for (let i = k; i <= j; i++) recs[i].head = rec;
      rec.segs = j - k + 1;
      rec.unmapped = true;
      this.push(SLOT_UNMAP, ts, rec.iova, null, this.unmapCpu);
      if (rec.run !== null) {
        this.decideAlone(rec.run, rec.idx - 1);
        this.decideAlone(rec.run, recs[j].idx + 1);
      }
      k = j + 1;
    }
  }

  /** Ends the candidate `rec` belongs to (no map joins it any more); a lone undecided last member is then a DMA of its own. */
  private close(rec: MapRec): void {
    const run = rec.run;
    const last = run === null ? rec : run[run.length - 1];
    if (this.lastOnCpu.get(last.cpu) !== last) return;
    this.lastOnCpu.delete(last.cpu);
    if (run === null) this.decide(rec, 1);
    else this.decideAlone(run, run.length - 1);
  }

  /** Member `i` of `run` as a DMA of its own when it is undecided and its neighbours are decided (or absent, at the end of a closed run). */
  private decideAlone(run: MapRec[], i: number): void {
    if (i < 0 || i >= run.length) return;
    const rec = run[i];
    if (rec.head !== null) return;
    if (i > 0 && run[i - 1].head === null) return;
    if (i + 1 < run.length ? run[i + 1].head === null : this.lastOnCpu.get(rec.cpu) === rec) return;
    this.decide(rec, 1);
  }

  private decide(head: MapRec, segs: number): void {
    const run = head.run;
    if (run === null) head.head = head;
    else for (let i = head.idx; i < head.idx + segs; i++) run[i].head = head;
    head.segs = segs;
  }

  /** Decides the candidate of `rec` now: each stretch of undecided members is one DMA. */
  private force(rec: MapRec, bound: boolean): void {
    const run = rec.run;
    const last = run === null ? rec : run[run.length - 1];
    if (this.lastOnCpu.get(last.cpu) === last) this.lastOnCpu.delete(last.cpu);
    if (run === null) return this.decide(rec, 1);
    for (let i = 0; i < run.length; ) {
      if (run[i].head !== null) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < run.length && run[j + 1].head === null) j++;
      this.decide(run[i], j - i + 1);
      if (bound && j > i) this.forcedGroups++;
      i = j + 1;
    }
  }

  /** Writes what is decided, then applies the bound to the oldest undecided member (and again). */
  private settle(ts: number): void {
    for (;;) {
      this.flush();
      if (this.qHead === this.qKind.length) return;
      const rec = this.qRec[this.qHead]!;
      if (this.events - rec.event < this.holdEvents && ts - rec.ts < this.holdNs) return;
      this.force(rec, true);
    }
  }

  private push(kind: number, ts: number, handle: Addr, rec: MapRec | null, cpu: number): void {
    if (this.qHead === this.qKind.length && kind === SLOT_UNMAP) return this.sink.unmap(ts, handle, cpu);
    this.qKind.push(kind);
    this.qTs.push(ts);
    this.qCpu.push(cpu);
    this.qHandle.push(handle);
    this.qRec.push(rec);
  }

  /** Writes the queue's slots up to the first undecided map. */
  private flush(): void {
    const n = this.qKind.length;
    let h = this.qHead;
    for (; h < n; h++) {
      if (this.qKind[h] === SLOT_UNMAP) {
        this.sink.unmap(this.qTs[h], this.qHandle[h], this.qCpu[h]);
        continue;
      }
      const rec = this.qRec[h]!;
      if (rec.head === null) break;
      this.qRec[h] = null;
      if (rec.head === rec) this.writeDma(rec);
    }
    this.qHead = h;
    if (h === n) {
      this.qHead = 0;
      this.qKind.length = this.qTs.length = this.qHandle.length = this.qRec.length = this.qCpu.length = 0;
    } else if (h >= 4096 && h * 2 >= n) {
      // Drop the written front now and then, so the columns stay about as long as the wait.
      this.qKind.splice(0, h);
      this.qTs.splice(0, h);
      this.qCpu.splice(0, h);
      this.qHandle.splice(0, h);
      this.qRec.splice(0, h);
      this.qHead = 0;
    }
  }

  private writeDma(head: MapRec): void {
    if (head.segs === 1) return this.sink.map(head.ts, head.paddr, head.size, head.iova, 0, head.cpu);
    const run = head.run!;
    for (let i = 0; i < head.segs; i++) {
      const m = run[head.idx + i];
      this.sink.map(head.ts, m.paddr, m.size, head.iova, i, head.cpu);
    }
  }
}
