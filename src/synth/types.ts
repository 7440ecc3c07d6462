/**
 * Synthetic workloads: each is a small, documented model of how a real driver uses DMA buffers,
 * producing canonical events in time order from a seeded PRNG.
 */
import type { Rand } from '../util/prng.js';

export interface SynthEvent {
  ts: number;
  guest: number;
  device: string;
  cls: 'net' | 'disk';
  op: 'map' | 'unmap' | 'access';
  dir: 'to_device' | 'from_device';
  /** Guest-physical byte address (below 2^53). */
  addr: number;
  len: number;
  handle: number;
  /** Packet or request id; -1: none. */
  unit: number;
  /** The CPU of the call, for workloads that write the `cpu` column. */
  cpu?: number;
}

export interface Knob {
  name: string;
  default: number;
  unit: string;
  /** Why this default: the driver, spec or measurement it comes from, or the assumption. */
  why: string;
}

/** Shared limits: streams stop posting new buffers when either runs out, then drain. */
export interface Budget {
  mapsLeft: number;
  endTs: number;
}

export interface StreamContext {
  guest: number;
  device: string;
  rand: Rand;
  knobs: Record<string, number>;
  /** Guest-physical region this stream's buffers come from. */
  regionBase: number;
  regionBytes: number;
  /** Handles are handleBase + a counter, unique per device. */
  handleBase: number;
  budget: Budget;
}

export interface Workload {
  id: string;
  summary: string;
  knobs: readonly Knob[];
  /**
   * The event streams of one guest (merged by time with those of other guests). `make` builds a
   * stream's context from a device name, a memory region (0 RX buffers, 1 TX buffers, 2 page
   * cache) and the stream's knobs; `given` are the knobs the user set.
   */
  /** Whether its traces carry the `cpu` column (workloads that model several CPUs). */
  cpuColumn?: boolean;
  streams(guest: number, make: (device: string, region: number, knobs: Record<string, number>) => StreamContext, given: Record<string, number>): Iterator<SynthEvent>[];
}
