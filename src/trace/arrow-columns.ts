/**
 * The columns of an Arrow trace (the writer's, arrow-trace.ts) found in a record batch and taken
 * as typed arrays over its body, in place, after the checks the reader always made, in the same
 * order and words: each column present by name, of its type, with no nulls and a value per row;
 * the device column with a dictionary.
 */
import { InputError } from '../util/errors.js';
import { arrayKind, bufferView, fieldSlots, unknownWidth, type FieldNode, type FieldSlot, type RecordBatchMeta } from './arrow-batch.js';
import type { DeviceDictionary } from './arrow-dictionary.js';
import { float64Type, intType, sameType, TypeId, typeName, type ArrowField, type ArrowType } from './arrow-schema.js';

/** A record batch's columns as typed arrays, each checked to be of its type and long enough. */
export interface ArrowColumns {
  ts: Float64Array;
  guest: Int32Array;
  device: ArrayLike<number>;
  dictionary: DeviceDictionary;
  cls: Uint8Array;
  op: Uint8Array;
  dir: Uint8Array;
  page: Float64Array;
  offset: Int32Array;
  len: Float64Array;
  hasHandle: Uint8Array;
  handleHi: Uint32Array;
  handleLo: Uint32Array;
  hasUnit: Uint8Array;
  unitHi: Uint32Array;
  unitLo: Uint32Array;
  /** null for files written before the `cpu` column: every row's CPU is 0. */
  cpu: Int32Array | null;
}

/** The columns in the order the reader checks them (device first), with their types. */
const EXPECTED: [string, ArrowType][] = [
  ['device', intType(32, true)],
  ['ts_ns', float64Type()],
  ['guest', intType(32, true)],
  ['class', intType(8, false)],
  ['op', intType(8, false)],
  ['dir', intType(8, false)],
  ['page', float64Type()],
  ['offset', intType(32, true)],
  ['len', float64Type()],
  ['has_handle', intType(8, false)],
  ['handle_hi', intType(32, false)],
  ['handle_lo', intType(32, false)],
  ['has_unit', intType(8, false)],
  ['unit_hi', intType(32, false)],
  ['unit_lo', intType(32, false)],
  ['cpu', intType(32, true)],
];
const EXPECTED_TYPE = new Map(EXPECTED);
const DEVICE_TYPE_NAME = 'Dictionary<Int32, Utf8>';

/** A problem with the bytes that the reader reports as `not an Arrow IPC stream (reason)`. */
export class BatchLoadError extends Error {}

/** A trace schema, looked at once for all its batches. */
export class TraceSchema {
  /** Field index of each expected column, -1 when absent. */
  private readonly index: Map<string, number>;
  private readonly slots: FieldSlot[] | string;
  private readonly unknown: string | null;

  constructor(
    private readonly path: string,
    readonly fields: ArrowField[],
  ) {
    this.index = new Map(EXPECTED.map(([name]) => [name, fields.findIndex((f) => f.name === name)]));
    this.slots = fieldSlots(fields);
    this.unknown = unknownWidth(fields);
  }

  /** Throws why column `name` is absent (but for the optional `cpu`) or of another type, or
   * returns its field index (-1 for no `cpu`). */
  private checkType(name: string, expected: ArrowType): number {
    const k = this.index.get(name)!;
    if (k < 0) {
      if (name === 'cpu') return -1; // optional: files written before it read as CPU 0
      throw new InputError(`${this.path}: no column '${name}' (not a dmareplay Arrow trace)`);
    }
    const t = this.fields[k].type;
    // Device indices of up to 32 bits: 64-bit ones would arrive as BigInts the row checks cannot
    // use (no trace has 2^32 devices).
    const ok = name === 'device' ? t.dictionary !== null && t.id === TypeId.Utf8 && t.dictionary.indices.bitWidth <= 32 : sameType(t, expected);
    if (!ok) throw new InputError(`${this.path}: column '${name}' is ${typeName(t)}, not ${name === 'device' ? DEVICE_TYPE_NAME : typeName(expected)} (not a dmareplay Arrow trace)`);
    return k;
  }

  /** Throws what is wrong with a schema that no record batch follows: a batch of no rows was
   * checked then (the columns' types, and widths Arrow does not have). */
  checkEmpty(): void {
    if (this.unknown) throw new BatchLoadError(this.unknown);
    for (const [name, expected] of EXPECTED) this.checkType(name, expected);
  }

  /** The columns of a batch of `meta` over `body`, with the device dictionaries read so far. */
  columns(meta: RecordBatchMeta, body: Uint8Array, dictionaries: Map<number, DeviceDictionary>): ArrowColumns {
    if (this.unknown) throw new BatchLoadError(this.unknown);
    if (typeof this.slots === 'string') throw new InputError(`${this.path}: ${this.slots}`);
    if (meta.compressed) throw new InputError(`${this.path}: a compressed Arrow record batch (a trace's batches are written uncompressed; write it without compression)`);
    const n = meta.length;
    const slots = this.slots;
    // Every column's values first, in schema order, as a batch was loaded whole before its
    // columns were checked: a region not a whole number of values fails here.
    const values = new Map<string, ArrayLike<number>>();
    const order = EXPECTED.filter(([name]) => this.index.get(name)! >= 0).sort((a, b) => this.index.get(a[0])! - this.index.get(b[0])!);
    for (const [name] of order) {
      const k = this.index.get(name)!;
      const region = meta.buffers[slots[k].buffer + 1];
      if (meta.nodes[slots[k].node] === undefined || region === undefined) throw new BatchLoadError(`a record batch with fewer field nodes or buffers than its schema has columns`);
      const t = this.fields[k].type;
      // Columns of other types are refused by their type below.
      if (!(t.dictionary !== null || t.id === TypeId.Int || (t.id === TypeId.FloatingPoint && t.precision === 2))) continue;
      const Kind = arrayKind(t.dictionary ? t.dictionary.indices : t);
      try {
        values.set(name, bufferView(Kind as Float64ArrayConstructor, Kind as Float64ArrayConstructor, body, region, Kind.BYTES_PER_ELEMENT));
      } catch (e) {
        if (e instanceof RangeError) throw new BatchLoadError(e.message);
        throw e;
      }
    }
    // Then each column in turn: present, of its type, a value in every row.
    const col = (name: string) => {
      const k = this.checkType(name, EXPECTED_TYPE.get(name)!);
      if (k < 0) return null;
      const v = values.get(name)!;
      if (nullCount(meta.nodes[slots[k].node], n) > 0 || v.length < n) throw new InputError(`${this.path}: column '${name}' has missing values (not a dmareplay Arrow trace)`);
      return v;
    };
    const device = col('device')!;
    const dictionary = dictionaries.get(this.fields[this.index.get('device')!].type.dictionary!.id);
    if (!dictionary) throw new InputError(`${this.path}: column 'device' has no dictionary (not a dmareplay Arrow trace)`);
    return {
      ts: col('ts_ns') as Float64Array,
      guest: col('guest') as Int32Array,
      device,
      dictionary,
      cls: col('class') as Uint8Array,
      op: col('op') as Uint8Array,
      dir: col('dir') as Uint8Array,
      page: col('page') as Float64Array,
      offset: col('offset') as Int32Array,
      len: col('len') as Float64Array,
      hasHandle: col('has_handle') as Uint8Array,
      handleHi: col('handle_hi') as Uint32Array,
      handleLo: col('handle_lo') as Uint32Array,
      hasUnit: col('has_unit') as Uint8Array,
      unitHi: col('unit_hi') as Uint32Array,
      unitLo: col('unit_lo') as Uint32Array,
      cpu: col('cpu') as Int32Array | null,
    };
  }
}

/**
 * A column's nulls as the reader always counted them (apache-arrow's): a column whose node is
 * longer or shorter than its batch is resized to the batch, the rows it lacks null, and its
 * nulls then counted again from the resized validity bits (with apache-arrow's int32
 * arithmetic, so that a corrupted length gives the answer it always gave).
 */
function nullCount(node: FieldNode, n: number): number {
  if (node.length === n) return node.nullCount;
  const resized = node.nullCount + (n - node.length);
  if (resized > -1) return resized;
  if (node.nullCount > 0) return 1; // its own nulls, moved: some remain
  const len = node.length;
  const bits = new Uint8Array(((n + 63) & ~63) >> 3).fill(255, 0, len >> 3);
  bits[len >> 3] = (1 << (len - (len & ~7))) - 1;
  let valid = 0;
  for (let i = 0; i < n; i++) valid += (bits[i >> 3] >> (i & 7)) & 1;
  return n - valid;
}
