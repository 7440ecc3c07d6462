/**
 * Pieces every strategy run shares: driver charges, in-flight accounting, guest bookkeeping and
 * growable per-slot arrays. Plain functions, so each strategy's own loop stays monomorphic.
 */
import { C } from '../metrics/counters.js';
import { GUEST_SPACE_PAGES, MAX_GUESTS, type EventBatch } from '../types/event.js';
import type { ResolvedParams } from '../cost/schema.js';
import type { Iommu } from '../model/iommu/iommu.js';
import type { AttackProbe, StrategyContext } from '../types/strategy.js';
import type { SgList } from '../model/device/sg-list.js';

/**
 * Whether a run uses its readable reference loop rather than its flat fast loop: the context's
 * `reference` option, else the environment variable DMAREPLAY_REFERENCE=1 (so worker threads
 * and child processes follow it too). Both loops give identical counters (a test holds them
 * equal); the reference is the one to read, and the truth where they could differ.
 */
export function useReferenceLoop(ctx: StrategyContext): boolean {
  return ctx.reference ?? (typeof process !== 'undefined' && process.env.DMAREPLAY_REFERENCE === '1');
}

export interface DriverCosts {
  map: number;
  unmap: number;
}

export function driverCosts(params: ResolvedParams): DriverCosts {
  return { map: params['driver.map_cycles'], unmap: params['driver.unmap_cycles'] };
}

/** The driver hands a buffer of `len` bytes to its device. */
export function chargeMap(c: Float64Array, d: DriverCosts, len: number): void {
  c[C.maps]++;
  c[C.cycDriver] += d.map;
  c[C.inFlightBytes] += len;
}

/**
 * The map of a DMA of `len` bytes, at trace line `line`, was refused (after `chargeMap`):
 * counted (with the first such line, for the warning), and its bytes are not in flight, since the
 * device cannot reach them (exposure is what is reachable beyond the buffers in flight).
 */
export function refuseMap(c: Float64Array, len: number, line: number): void {
  if (c[C.mapsRejected]++ === 0) c[C.firstRejectedLine] = line;
  c[C.inFlightBytes] -= len;
}

/** The driver takes a buffer of `len` bytes back from its device (`refused`: its map was). */
export function chargeUnmap(c: Float64Array, d: DriverCosts, len: number, refused = false): void {
  c[C.unmaps]++;
  c[C.cycDriver] += d.unmap;
  if (!refused) c[C.inFlightBytes] -= len;
}

/** Remembers which guests have appeared; returns true the first time a guest is seen. */
export class GuestSet {
  private readonly seen = new Uint8Array(MAX_GUESTS);
  count = 0;

  add(guest: number): boolean {
    if (this.seen[guest] === 1) return false;
    this.seen[guest] = 1;
    this.count++;
    return true;
  }
}

/** A probe for runs whose devices reach memory without translation or with nothing to undo. */
export function fixedProbe(iommu: Iommu | null, devicePage: (slot: number) => number, reassign: (guest: number, gpn: number) => boolean = () => true): AttackProbe {
  return { iommu, devicePage, reassign, restore: () => {} };
}

/**
 * The device page of a buffer when the device addresses guest-physical pages (IOVA = GPA, or
 * no IOMMU): the buffer's first guest page, or -1 when its map was refused. `refused` is read
 * at each call because runs replace their per-slot arrays as they grow.
 */
export function guestPageOfSlot(refused: () => Uint8Array, slots: StrategyContext['slots']): (slot: number) => number {
  return (slot) => (refused()[slot] === 1 ? -1 : slots.pageOfSlot(slot));
}

export { growFloat64, growInt32, growUint8 } from '../util/grow.js';

/**
 * The IOVA page an explicit access to guest page `gpn` of the live DMA in `slot` goes to, when
 * the DMA's pages were packed into one IOVA range from `firstIova`: the packed index of that page
 * (its first occurrence), or the DMA's first IOVA page plus the distance from its first guest page
 * when the access lies outside the DMA (the device names an address near the buffer).
 */
export function iovaOfAccess(slots: StrategyContext['slots'], slot: number, sg: SgList, gpn: number, firstIova: number): number {
  sg.clear();
  slots.segmentsOf(slot, sg);
  const k = sg.indexOf(gpn);
  return firstIova + (k >= 0 ? k : gpn - sg.page[0]);
}

/**
 * Whether the map at row i of `b`, spanning `pages` pages, is the flat loops' common case: one
 * segment, of pages the guest owns. Anything else (a scatter-gather list, or a page outside the
 * guest's space, which the VMM refuses) goes to a strategy's reference methods.
 */
export function isPlainMap(b: EventBatch, i: number, pages: number): boolean {
  const gpn = b.page[i];
  return !(b.segs[i] > 1 || b.guest[i] < 0 || gpn < 0 || gpn + pages > GUEST_SPACE_PAGES);
}
