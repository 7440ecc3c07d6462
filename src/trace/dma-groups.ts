/**
 * Keeps the rows of one scatter-gather DMA in one batch. The segments of a DMA are consecutive
 * `map` rows with the same guest, device and handle; the buffer tracker and the strategies see a
 * DMA whole at its first row, so the rows that end a batch and may go on in the next one are
 * held back and handed on together with their continuation, as a batch of their own.
 *
 * Costs nothing in the common case: only a batch that ends in a map row is touched, and only
 * that batch's last group of rows is copied. Memory: the held rows (at most MAX_SEGMENTS).
 */
import { EventBatch, Op } from '../types/event.js';

/** Most segments one DMA may have: a longer run of one handle's map rows is handed on in parts
 * (the buffer tracker then reports the rows past the first part). Linux caps a list far lower. */
export const MAX_SEGMENTS = 65536;

/**
 * Re-batches `source` so that no DMA's segment rows are split across two batches. Batches are
 * yielded as the source yields them (reused: valid until the generator resumes), except that the
 * trailing group of map rows of a batch is moved to the next yield.
 */
export async function* alignDmaGroups(source: AsyncIterable<EventBatch>): AsyncGenerator<EventBatch> {
  let held = new EventBatch(16);
  held.length = 0;
  for await (const b of source) {
    let start = 0;
    if (held.length > 0) {
      // Rows at the start of b that continue the held group join it.
      while (start < b.length && held.length < MAX_SEGMENTS && b.continuesMap(held, held.length - 1, start)) {
        held = append(held, b, start);
        start++;
      }
      if (start === b.length && held.length < MAX_SEGMENTS) continue; // the whole batch continues it
      yield held;
      held.length = 0;
      if (start > 0) dropFirst(b, start);
    }
    // The map rows at the end of b that may go on in the next batch.
    let k = b.length - 1;
    if (k >= 0 && b.op[k] === Op.map) {
      while (k > 0 && b.continuesMap(b, k - 1, k)) k--;
    } else k = b.length;
    if (k < b.length) {
      for (let i = k; i < b.length; i++) held = append(held, b, i);
      b.length = k;
    }
    if (b.length > 0) yield b;
  }
  if (held.length > 0) yield held;
}

/** Appends row i of `from` to `to`, growing it when full. */
function append(to: EventBatch, from: EventBatch, i: number): EventBatch {
  let out = to;
  if (out.length === out.capacity) {
    out = new EventBatch(to.capacity * 2);
    for (let r = 0; r < to.length; r++) out.copyRow(to, r, r);
    out.length = to.length;
  }
  out.copyRow(from, i, out.length);
  out.length++;
  return out;
}

/** Removes the first n rows of b, moving the rest down. */
function dropFirst(b: EventBatch, n: number): void {
  for (let r = n; r < b.length; r++) b.copyRow(b, r, r - n);
  b.length -= n;
}
