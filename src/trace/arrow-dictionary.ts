/**
 * The device names of an Arrow trace: a dictionary batch of utf8 strings (buffers: validity,
 * int32 offsets, bytes). Kept as copies, since a dictionary outlives the message body it came in
 * (batches after it refer to it), and decoded only when asked for: the reader asks once per
 * index per dictionary. A delta batch appends to the dictionary before it.
 */
import type { FieldNode, BufferRegion } from './arrow-batch.js';
import { bufferView } from './arrow-batch.js';

const utf8 = new TextDecoder('utf-8');

/** One piece of a dictionary: the strings of one dictionary batch. */
interface Piece {
  length: number;
  /** null when no value is null */
  validity: Uint8Array | null;
  offsets: Int32Array;
  bytes: Uint8Array;
}

/**
 * A dictionary's pieces and where each starts, shared by a dictionary and the deltas that extend
 * it: a delta appends in place, so n deltas cost n appends (not n copies of a growing list), and a
 * lookup is a binary search over the starts (not a walk over the pieces). A dictionary made
 * before a delta keeps its own `length`, so it never sees the pieces appended after it.
 */
interface Pieces {
  list: Piece[];
  /** Index of each piece's first string. */
  starts: number[];
}

export class DeviceDictionary {
  private constructor(
    private readonly pieces: Pieces,
    /** How many of the shared pieces are this dictionary's (the first ones). */
    private readonly count: number,
    readonly length: number,
  ) {}

  /**
   * The strings of a dictionary batch whose one field is `node` with `buffers` (validity,
   * offsets, bytes) in `body`, appended to `before` for a delta batch. Values read as
   * apache-arrow read them: a null where the validity bit is clear (when the batch says it has
   * nulls), UTF-8 decoded with replacement of bad bytes.
   */
  static from(node: FieldNode, buffers: BufferRegion[], body: Uint8Array, before: DeviceDictionary | null): DeviceDictionary {
    // Views as apache-arrow made them (a misaligned offsets buffer is the RangeError it gave),
    // then copied.
    const none = { offset: 0, length: 0 };
    const validity = bufferView(Uint8Array, Uint8Array, body, buffers[0] ?? none, 1).slice();
    const offsets = bufferView(Int32Array, Int32Array, body, buffers[1] ?? none, 4).slice();
    const piece: Piece = {
      length: node.length,
      validity: node.nullCount > 0 && validity.byteLength > 0 ? validity : null,
      offsets,
      bytes: bufferView(Uint8Array, Uint8Array, body, buffers[2] ?? none, 1).slice(),
    };
    // A delta extends the pieces of the dictionary it follows in place when that dictionary owns
    // them all (the usual case: the reader keeps only the latest of an id), else a copy of its own.
    const start = before?.length ?? 0;
    let pieces: Pieces = { list: [], starts: [] };
    if (before) pieces = before.count === before.pieces.list.length ? before.pieces : { list: before.pieces.list.slice(0, before.count), starts: before.pieces.starts.slice(0, before.count) };
    pieces.list.push(piece);
    pieces.starts.push(start);
    return new DeviceDictionary(pieces, pieces.list.length, start + node.length);
  }

  get(i: number): string | null {
    if (i < 0 || i >= this.length) return null;
    // The last piece starting at or before i.
    const starts = this.pieces.starts;
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    const p = this.pieces.list[lo];
    const k = i - starts[lo];
    if (p.validity && (p.validity[k >> 3] & (1 << (k & 7))) === 0) return null;
    if (k + 1 >= p.offsets.length) return null; // no end offset: no value
    return utf8.decode(p.bytes.subarray(p.offsets[k], p.offsets[k + 1]));
  }
}
