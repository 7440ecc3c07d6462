/**
 * A guest-side table of mapped pages, one entry per (guest, guest page), as the shared and
 * persistent strategies keep it: a count of buffers in flight on the page, the permissions its
 * IOMMU mapping grants, and an LRU list of entries with nothing in flight (for bounded caches).
 * Entries live in growable typed arrays and are recycled through a free list.
 */
import { PageIndex } from '../util/page-index.js';
import { growFloat64, growInt32, growUint8 } from './common.js';
import { C } from '../metrics/counters.js';
import { PAGE_SIZE } from '../types/event.js';
import type { Iommu } from '../model/iommu/iommu.js';
import { MAX_IOVA_PAGES } from '../model/iommu/page-table.js';
import type { Vmm } from '../model/vmm/vmm.js';

export class PageEntries {
  /** (guest, guest page) -> entry. */
  private readonly index = new PageIndex();
  inFlight = new Int32Array(256);
  perms = new Uint8Array(256);
  guest = new Int32Array(256);
  page = new Float64Array(256);
  private prev = new Int32Array(256).fill(-1);
  private next = new Int32Array(256).fill(-1);
  private inLru = new Uint8Array(256);
  /** Least recently used idle entry, and most recently used. */
  lruHead = -1;
  private lruTail = -1;
  private free: number[] = [];
  /** The result of the last lookup. */
  private found = new Int32Array(64);
  private used = 0;
  /** Entries present. */
  size = 0;

  find(guest: number, gpn: number): number {
    return this.index.get(guest, gpn);
  }

  /** Adds an entry (the page must not be present) with nothing in flight. */
  add(guest: number, gpn: number, perms: number): number {
    let e: number;
    if (this.free.length > 0) e = this.free.pop()!;
    else {
      if (this.used === this.inFlight.length) this.grow();
      e = this.used++;
    }
    this.index.set(guest, gpn, e);
    this.inFlight[e] = 0;
    this.perms[e] = perms;
    this.guest[e] = guest;
    this.page[e] = gpn;
    this.inLru[e] = 0;
    this.size++;
    return e;
  }

  remove(e: number): void {
    if (this.inLru[e] === 1) this.unlink(e);
    this.index.delete(this.guest[e], this.page[e]);
    this.free.push(e);
    this.size--;
  }

  /**
   * Looks up the entries of guest pages gpn[0..n) (a DMA's pages) once, for the calls that follow
   * on the same DMA. @returns entry per page (-1 when absent), valid until the next lookup.
   */
  lookup(guest: number, gpn: Float64Array, n: number): Int32Array {
    if (n > this.found.length) this.found = new Int32Array(Math.max(n, this.found.length * 2));
    const found = this.found;
    for (let p = 0; p < n; p++) found[p] = this.find(guest, gpn[p]);
    return found;
  }

  /** How many of the n looked-up pages are not mapped, or mapped without `need`. */
  needsChange(found: Int32Array, n: number, need: number): number {
    let changes = 0;
    for (let p = 0; p < n; p++) {
      const e = found[p];
      if (e < 0 || (this.perms[e] & need) !== need) changes++;
    }
    return changes;
  }

  /**
   * Inside the map hypercall: the VMM checks ownership of every page that needs a new or
   * upgraded mapping. @returns false at the first page the guest does not own, or that lies
   * beyond what the IOMMU can translate at IOVA = guest-physical address (map refused).
   */
  validateChanges(vmm: Vmm, found: Int32Array, guest: number, gpn: Float64Array, n: number, need: number): boolean {
    for (let p = 0; p < n; p++) {
      const e = found[p];
      if ((e < 0 || (this.perms[e] & need) !== need) && (!vmm.validate(guest, gpn[p]) || gpn[p] >= MAX_IOVA_PAGES)) return false;
    }
    return true;
  }

  /**
   * Maps the pages gpn[0..n) that are missing (IOVA = guest-physical address) and adds `need` to
   * those mapped without it (PTE rewrite + page invalidation); `found` (from lookup) gets the new
   * entries. New entries are held (counted in flight) when `holdNew`. A page listed twice (two
   * segments in one page) is mapped once. Counts pages_mapped_new and reachable bytes.
   * @returns whether an invalidation was issued (the caller waits once).
   */
  mapOrUpgrade(iommu: Iommu, vmm: Vmm, c: Float64Array, found: Int32Array, guest: number, gpn: Float64Array, n: number, need: number, holdNew: boolean): boolean {
    let invalidated = false;
    for (let p = 0; p < n; p++) {
      const page = gpn[p];
      let e = found[p];
      if (e < 0) e = this.find(guest, page); // added for an earlier segment of this DMA
      if (e < 0) {
        e = this.add(guest, page, need);
        found[p] = e;
        iommu.mapPage(guest, page, vmm.hostPage(guest, page), need);
        c[C.reachableBytes] += PAGE_SIZE;
        if (holdNew) this.hold(e);
      } else if ((this.perms[e] & need) !== need) {
        found[p] = e;
        this.perms[e] |= need;
        iommu.mapPage(guest, page, vmm.hostPage(guest, page), this.perms[e]);
        iommu.invalidatePage(guest, page);
        invalidated = true;
      } else {
        if (found[p] < 0) {
          found[p] = e;
          if (holdNew) this.hold(e);
        }
        continue;
      }
      c[C.pagesMappedNew]++;
    }
    return invalidated;
  }

  /** Counts one more buffer in flight on entry e, taking it off the idle LRU list. */
  hold(e: number): void {
    if (this.inFlight[e]++ === 0) this.unlink(e);
  }

  /** Puts an idle entry at the most-recently-used end of the LRU list. */
  pushIdle(e: number): void {
    if (this.inLru[e] === 1) this.unlink(e);
    this.prev[e] = this.lruTail;
    this.next[e] = -1;
    if (this.lruTail >= 0) this.next[this.lruTail] = e;
    else this.lruHead = e;
    this.lruTail = e;
    this.inLru[e] = 1;
  }

  /** Takes an entry off the LRU list (it has buffers in flight again). */
  unlink(e: number): void {
    if (this.inLru[e] === 0) return;
    const p = this.prev[e];
    const n = this.next[e];
    if (p >= 0) this.next[p] = n;
    else this.lruHead = n;
    if (n >= 0) this.prev[n] = p;
    else this.lruTail = p;
    this.inLru[e] = 0;
  }

  private grow(): void {
    const n = this.inFlight.length * 2;
    this.inFlight = growInt32(this.inFlight, n);
    this.perms = growUint8(this.perms, n);
    this.guest = growInt32(this.guest, n);
    this.page = growFloat64(this.page, n);
    this.prev = growInt32(this.prev, n, -1);
    this.next = growInt32(this.next, n, -1);
    this.inLru = growUint8(this.inLru, n);
  }
}
