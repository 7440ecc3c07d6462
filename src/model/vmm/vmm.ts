/**
 * The VMM as the strategies see it: who owns each guest page and where it lives in host memory,
 * hypercalls, ownership checks and page references (pins).
 *
 * Models: a guest owns every page of its 52-bit guest-physical space (ownership is sparse: RAM
 * above the 4 GiB PCI hole, or at 64-128 GiB in a large VM, is as much the guest's as RAM at
 * 0); `guest.memory_mib` is only the size of its RAM, for strategies that map all of it
 * (direct-map) or place their own buffers in it (shadow). Guest g's space lies in host memory at
 * host page g * 2^40 + gpn, so every translation is exactly checkable, and the VMM's own memory
 * lies above every possible guest (host pages from MAX_GUESTS * 2^40). A page another guest or
 * the VMM owns is named by its host page: a guest-physical page number at or beyond 2^40 is not
 * the guest's (what an unchecked device reaches there is another guest's page, or the VMM's).
 * Per host page reference counts (pins) keep a page from being reassigned while a device uses
 * it; a page can be reassigned to another guest when it has none.
 * Does not model: ballooning, page sharing, the P2M table's own cost, scheduling.
 * Cost charged: `hypercall` per call (hypercall.cycles), `validate` per page checked
 * (validate.page_cycles), `refcount` per pin or unpin (refcount.update_cycles).
 */
import { C } from '../../metrics/counters.js';
import type { ResolvedParams } from '../../cost/schema.js';
import { GUEST_SPACE_PAGES, MAX_GUESTS, PAGE_SIZE } from '../../types/event.js';
import { PageCounts } from '../../util/page-counts.js';

/** Host pages kept by the VMM itself (64 MiB): the target of "DMA into the VMM" attacks. */
export const VMM_PAGES = (64 * 1024 * 1024) / PAGE_SIZE;

/** First host page of the VMM's own memory, above every possible guest's space. */
export const VMM_BASE_PAGE = MAX_GUESTS * GUEST_SPACE_PAGES;

export class Vmm {
  /** Pages of RAM of each guest (guest.memory_mib): what direct-map maps at guest start. */
  readonly ramPages: number;
  private readonly hypercallCycles: number;
  private readonly validateCycles: number;
  private readonly refcountCycles: number;
  /** Host page -> reference count, only pages with a count > 0. */
  private readonly pins = new PageCounts();

  constructor(
    private readonly c: Float64Array,
    params: ResolvedParams,
  ) {
    this.ramPages = params['guest.memory_mib'] * (1024 * 1024 / PAGE_SIZE);
    this.hypercallCycles = params['hypercall.cycles'];
    this.validateCycles = params['validate.page_cycles'];
    this.refcountCycles = params['refcount.update_cycles'];
  }

  /** Bytes of RAM of one guest. */
  get ramBytes(): number {
    return this.ramPages * PAGE_SIZE;
  }

  /** Whether guest-physical page `gpn` belongs to `guest` (no cost: see validate). */
  owns(guest: number, gpn: number): boolean {
    return gpn >= 0 && gpn < GUEST_SPACE_PAGES && guest >= 0;
  }

  /**
   * The host page guest page `gpn` of `guest` lies on; at or beyond 2^40 this is the page
   * physically there (another guest's, or the VMM's).
   */
  hostPage(guest: number, gpn: number): number {
    return guest * GUEST_SPACE_PAGES + gpn;
  }

  /** Who owns a host page: a guest id, or -1 for the VMM (or unowned memory). */
  hostOwner(hostPage: number): number {
    const g = Math.floor(hostPage / GUEST_SPACE_PAGES);
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

  /** Takes a reference on guest page `gpn` of `guest` (on the host page it lies on). */
  pin(guest: number, gpn: number): void {
    this.pins.adjust(guest, gpn, 1);
    this.chargeRefcount();
  }

  /** Drops a reference on guest page `gpn` of `guest`. */
  unpin(guest: number, gpn: number): void {
    this.pins.adjust(guest, gpn, -1);
    this.chargeRefcount();
  }

  /** References held on guest page `gpn` of `guest` (0 when free to reassign). */
  pinCount(guest: number, gpn: number): number {
    return this.pins.get(guest, gpn);
  }

  /** Charges one reference-count update done outside the VMM's pin table (guest-side). */
  chargeRefcount(): void {
    this.c[C.refcountUpdates]++;
    this.c[C.cycRefcount] += this.refcountCycles;
  }
}
