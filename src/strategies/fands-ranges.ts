/**
 * fands' descriptor ranges (fands.ts): the IOVA ranges the DMAs of one receive descriptor share,
 * kept as parallel arrays indexed by range id rather than one object per range, so that a replay
 * of millions of descriptors allocates nothing per descriptor (ids, and each id's page list, are
 * reused once its range is torn down). Models and charges nothing: bookkeeping only.
 */
import { growFloat64, growInt32, growUint8 } from '../util/grow.js';

export class DescriptorRanges {
  /** Per range id: IOVA domain (device), guest, first IOVA page. */
  domain = new Int32Array(16);
  guest = new Int32Array(16);
  iova = new Float64Array(16);
  /** Pages handed out so far (each DMA's pages at the next IOVA pages). */
  used = new Int32Array(16);
  /** DMAs of the range not yet unmapped. */
  live = new Int32Array(16);
  /** 1 while more DMAs may still join the range. */
  open = new Uint8Array(16);
  /** The CPU that unmapped last (it frees the range). */
  cpu = new Int32Array(16);
  /** Per range id: the guest pages mapped in it, in IOVA order (`used` of them). Kept across
   * reuses of the id, so a page list grows once, not per descriptor. */
  private readonly gpns: Float64Array[] = [];
  /** Ids of torn-down ranges, reused last-freed-first; `ids` is the number ever handed out. */
  private freeIds = new Int32Array(16);
  private freeCount = 0;
  private ids = 0;

  /** A new open range of no pages yet at IOVA page `iova`; returns its id. */
  add(domain: number, guest: number, iova: number, cpu: number): number {
    const id = this.freeCount > 0 ? this.freeIds[--this.freeCount] : this.ids++;
    if (id >= this.domain.length) this.grow(id + 1);
    this.domain[id] = domain;
    this.guest[id] = guest;
    this.iova[id] = iova;
    this.used[id] = 0;
    this.live[id] = 0;
    this.open[id] = 1;
    this.cpu[id] = cpu;
    return id;
  }

  /** Guest page `gpn` is mapped at the range's next IOVA page (the caller counts it in `used`). */
  pushPage(id: number, gpn: number): void {
    let list = this.gpns[id];
    const k = this.used[id];
    if (list === undefined || k >= list.length) {
      list = list === undefined ? new Float64Array(8) : growFloat64(list, list.length * 2);
      this.gpns[id] = list;
    }
    list[k] = gpn;
    this.used[id] = k + 1;
  }

  /** The guest pages of range `id` (the first `used[id]` entries). */
  pagesOf(id: number): Float64Array {
    return this.gpns[id] ?? EMPTY;
  }

  /** Range `id` is gone: its id may be handed out again. */
  release(id: number): void {
    if (this.freeCount === this.freeIds.length) this.freeIds = growInt32(this.freeIds, this.freeIds.length * 2);
    this.freeIds[this.freeCount++] = id;
  }

  private grow(n: number): void {
    const size = Math.max(n, this.domain.length * 2);
    this.domain = growInt32(this.domain, size);
    this.guest = growInt32(this.guest, size);
    this.iova = growFloat64(this.iova, size);
    this.used = growInt32(this.used, size);
    this.live = growInt32(this.live, size);
    this.open = growUint8(this.open, size);
    this.cpu = growInt32(this.cpu, size);
  }
}

const EMPTY = new Float64Array(0);
