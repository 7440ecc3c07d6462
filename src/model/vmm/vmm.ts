/**
 * The VMM as the strategies see it: who owns each guest page and where it lives in host memory,
 * hypercalls, ownership checks and page references (pins).
 *
 * Models: each guest owns guest-physical pages [0, guest.memory_mib); the VMM keeps its own
 * memory at host pages [0, VMM_PAGES) and places guest g's memory contiguously after it (host
 * page = VMM_PAGES + g * guestPages + gpn), so every translation is exactly checkable; per host
 * page reference counts (pins) that keep a page from being reassigned while a device uses it.
 * Does not model: ballooning, page sharing, the P2M table's own cost, scheduling.
 * Cost charged: `hypercall` per call (hypercall.cycles), `validate` per page checked
 * (validate.page_cycles), `refcount` per pin or unpin (refcount.update_cycles).
 */
import { C } from '../../metrics/counters.js';
import type { ResolvedParams } from '../../cost/schema.js';
import { PAGE_SIZE } from '../../types/event.js';
import { TripleKeyMap, hiOf } from '../../util/triple-key-map.js';

/**
 * Host pages kept by the VMM itself (1 GiB): the target of "DMA into the VMM" attacks. 1 GiB so
 * that guests whose size is a multiple of 1 GiB start 1 GiB-aligned in host memory, as
 * superpage mappings need.
 */
export const VMM_PAGES = (1024 * 1024 * 1024) / PAGE_SIZE;

export class Vmm {
  readonly guestPages: number;
  private readonly hypercallCycles: number;
  private readonly validateCycles: number;
  private readonly refcountCycles: number;
  /** Host page -> reference count, only pages with a count > 0. */
  private readonly pins = new TripleKeyMap(1024);

  constructor(
    private readonly c: Float64Array,
    params: ResolvedParams,
  ) {
    this.guestPages = params['guest.memory_mib'] * (1024 * 1024 / PAGE_SIZE);
    this.hypercallCycles = params['hypercall.cycles'];
    this.validateCycles = params['validate.page_cycles'];
    this.refcountCycles = params['refcount.update_cycles'];
  }

  /** Bytes of memory of one guest. */
  get guestBytes(): number {
    return this.guestPages * PAGE_SIZE;
  }

  /** Whether guest-physical page `gpn` belongs to `guest` (no cost: see validate). */
  owns(guest: number, gpn: number): boolean {
    return gpn >= 0 && gpn < this.guestPages && guest >= 0;
  }

  /** The host page backing guest page `gpn` of `guest` (the guest must own it). */
  hostPage(guest: number, gpn: number): number {
    return VMM_PAGES + guest * this.guestPages + gpn;
  }

  /** Charges one hypercall round trip. */
  hypercall(): void {
    this.c[C.hypercalls]++;
    this.c[C.cycHypercall] += this.hypercallCycles;
  }

  /** The VMM checks that `guest` owns `gpn`; charged whatever the answer. */
  validate(guest: number, gpn: number): boolean {
    this.c[C.validations]++;
    this.c[C.cycValidate] += this.validateCycles;
    return this.owns(guest, gpn);
  }

  /** Takes a reference on a host page. */
  pin(hostPage: number): void {
    const hi = hiOf(hostPage);
    const n = this.pins.get(0, hi, hostPage >>> 0);
    this.pins.set(0, hi, hostPage >>> 0, n < 0 ? 1 : n + 1);
    this.chargeRefcount();
  }

  /** Drops a reference on a host page. */
  unpin(hostPage: number): void {
    const hi = hiOf(hostPage);
    const n = this.pins.get(0, hi, hostPage >>> 0);
    if (n <= 1) this.pins.delete(0, hi, hostPage >>> 0);
    else this.pins.set(0, hi, hostPage >>> 0, n - 1);
    this.chargeRefcount();
  }

  /** References held on a host page (0 when free to reassign). */
  pinCount(hostPage: number): number {
    const n = this.pins.get(0, hiOf(hostPage), hostPage >>> 0);
    return n < 0 ? 0 : n;
  }

  /** Charges one reference-count update done outside the VMM's pin table (guest-side). */
  chargeRefcount(): void {
    this.c[C.refcountUpdates]++;
    this.c[C.cycRefcount] += this.refcountCycles;
  }
}
