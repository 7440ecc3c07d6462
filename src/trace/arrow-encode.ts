/**
 * Writing the few Arrow IPC messages a trace has (schema, dictionary batch, record batch) without
 * an Arrow library: each message's metadata is a flatbuffer laid out front to back (a table's
 * vtable just before it, what it points to after it: flatbuffers' offsets to tables, vectors and
 * strings point forward, a table's offset to its vtable may point back), then framed as the spec
 * says (0xFFFFFFFF, int32 metadata length, metadata padded to 8 bytes, body of 8-byte-aligned
 * buffers). arrow-reader.ts reads them; so do other Arrow readers (apache-arrow, pyarrow).
 */

/** A flatbuffer value: a scalar of a width, or what a table field points to. */
export type Flat =
  | { k: 'u8' | 'i16' | 'i32' | 'i64'; v: number }
  | { k: 'table'; v: Table }
  | { k: 'tables'; v: Table[] }
  | { k: 'structs'; v: Uint8Array; size: number }
  | { k: 'string'; v: string };
/** A table: its fields by number (absent ones undefined). */
export type Table = (Flat | undefined)[];

const WIDTH = { u8: 1, i16: 2, i32: 4, i64: 8 } as const;

/** The bytes of a flatbuffer whose root is `root`. */
export function flatbuffer(root: Table): Buffer {
  const w = new Writer();
  const at = w.reserve(4, 4);
  w.patchOffset(at, w.table(root));
  return w.bytes();
}

class Writer {
  private buf = Buffer.alloc(1024);
  private end = 0;

  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.end));
  }

  /** `n` zeroed bytes at the next position that is `phase` past a multiple of `align`; their
   * position. */
  reserve(n: number, align: number, phase = 0): number {
    let at = Math.ceil((this.end - phase) / align) * align + phase;
    if (at < this.end) at += align;
    while (this.buf.length < at + n) {
      const bigger = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(bigger);
      this.buf = bigger;
    }
    this.buf.fill(0, this.end, at + n);
    this.end = at + n;
    return at;
  }

  /** A uoffset at `at` pointing forward to `target`. */
  patchOffset(at: number, target: number): void {
    this.buf.writeUInt32LE(target - at, at);
  }

  /** Writes table `t` (its vtable, then it, then what it points to); its position. */
  table(t: Table): number {
    // Inline layout: the vtable offset, then fields largest first (each aligned to its size).
    const inline = t.map((f, index) => ({ f, index })).filter((x) => x.f !== undefined) as { f: Flat; index: number }[];
    const size = (f: Flat) => (f.k === 'u8' || f.k === 'i16' || f.k === 'i32' || f.k === 'i64' ? WIDTH[f.k] : 4);
    inline.sort((a, b) => size(b.f) - size(a.f) || a.index - b.index);
    let tableSize = 4;
    const fieldAt = new Map<number, number>();
    for (const { f, index } of inline) {
      tableSize = Math.ceil(tableSize / size(f)) * size(f);
      fieldAt.set(index, tableSize);
      tableSize += size(f);
    }
    const vtableSize = 4 + 2 * t.length;
    // The table starts 8-aligned (an int64 field then is too); its vtable just before it.
    const vtable = this.reserve(vtableSize, 2);
    const table = this.reserve(tableSize, 8);
    this.buf.writeUInt16LE(vtableSize, vtable);
    this.buf.writeUInt16LE(tableSize, vtable + 2);
    for (const [index, offset] of fieldAt) this.buf.writeUInt16LE(offset, vtable + 4 + 2 * index);
    this.buf.writeInt32LE(table - vtable, table);
    for (const { f, index } of inline) {
      const at = table + fieldAt.get(index)!;
      if (f.k === 'u8') this.buf.writeUInt8(f.v, at);
      else if (f.k === 'i16') this.buf.writeInt16LE(f.v, at);
      else if (f.k === 'i32') this.buf.writeInt32LE(f.v, at);
      else if (f.k === 'i64') this.buf.writeBigInt64LE(BigInt(f.v), at);
    }
    for (const { f, index } of inline) {
      const at = table + fieldAt.get(index)!;
      if (f.k === 'table') this.patchOffset(at, this.table(f.v));
      else if (f.k === 'tables') this.patchOffset(at, this.tables(f.v));
      else if (f.k === 'structs') this.patchOffset(at, this.structs(f.v, f.size));
      else if (f.k === 'string') this.patchOffset(at, this.string(f.v));
    }
    return table;
  }

  private tables(ts: Table[]): number {
    const v = this.reserve(4 + 4 * ts.length, 4);
    this.buf.writeUInt32LE(ts.length, v);
    ts.forEach((t, k) => this.patchOffset(v + 4 + 4 * k, this.table(t)));
    return v;
  }

  /** A vector of structs of `size` bytes: its elements 8-aligned, so its length word is 4
   * past a multiple of 8. */
  private structs(bytes: Uint8Array, size: number): number {
    const v = this.reserve(4 + bytes.length, 8, 4);
    this.buf.writeUInt32LE(bytes.length / size, v);
    this.buf.set(bytes, v + 4);
    return v;
  }

  private string(s: string): number {
    const b = Buffer.from(s, 'utf8');
    const v = this.reserve(4 + b.length + 1, 4);
    this.buf.writeUInt32LE(b.length, v);
    this.buf.set(b, v + 4);
    return v;
  }
}

/** One framed message: continuation, metadata length, metadata padded to 8 bytes, body. */
export function message(metadata: Buffer, body: Buffer[]): Buffer[] {
  const padded = Math.ceil((metadata.length + 8) / 8) * 8 - 8;
  const head = Buffer.alloc(8 + padded);
  head.writeInt32LE(-1, 0);
  head.writeInt32LE(padded, 4);
  metadata.copy(head, 8);
  return [head, ...body];
}

/** The end-of-stream marker. */
export const END_OF_STREAM = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
