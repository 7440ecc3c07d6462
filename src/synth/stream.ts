/**
 * The shape every synthetic stream shares: buffers are posted (map) at one time and completed
 * (unmap) later; completions wait in a min-heap and are emitted before any post at a later
 * time, so each stream's events come out in time order. `Poster` wraps that.
 */
import { MinHeap } from '../util/min-heap.js';
import type { StreamContext, SynthEvent } from './types.js';

export class Poster {
  private readonly pending = new MinHeap<SynthEvent>();
  private next = 0;

  constructor(private readonly ctx: StreamContext) {}

  /** Whether the shared budget still allows posting at time `ts`. */
  canPost(ts: number): boolean {
    return this.ctx.budget.mapsLeft > 0 && ts < this.ctx.budget.endTs;
  }

  /** A map event (counted against the budget) and its unmap, due at `doneTs`. */
  post(ts: number, doneTs: number, dir: SynthEvent['dir'], cls: SynthEvent['cls'], addr: number, len: number, unit: number): SynthEvent {
    const handle = this.ctx.handleBase + this.next++;
    this.ctx.budget.mapsLeft--;
    const map: SynthEvent = { ts, guest: this.ctx.guest, device: this.ctx.device, cls, op: 'map', dir, addr, len, handle, unit };
    this.pending.push(doneTs, { ...map, ts: doneTs, op: 'unmap' });
    return map;
  }

  /**
   * One scatter-gather DMA (one request): a map row per segment, all with one handle, counted
   * once against the budget, and one unmap due at `doneTs`. Pages given in order; physically
   * contiguous neighbours merge into one segment, as the block layer builds a request's list
   * (blk_rq_map_sg).
   */
  postList(ts: number, doneTs: number, dir: SynthEvent['dir'], cls: SynthEvent['cls'], pageAddrs: readonly number[], pageBytes: number, unit: number): SynthEvent[] {
    const handle = this.ctx.handleBase + this.next++;
    this.ctx.budget.mapsLeft--;
    const rows: SynthEvent[] = [];
    for (const addr of pageAddrs) {
      const last = rows[rows.length - 1];
      if (last !== undefined && last.addr + last.len === addr) last.len += pageBytes;
      else rows.push({ ts, guest: this.ctx.guest, device: this.ctx.device, cls, op: 'map', dir, addr, len: pageBytes, handle, unit });
    }
    this.pending.push(doneTs, { ...rows[0], ts: doneTs, op: 'unmap' });
    return rows;
  }

  /** Completions due at or before `ts`, in time order. */
  *due(ts: number): Generator<SynthEvent> {
    while (this.pending.size > 0 && this.pending.peekKey() <= ts) yield this.pending.pop()!;
  }

  get inFlight(): number {
    return this.pending.size;
  }
}

/** Whole knob values: defaults overridden by the user's, unknown names rejected upstream. */
export function knobValues(defaults: readonly { name: string; default: number }[], given: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of defaults) out[k.name] = given[k.name] ?? k.default;
  return out;
}
