/**
 * Arrow traces with any values, for tests of the Arrow reader: rows are given as plain numbers
 * (NaN, Infinity, out-of-range codes and dictionary indexes included), written with the schema
 * `ingest -o x.arrow` writes.
 */
import { Dictionary, Field, Float64, Int32, makeData, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Uint8, Uint32, Utf8, vectorFromArray, type Data, type DataType } from 'apache-arrow';

/** The columns `ingest -o x.arrow` writes (src/trace/arrow-trace.ts), as apache-arrow types:
 * this helper writes with apache-arrow, an independent writer, so the reader is tested on files
 * its own writer did not make (and the hostile corpus's files stay byte for byte as they were). */
export const COLUMNS: [string, DataType][] = [
  ['ts_ns', new Float64()],
  ['guest', new Int32()],
  ['device', new Dictionary(new Utf8(), new Int32(), 0, false)],
  ['class', new Uint8()],
  ['op', new Uint8()],
  ['dir', new Uint8()],
  ['page', new Float64()],
  ['offset', new Int32()],
  ['len', new Float64()],
  ['has_handle', new Uint8()],
  ['handle_hi', new Uint32()],
  ['handle_lo', new Uint32()],
  ['has_unit', new Uint8()],
  ['unit_hi', new Uint32()],
  ['unit_lo', new Uint32()],
  ['cpu', new Int32()],
];

export interface ArrowRow {
  ts_ns: number;
  guest: number;
  /** Index into the batch's dictionary of device names. */
  device: number;
  class: number;
  op: number;
  dir: number;
  page: number;
  offset: number;
  len: number;
  has_handle: number;
  handle_hi: number;
  handle_lo: number;
  has_unit: number;
  unit_hi: number;
  unit_lo: number;
  cpu: number;
}

/** A map of 2 KiB at page 0x200 on device 0 (net), handle 1. */
export const MAP: ArrowRow = { ts_ns: 0, guest: 0, device: 0, class: 0, op: 0, dir: 1, page: 0x200, offset: 0, len: 2048, has_handle: 1, handle_hi: 0, handle_lo: 1, has_unit: 0, unit_hi: 0, unit_lo: 0, cpu: 0 };
/** Its unmap (no geometry, as ingest writes one). */
export const UNMAP: ArrowRow = { ...MAP, ts_ns: 10, op: 1, dir: 0, page: 0, len: 0 };

const ARRAYS: Record<string, new (n: number) => ArrayLike<number> & { [i: number]: number }> = {
  ts_ns: Float64Array,
  guest: Int32Array,
  device: Int32Array,
  class: Uint8Array,
  op: Uint8Array,
  dir: Uint8Array,
  page: Float64Array,
  offset: Int32Array,
  len: Float64Array,
  has_handle: Uint8Array,
  handle_hi: Uint32Array,
  handle_lo: Uint32Array,
  has_unit: Uint8Array,
  unit_hi: Uint32Array,
  unit_lo: Uint32Array,
  cpu: Int32Array,
};

/** One record batch of `rows` with the device names `names`, as a complete Arrow IPC stream. */
export function arrowTrace(rows: readonly ArrowRow[], names: readonly string[] = ['nic0']): Uint8Array {
  const schema = new Schema(COLUMNS.map(([name, type]) => new Field(name, type, false)));
  const n = rows.length;
  const children = COLUMNS.map(([name, type]) => {
    const values = new ARRAYS[name](n);
    rows.forEach((r, i) => (values[i] = r[name as keyof ArrowRow]));
    if (name === 'device') return makeData({ type: type as never, length: n, nullCount: 0, data: values as Int32Array, dictionary: vectorFromArray([...names], new Utf8()) } as never);
    return makeData({ type: type as never, length: n, nullCount: 0, data: values } as never);
  }) as Data[];
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }));
  const writer = new RecordBatchStreamWriter();
  writer.write(batch);
  writer.finish();
  return writer.toUint8Array(true);
}
