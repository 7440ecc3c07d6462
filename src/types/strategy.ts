/**
 * The strategy plug-in contract. A definition says what a strategy is and protects; `create`
 * allocates all of a run's state up front; the run's `consume` holds the per-event loop.
 */
import type { EventBatch } from './event.js';
import type { ResolvedParams } from '../cost/schema.js';

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
  /** The replay's buffer tracker: strategies size per-slot state to its slot capacity. */
  slots: { readonly slotCapacity: number };
}

export interface StrategyRun {
  /** Counter values, indexed by the ids in metrics/counters.ts. */
  readonly counters: Float64Array;
  /** Replays one batch (rows with op = skip are passed over). */
  consume(batch: EventBatch): void;
  /** Closes time integrals at the trace's last timestamp. */
  finish(endTs: number): void;
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
