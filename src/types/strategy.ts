/**
 * The strategy plug-in contract. A definition says what a strategy is and protects; `create`
 * allocates all of a run's state up front; the run's `consume` holds the per-event loop.
 */
import type { EventBatch } from './event.js';
import type { ResolvedParams } from '../cost/schema.js';
import type { Iommu } from '../model/iommu/iommu.js';
import type { SegmentSource } from '../model/device/sg-list.js';

export interface Protection {
  /** Another guest's memory cannot be reached by this guest's driver or device. */
  interGuest: 'full' | 'driver-only' | 'none';
  /** What of the guest's own memory, beyond buffers in flight, its device cannot reach. */
  intraGuest: 'byte' | 'page' | 'never-used-pages' | 'none';
  /** Whether the checks also stop a misbehaving device (IOMMU), or only a misbehaving driver. */
  enforcedOnDevice: boolean;
  /** One line on what is and is not protected. */
  note: string;
}

export interface StrategyContext {
  params: ResolvedParams;
  /** The replay's buffer tracker: strategies size per-slot state to its slot capacity, and read
   * the segments of scatter-gather DMAs from it. */
  slots: SegmentSource & { readonly slotCapacity: number; pageOfSlot(slot: number): number };
  /**
   * Run the readable reference loops instead of the flat fast loops (same counters, slower).
   * Default: the environment variable DMAREPLAY_REFERENCE=1 (strategies/common.ts).
   */
  reference?: boolean;
}

/**
 * What attack evaluation (src/protection/) needs to see of a run: where a device's DMA for a
 * buffer goes, which IOMMU (if any) it goes through, and how the run reacts when the VMM takes a
 * page away from a guest.
 */
export interface AttackProbe {
  /** The page a device addresses for the first page of the buffer in `slot` (IOVA, shadow or
   * guest-physical page), or -1 when the buffer was refused. Valid until the slot's unmap. */
  devicePage(slot: number): number;
  /** The IOMMU the device's DMA goes through; null for physical DMA. */
  readonly iommu: Iommu | null;
  /** The VMM reassigns guest page `gpn` of `guest` to another guest. Returns false when it
   * refuses (the page is pinned). */
  reassign(guest: number, gpn: number): boolean;
  /** Undoes a reassignment (so one injection does not disturb the next). */
  restore(guest: number, gpn: number): void;
}

export interface StrategyRun {
  /** Counter values, indexed by the ids in metrics/counters.ts. */
  readonly counters: Float64Array;
  /** Cycles per DMA and per device, when the run keeps them (every bundled strategy does). */
  readonly costs?: import('../metrics/dma-costs.js').DmaCosts;
  /** Replays one batch (rows with op = skip are passed over). */
  consume(batch: EventBatch): void;
  /** Closes time integrals at the trace's last timestamp. */
  finish(endTs: number): void;
  /** The run as attack evaluation sees it. */
  probe(): AttackProbe;
}

export interface StrategyDefinition {
  id: string;
  summary: string;
  /** From the 2008 study (true) or beyond it. */
  fromPaper: boolean;
  /** Whether the strategy creates IOMMU mappings per DMA (so a reuse rate is defined). */
  hasMappings: boolean;
  protection: Protection;
  create(ctx: StrategyContext): StrategyRun;
}
