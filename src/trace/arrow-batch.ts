/**
 * One record batch's columns as typed arrays over its message body, in place: the batch's
 * metadata (Message.fbs `RecordBatch { length, nodes: [FieldNode], buffers: [Buffer],
 * compression }`, a FieldNode being {length, null_count} and a Buffer {offset, length}, all
 * int64) says where in the body each field's buffers lie; fields take nodes and buffers in schema
 * order, depth first (Arrow columnar spec, "Buffer layout"). Bodies are never compressed by a
 * trace writer and are refused when they are.
 */
import { Flat, safeNumber } from './arrow-flat.js';
import { TypeId, type ArrowField, type ArrowType } from './arrow-schema.js';

export interface FieldNode {
  length: number;
  nullCount: number;
}

export interface BufferRegion {
  offset: number;
  length: number;
}

export interface RecordBatchMeta {
  length: number;
  nodes: FieldNode[];
  buffers: BufferRegion[];
  compressed: boolean;
}

/** Metadata versions before V4 (Message.fbs `MetadataVersion`: V1 0 .. V4 3) had a page id
 * before each buffer's offset and length. */
const V4 = 3;

/** The RecordBatch table `t` of `flat`, of a message of metadata `version`. */
export function decodeRecordBatch(flat: Flat, t: number, version: number): RecordBatchMeta {
  const length = safeNumber(flat.i64Field(t, 0));
  const nodes: FieldNode[] = [];
  const nv = flat.vector(t, 1, 16);
  for (let k = 0; k < nv.length; k++) nodes.push({ length: safeNumber(flat.i64(nv.start + 16 * k)), nullCount: safeNumber(flat.i64(nv.start + 16 * k + 8)) });
  const buffers: BufferRegion[] = [];
  const bv = flat.vector(t, 2, 16);
  if (version < V4) {
    // Each entry 8 bytes further on than the one before (its page id passed over), as
    // apache-arrow read them (the last ones past the vector: 0s, see arrow-flat.ts).
    for (let k = 0; k < bv.length; k++) {
      const at = bv.start + 16 * k + 8 * (k + 1);
      buffers.push({ offset: safeNumber(flat.i64(at)), length: safeNumber(flat.i64(at + 8)) });
    }
  } else for (let k = 0; k < bv.length; k++) buffers.push({ offset: safeNumber(flat.i64(bv.start + 16 * k)), length: safeNumber(flat.i64(bv.start + 16 * k + 8)) });
  return { length, nodes, buffers, compressed: flat.field(t, 3) !== 0 };
}

/** Where one top-level field's data lies: its node and its buffers (validity first). */
export interface FieldSlot {
  node: number;
  buffer: number;
}

/**
 * The node and first buffer of each top-level field of `fields`, walking the layout of every
 * type in order (a field's buffers, then its children's). Types a trace never holds and whose
 * layout this walk does not know are refused, naming the column.
 */
export function fieldSlots(fields: ArrowField[]): FieldSlot[] | string {
  const slots: FieldSlot[] = [];
  let node = 0;
  let buffer = 0;
  const walk = (f: ArrowField): string | null => {
    node++;
    const t = f.type;
    if (t.dictionary) {
      buffer += 2;
      return null;
    }
    const own = ownBuffers(t);
    if (own === null) return `column '${f.name}' is of a type this reader does not read (not a dmareplay Arrow trace)`;
    buffer += own;
    for (const c of t.children) {
      const problem = walk(c);
      if (problem) return problem;
    }
    return null;
  };
  for (const f of fields) {
    slots.push({ node, buffer });
    const problem = walk(f);
    if (problem) return problem;
  }
  return slots;
}

/** Buffers a field of type `t` has before its children's, or null for layouts not followed
 * (unions, views, run-end encoding). */
function ownBuffers(t: ArrowType): number | null {
  switch (t.id) {
    case TypeId.NONE:
    case TypeId.Null:
      return 0;
    case TypeId.Int:
    case TypeId.FloatingPoint:
    case TypeId.Bool:
    case TypeId.Decimal:
    case TypeId.Date:
    case TypeId.Time:
    case TypeId.Timestamp:
    case TypeId.Interval:
    case TypeId.Duration:
    case TypeId.FixedSizeBinary:
    case TypeId.List:
    case TypeId.LargeList:
    case TypeId.Map:
      return 2;
    case TypeId.Binary:
    case TypeId.Utf8:
    case TypeId.LargeBinary:
    case TypeId.LargeUtf8:
      return 3;
    case TypeId.Struct:
    case TypeId.FixedSizeList:
      return 1;
    default:
      return null;
  }
}

type ArrayKind = Float64ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Uint8ArrayConstructor | Int8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/** The typed array an integer or float column's values are (apache-arrow's `ArrayType`). */
export function arrayKind(t: ArrowType): ArrayKind {
  if (t.id === TypeId.FloatingPoint) return Float64Array; // the only float a trace column may be
  if (t.bitWidth === 8) return t.signed ? Int8Array : Uint8Array;
  if (t.bitWidth === 16) return t.signed ? Int16Array : Uint16Array;
  if (t.bitWidth === 32) return t.signed ? Int32Array : Uint32Array;
  return t.signed ? BigInt64Array : BigUint64Array;
}

/** An integer or float type of a width Arrow does not have, anywhere in `fields`, as
 * apache-arrow refused it when loading a batch (in its words, which the reader's errors kept). */
export function unknownWidth(fields: ArrowField[]): string | null {
  for (const f of fields) {
    const t = f.type;
    if (t.dictionary && ![8, 16, 32, 64].includes(t.dictionary.indices.bitWidth)) return 'Unrecognized Int type';
    if (t.id === TypeId.Int && ![8, 16, 32, 64].includes(t.bitWidth)) return 'Unrecognized Int type';
    if (t.id === TypeId.FloatingPoint && ![0, 1, 2].includes(t.precision)) return 'Unrecognized Float type';
    const inner = unknownWidth(t.children);
    if (inner) return inner;
  }
  return null;
}

/**
 * Buffer `k`'s bytes as a typed array on `body` (no copy). A region past the body is cut at its
 * end; a start or length not a whole number of values throws the RangeError a typed array gives
 * (the reader's error always said so).
 */
export function bufferView<A>(Kind: new (b: ArrayBufferLike, o: number, n: number) => A, Empty: new (n: number) => A, body: Uint8Array, region: BufferRegion, bytesPerValue: number): A {
  const bytes = body.subarray(region.offset, region.offset + region.length);
  if (bytes.byteLength <= 0) return new Empty(0);
  return new Kind(bytes.buffer, bytes.byteOffset, bytes.byteLength / bytesPerValue);
}
