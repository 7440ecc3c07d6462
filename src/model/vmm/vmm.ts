/**
 * The VMM as the strategies see it: who owns each guest page and where it lives in host memory,
 * hypercalls, ownership checks and page references (pins).
 *
 * Models: each guest owns guest-physical pages [0, guest.memory_mib); guest g's memory lies
 * contiguously in host memory (host page = g * guestPages + gpn, so guests whose size is a
 * multiple of 1 GiB start 1 GiB-aligned, as superpages need) and the VMM's own memory lies above
 * every possible guest (host pages from MAX_GUESTS * guestPages); every translation is exactly
 * checkable. Per host page reference counts (pins) keep a page from being reassigned while a
 * device uses it; a page can be reassigned to another guest when it has none.
 * A guest-physical page number beyond the guest's memory names, physically, another guest's page
 * (or the VMM's): that is what an unchecked device reaches there.
 * Does not model: ballooning, page sharing, the P2M table's own cost, scheduling.
 * Cost charged: `hypercall` per call (hypercall.cycles), `validate` per page checked
 * (validate.page_cycles), `refcount` per pin or unpin (refcount.update_cycles).
 */
import { C } from '../../metrics/counters.js';
import type { ResolvedParams } from '../../cost/schema.js';
import { MAX_GUESTS, PAGE_SIZE } from '../../types/event.js';
import { PageCounts } from '../../util/page-counts.js';

/** Host pages kept by the VMM itself (64 MiB): the target of "DMA into the VMM" attacks. */
export const VMM_PAGES = (64 * 1024 * 1024) / PAGE_SIZE;

export class Vmm {
  readonly guestPages: number;
  private readonly hypercallCycles: number;
  private readonly validateCycles: number;
  private readonly refcountCycles: number;
  /** Host page -> reference count, only pages with a count > 0. */
  private readonly pins = new PageCounts();

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

  /**
   * The host page guest page `gpn` of `guest` lies on; beyond the guest's memory this is the
   * page physically there (another guest's, or the VMM's).
   */
  hostPage(guest: number, gpn: number): number {
    return guest * this.guestPages + gpn;
  }

  /** First host page of the VMM's own memory. */
  get vmmBasePage(): number {
    return MAX_GUESTS * this.guestPages;
  }

  /** Who owns a host page: a guest id, or -1 for the VMM (or unowned memory). */
  hostOwner(hostPage: number): number {
    const g = Math.floor(hostPage / this.guestPages);
    return g < MAX_GUESTS ? g : -1;
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
    this.pins.adjust(0, hostPage, 1);
    this.chargeRefcount();
  }

  /** Drops a reference on a host page. */
  unpin(hostPage: number): void {
    this.pins.adjust(0, hostPage, -1);
    this.chargeRefcount();
  }

  /** References held on a host page (0 when free to reassign). */
  pinCount(hostPage: number): number {
    return this.pins.get(0, hostPage);
  }

  /** Charges one reference-count update done outside the VMM's pin table (guest-side). */
  chargeRefcount(): void {
    this.c[C.refcountUpdates]++;
    this.c[C.cycRefcount] += this.refcountCycles;
  }
}
