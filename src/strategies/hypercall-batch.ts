/**
 * Hypercall batching, one rule for every strategy that makes hypercalls (single-use, shared,
 * persistent, software): DMAs a driver posts together share one hypercall, as a Xen guest
 * batches hypercalls into multicalls and as CDNA validates a batch of descriptors per call.
 *
 * Models: "posted together" = consecutive DMAs of the same kind (maps with maps, unmaps with
 * unmaps) of one guest and device that share a unit (packet or request) or a timestamp with the
 * DMA before them; any other row ends the batch. One hypercall carries the VMM work of at most
 * `hypercall.batch` DMAs; a DMA that needs no VMM work (a persistent mapping reused) rides along
 * without opening a call. `hypercall.batch` = 1 turns batching off: one hypercall per DMA that
 * needs one.
 * Does not model: the per-entry cost of decoding a multicall (the per-page work inside is
 * charged as without batching).
 * Cost charged: `hypercall` per call, through the VMM.
 */
import type { EventBatch } from '../types/event.js';
import type { Vmm } from '../model/vmm/vmm.js';

export class HypercallBatch {
  private open = false;
  private guest = 0;
  private device = 0;
  private hasUnit = 0;
  private unitHi = 0;
  private unitLo = 0;
  private ts = 0;
  /** Whether the open batch has made its hypercall, and how many DMAs that call carries. */
  private called = false;
  private carried = 0;

  /**
   * @param op the row kind batched (Op.map or Op.unmap)
   * @param limit most DMAs one hypercall carries (hypercall.batch)
   */
  constructor(
    private readonly vmm: Vmm,
    private readonly op: number,
    private readonly limit: number,
  ) {}

  /** Sees row i (every row a strategy replays, in order): it joins the open batch or starts a
   * new one, or, when of another kind, ends the batch. */
  row(b: EventBatch, i: number): void {
    if (b.op[i] !== this.op) {
      this.open = false;
      return;
    }
    const sameUnit = b.hasUnit[i] === 1 && this.hasUnit === 1 && b.unitHi[i] === this.unitHi && b.unitLo[i] === this.unitLo;
    const joins = this.open && b.guest[i] === this.guest && b.device[i] === this.device && (sameUnit || b.ts[i] === this.ts);
    if (!joins) {
      this.open = true;
      this.called = false;
      this.carried = 0;
      this.guest = b.guest[i];
      this.device = b.device[i];
    }
    this.hasUnit = b.hasUnit[i];
    this.unitHi = b.unitHi[i];
    this.unitLo = b.unitLo[i];
    this.ts = b.ts[i];
  }

  /** The current DMA needs VMM work: it rides the batch's hypercall, or opens one. */
  call(): void {
    if (!this.called || this.carried >= this.limit) {
      this.vmm.hypercall();
      this.called = true;
      this.carried = 0;
    }
    this.carried++;
  }
}
