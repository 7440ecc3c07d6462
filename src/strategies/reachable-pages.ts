/**
 * Counts, for exposure only, the distinct guest pages reachable through live mappings when a
 * page can be mapped several times (at several IOVAs): keeps `reachable_bytes` at
 * 4 KiB x distinct pages. Charges nothing.
 */
import { C } from '../metrics/counters.js';
import { PAGE_SIZE } from '../types/event.js';
import { TripleKeyMap, hiOf } from '../util/triple-key-map.js';

export class ReachablePages {
  private readonly counts = new TripleKeyMap(1024);

  constructor(private readonly c: Float64Array) {}

  /** One more (delta 1) or one fewer (delta -1) mapping of guest page `gpn`. */
  note(guest: number, gpn: number, delta: number): void {
    const hi = hiOf(gpn);
    const lo = gpn >>> 0;
    const n = this.counts.get(guest, hi, lo);
    const next = (n < 0 ? 0 : n) + delta;
    if (next <= 0) this.counts.delete(guest, hi, lo);
    else this.counts.set(guest, hi, lo, next);
    if (n < 0 && next > 0) this.c[C.reachableBytes] += PAGE_SIZE;
    else if (n > 0 && next <= 0) this.c[C.reachableBytes] -= PAGE_SIZE;
  }
}
