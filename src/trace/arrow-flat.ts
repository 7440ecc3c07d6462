/**
 * Reading one flatbuffer (an Arrow message's metadata) by table and field number. Only what the
 * trace reader needs (tables, scalars, vectors of structs and tables, strings); the layout rules
 * are those of the flatbuffers binary format (a table starts with an int32 offset back to its
 * vtable; a field's slot in the vtable holds its offset in the table, 0 when absent).
 *
 * A scalar read past the bytes reads 0s, as flatbuffers' own reader (apache-arrow's) read them,
 * so a damaged message decodes to what the reader always made of it (its errors are pinned by
 * tests). Vectors and tables are checked to lie inside the bytes (arrow-metadata-check.ts has
 * checked every message before it is decoded, in the same words), so no loop runs longer than
 * the metadata allows.
 */

export class FlatError extends Error {}

export class Flat {
  constructor(readonly b: Buffer) {}

  /** The root table. */
  root(): number {
    return this.table(0);
  }

  /** The table an offset at `at` points to. */
  table(at: number): number {
    const t = at + this.u32(at);
    const vtable = t - this.i32(t);
    const size = this.u16(vtable);
    if (size < 4 || vtable < 0 || vtable + size > this.b.length) throw new FlatError('a table whose vtable lies outside the metadata');
    return t;
  }

  /** Position of field `index` of table `t`, or 0 when absent. */
  field(t: number, index: number): number {
    const vtable = t - this.i32(t);
    const slot = 4 + 2 * index;
    if (slot + 2 > this.u16(vtable)) return 0;
    const offset = this.u16(vtable + slot);
    return offset === 0 ? 0 : t + offset;
  }

  /** The table field `index` of `t` points to, or 0 when absent. */
  child(t: number, index: number): number {
    const at = this.field(t, index);
    return at === 0 ? 0 : this.table(at);
  }

  u8Field(t: number, index: number, otherwise = 0): number {
    const at = this.field(t, index);
    return at === 0 ? otherwise : this.u8(at);
  }

  i16Field(t: number, index: number, otherwise = 0): number {
    const at = this.field(t, index);
    return at === 0 ? otherwise : this.i16(at);
  }

  i32Field(t: number, index: number, otherwise = 0): number {
    const at = this.field(t, index);
    return at === 0 ? otherwise : this.i32(at);
  }

  i64Field(t: number, index: number): bigint {
    const at = this.field(t, index);
    return at === 0 ? 0n : this.i64(at);
  }

  /** A vector field: its first element and length, checked to lie inside the bytes. */
  vector(t: number, index: number, elementSize: number): { start: number; length: number } {
    const at = this.field(t, index);
    if (at === 0) return { start: 0, length: 0 };
    const v = at + this.u32(at);
    const length = this.u32(v);
    if (v < 0 || v + 4 + length * elementSize > this.b.length) throw new FlatError(`a vector of ${length} elements past the end of the metadata`);
    return { start: v + 4, length };
  }

  /** A string field as UTF-8 text, or null when absent. */
  string(t: number, index: number): string | null {
    const at = this.field(t, index);
    if (at === 0) return null;
    const v = this.vector(t, index, 1);
    return this.b.toString('utf8', v.start, v.start + v.length);
  }

  /** The tables of a vector-of-tables field (none when absent). */
  tables(t: number, index: number): number[] {
    const v = this.vector(t, index, 4);
    const out: number[] = [];
    for (let k = 0; k < v.length; k++) out.push(this.table(v.start + 4 * k));
    return out;
  }

  /** Byte `k`, 0 past the ends (see the header). */
  private byte(k: number): number {
    return k >= 0 && k < this.b.length ? this.b[k] : 0;
  }

  private inside(at: number, bytes: number): boolean {
    return at >= 0 && at + bytes <= this.b.length;
  }

  u8(at: number): number {
    return this.byte(at);
  }

  u16(at: number): number {
    return this.inside(at, 2) ? this.b.readUInt16LE(at) : this.byte(at) | (this.byte(at + 1) << 8);
  }

  i16(at: number): number {
    return (this.u16(at) << 16) >> 16;
  }

  i32(at: number): number {
    return this.inside(at, 4) ? this.b.readInt32LE(at) : this.byte(at) | (this.byte(at + 1) << 8) | (this.byte(at + 2) << 16) | (this.byte(at + 3) << 24);
  }

  u32(at: number): number {
    return this.i32(at) >>> 0;
  }

  i64(at: number): bigint {
    return this.inside(at, 8) ? this.b.readBigInt64LE(at) : BigInt.asIntN(64, (BigInt(this.u32(at + 4)) << 32n) | BigInt(this.u32(at)));
  }
}

/** An int64 as a number, refused (in apache-arrow's words, which the reader's errors kept)
 * when it is not exact in a float64. */
export function safeNumber(v: bigint): number {
  if (v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FlatError(`${v} is not safe to convert to a number.`);
  return Number(v);
}
