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

export class DeviceDictionary {
  private constructor(
    private readonly pieces: Piece[],
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
    const pieces = before ? [...before.pieces, piece] : [piece];
    return new DeviceDictionary(pieces, (before?.length ?? 0) + node.length);
  }

  get(i: number): string | null {
    for (const p of this.pieces) {
      if (i < p.length) {
        if (p.validity && (p.validity[i >> 3] & (1 << (i & 7))) === 0) return null;
        if (i + 1 >= p.offsets.length) return null; // no end offset: no value
        return utf8.decode(p.bytes.subarray(p.offsets[i], p.offsets[i + 1]));
      }
      i -= p.length;
    }
    return null;
  }
}
