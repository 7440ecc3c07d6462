/**
 * The schema message of an Arrow trace, decoded from its flatbuffer (Arrow format/Schema.fbs):
 * each field's name and type, enough to check a trace's columns, to say what a wrong one is in
 * the words the reader always used (apache-arrow's type names: `Float64`, `Uint8`,
 * `Dictionary<Int32, Utf8>`), and to walk a record batch's field nodes and buffers in order.
 *
 *   Schema { endianness, fields: [Field], custom_metadata, features }
 *   Field { name, nullable, type_type, type, dictionary: DictionaryEncoding, children: [Field], custom_metadata }
 *   DictionaryEncoding { id: long, indexType: Int, isOrdered, dictionaryKind }
 *   Int { bitWidth: int, is_signed: bool }   FloatingPoint { precision: short (0 half, 1 single, 2 double) }
 */
import { Flat, FlatError, safeNumber } from './arrow-flat.js';

/** Arrow's type ids (the `Type` union of Schema.fbs). */
export const TypeId = {
  NONE: 0, Null: 1, Int: 2, FloatingPoint: 3, Binary: 4, Utf8: 5, Bool: 6, Decimal: 7, Date: 8, Time: 9, Timestamp: 10, Interval: 11,
  List: 12, Struct: 13, Union: 14, FixedSizeBinary: 15, FixedSizeList: 16, Map: 17, Duration: 18, LargeBinary: 19, LargeUtf8: 20,
  LargeList: 21, RunEndEncoded: 22, BinaryView: 23, Utf8View: 24, ListView: 25, LargeListView: 26,
} as const;

/** The names apache-arrow gives type ids in its errors (`Unrecognized type: "..."`). */
const ID_NAMES = ['NONE', 'Null', 'Int', 'Float', 'Binary', 'Utf8', 'Bool', 'Decimal', 'Date', 'Time', 'Timestamp', 'Interval', 'List', 'Struct', 'Union', 'FixedSizeBinary', 'FixedSizeList', 'Map', 'Duration', 'LargeBinary', 'LargeUtf8', 'LargeList', undefined, 'BinaryView', 'Utf8View'];
const TIME_UNITS = ['SECOND', 'MILLISECOND', 'MICROSECOND', 'NANOSECOND'];

export interface ArrowType {
  id: number;
  /** Int: bits and sign; FloatingPoint: precision; FixedSizeBinary / FixedSizeList: width. */
  bitWidth: number;
  signed: boolean;
  precision: number;
  width: number;
  unit: number;
  children: ArrowField[];
  /** Set on a dictionary-encoded field's type: the dictionary's id and index type. */
  dictionary: { id: number; indices: ArrowType } | null;
}

export interface ArrowField {
  name: string;
  type: ArrowType;
}

const MAX_DEPTH = 64;

/** Whether a Schema table `t` of `flat` says its buffers are big-endian (field 0, endianness:
 * 0 little, 1 big). */
export function isBigEndian(flat: Flat, t: number): boolean {
  return flat.i16Field(t, 0) === 1;
}

/** The fields of a Schema table `t` of `flat`. */
export function decodeSchema(flat: Flat, t: number): ArrowField[] {
  return flat.tables(t, 1).map((f) => decodeField(flat, f, 0));
}

function decodeField(flat: Flat, f: number, depth: number): ArrowField {
  if (depth > MAX_DEPTH) throw new FlatError(`fields nested more than ${MAX_DEPTH} deep`);
  const children = flat.tables(f, 5).map((c) => decodeField(flat, c, depth + 1));
  const typeId = flat.u8Field(f, 2);
  const body = flat.child(f, 3);
  const type: ArrowType = { id: typeId, bitWidth: 0, signed: false, precision: 0, width: 0, unit: 0, children, dictionary: null };
  if (body !== 0) {
    if (typeId === TypeId.Int) {
      type.bitWidth = flat.i32Field(body, 0);
      type.signed = flat.u8Field(body, 1) !== 0;
    } else if (typeId === TypeId.FloatingPoint) type.precision = flat.i16Field(body, 0);
    else if (typeId === TypeId.FixedSizeBinary || typeId === TypeId.FixedSizeList) type.width = flat.i32Field(body, 0);
    else if (typeId === TypeId.Date || typeId === TypeId.Duration) type.unit = flat.i16Field(body, 0, 1); // default MILLISECOND
    else if (typeId === TypeId.Time) {
      type.unit = flat.i16Field(body, 0, 1);
      type.bitWidth = flat.i32Field(body, 1, 32);
    }
  }
  const encoding = flat.child(f, 4);
  if (encoding !== 0) {
    const indexType = flat.child(encoding, 1);
    // An index type defaults to a signed 32-bit integer (Schema.fbs).
    const indices: ArrowType = { id: TypeId.Int, bitWidth: 32, signed: true, precision: 0, width: 0, unit: 0, children: [], dictionary: null };
    if (indexType !== 0) {
      indices.bitWidth = flat.i32Field(indexType, 0);
      indices.signed = flat.u8Field(indexType, 1) !== 0;
    }
    type.dictionary = { id: safeNumber(flat.i64Field(encoding, 0)), indices };
  }
  if (!(typeId in ID_NAMES) || ID_NAMES[typeId] === undefined) throw new FlatError(`Unrecognized type: "${ID_NAMES[typeId]}" (${typeId})`);
  return { name: flat.string(f, 0) ?? '', type };
}

/** A type as apache-arrow prints it (the reader's error messages always named types so); the
 * types a trace column may be mistaken for exactly, the rarest (timestamps, decimals, maps,
 * unions, intervals) by their bare names. */
export function typeName(t: ArrowType): string {
  if (t.dictionary) return `Dictionary<${typeName(t.dictionary.indices)}, ${typeName({ ...t, dictionary: null })}>`;
  const fields = (fs: ArrowField[]) => fs.map((f) => `${f.name}:${typeName(f.type)}`).join(', ');
  switch (t.id) {
    case TypeId.NONE:
    case TypeId.Null:
      return 'Null';
    case TypeId.Int:
      return `${t.signed ? 'I' : 'Ui'}nt${t.bitWidth}`;
    case TypeId.FloatingPoint:
      return `Float${t.precision << 5 || 16}`;
    case TypeId.List:
      return `List<${t.children[0] ? typeName(t.children[0].type) : 'undefined'}>`;
    case TypeId.LargeList:
      return `LargeList<${t.children[0] ? typeName(t.children[0].type) : 'undefined'}>`;
    case TypeId.Struct:
      return `Struct<{${fields(t.children)}}>`;
    case TypeId.FixedSizeBinary:
      return `FixedSizeBinary[${t.width}]`;
    case TypeId.FixedSizeList:
      return `FixedSizeList[${t.width}]<${t.children[0] ? typeName(t.children[0].type) : 'undefined'}>`;
    case TypeId.Date:
      return `Date${(t.unit + 1) * 32}<${t.unit === 0 ? 'DAY' : 'MILLISECOND'}>`;
    case TypeId.Time:
      return `Time${t.bitWidth}<${TIME_UNITS[t.unit]}>`;
    case TypeId.Duration:
      return `Duration<${TIME_UNITS[t.unit]}>`;
    default:
      return ID_NAMES[t.id] ?? `type ${t.id}`;
  }
}

/** Whether `a` is the type `b` (the comparison apache-arrow's `compareTypes` makes for the
 * types of a trace's columns: integers by width and sign, floats by precision). */
export function sameType(a: ArrowType, b: ArrowType): boolean {
  if (a.id !== b.id || (a.dictionary === null) !== (b.dictionary === null)) return false;
  if (a.id === TypeId.Int) return a.bitWidth === b.bitWidth && a.signed === b.signed;
  if (a.id === TypeId.FloatingPoint) return a.precision === b.precision;
  return false;
}

/** A plain (not dictionary-encoded) type, for the expected columns. */
export function intType(bitWidth: number, signed: boolean): ArrowType {
  return { id: TypeId.Int, bitWidth, signed, precision: 0, width: 0, unit: 0, children: [], dictionary: null };
}

export function float64Type(): ArrowType {
  return { id: TypeId.FloatingPoint, bitWidth: 0, signed: false, precision: 2, width: 0, unit: 0, children: [], dictionary: null };
}
