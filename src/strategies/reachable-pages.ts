/**
 * Counts, for exposure only, the distinct guest pages reachable through live mappings when a
 * page can be mapped several times (at several IOVAs): keeps `reachable_bytes` at
 * 4 KiB x distinct pages. Charges nothing.
 */
import { C } from '../metrics/counters.js';
import { PAGE_SIZE } from '../types/event.js';
import { PageCounts } from '../util/page-counts.js';

export class ReachablePages {
  private readonly counts = new PageCounts();

  constructor(private readonly c: Float64Array) {}

  /** One more (delta 1) or one fewer (delta -1) mapping of guest page `gpn`. */
  note(guest: number, gpn: number, delta: number): void {
    const before = this.counts.adjust(guest, gpn, delta);
    const n = before < 0 ? 0 : before;
    if (n === 0 && delta > 0) this.c[C.reachableBytes] += PAGE_SIZE;
    else if (n > 0 && n + delta <= 0) this.c[C.reachableBytes] -= PAGE_SIZE;
  }

  /** `note` for guest pages gpn .. gpn + pages - 1 (a contiguous buffer), in that order. */
  noteRun(guest: number, gpn: number, pages: number, delta: number): void {
    for (let p = 0; p < pages; p++) this.note(guest, gpn + p, delta);
  }
}
