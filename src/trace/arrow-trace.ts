/**
 * Canonical traces as Arrow IPC streams: the binary input path. Columns are the EventBatch's own
 * (typed, no text to parse), written and read one record batch at a time, so memory follows the
 * batch size. The device column is dictionary-encoded (each batch carries the names seen so far,
 * so its indices are stable device ids).
 *
 * Columns: ts_ns f64, guest i32, device dict<utf8,i32>, class u8 (net 0, disk 1), op u8 (map 0,
 * unmap 1, access 2), dir u8, page f64, offset i32, len f64, has_handle u8, handle_hi u32,
 * handle_lo u32, has_unit u8, unit_hi u32, unit_lo u32, cpu i32 (files written before the `cpu`
 * column read as CPU 0).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import {
  Dictionary,
  Field,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Uint8,
  Uint32,
  Utf8,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import { EventBatch, MAX_GUESTS, Op, type DeviceTable } from '../types/event.js';
import type { Diagnostics } from './diagnostics.js';
import { InputError } from '../util/errors.js';

const DEVICE_TYPE = new Dictionary(new Utf8(), new Int32(), 0, false);

const COLUMNS: [string, DataType][] = [
  ['ts_ns', new Float64()],
  ['guest', new Int32()],
  ['device', DEVICE_TYPE],
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
const SCHEMA = new Schema(COLUMNS.map(([name, type]) => new Field(name, type, false)));

const NO_HANDLE = 0xffffffff;

/** Writes batches of canonical events (as read by any reader) to an Arrow IPC stream file. */
export class ArrowTraceWriter {
  private readonly writer = new RecordBatchStreamWriter();
  private readonly done: Promise<void>;

  constructor(path: string) {
    const out = createWriteStream(path);
    this.done = new Promise((resolve, reject) => {
      out.on('finish', () => resolve());
      out.on('error', reject);
    });
    this.writer.toNodeStream().pipe(out);
  }

  write(b: EventBatch, devices: DeviceTable): void {
    const n = b.length;
    if (n === 0) return;
    const slice = <T extends { slice(a: number, e: number): T }>(a: T) => a.slice(0, n);
    const hasHandle = new Uint8Array(n);
    for (let i = 0; i < n; i++) hasHandle[i] = b.handleHi[i] === NO_HANDLE && b.handleLo[i] === NO_HANDLE ? 0 : 1;
    const names = vectorFromArray(devices.names.slice(), new Utf8());
    const device = makeData({ type: DEVICE_TYPE, length: n, nullCount: 0, data: Int32Array.from(b.device.subarray(0, n)), dictionary: names });
    const arrays: ArrayLike<number>[] = [slice(b.ts), slice(b.guest), new Int32Array(0), slice(b.cls), slice(b.op), slice(b.dir), slice(b.page), slice(b.offset), slice(b.len), hasHandle, slice(b.handleHi), slice(b.handleLo), slice(b.hasUnit), slice(b.unitHi), slice(b.unitLo), slice(b.cpu)];
    const children = COLUMNS.map(([, type], k) => (k === 2 ? device : makeData({ type: type as never, length: n, nullCount: 0, data: arrays[k] as never }))) as Data[];
    this.writer.write(new RecordBatch(SCHEMA, makeData({ type: new Struct(SCHEMA.fields), length: n, nullCount: 0, children })));
  }

  async close(): Promise<void> {
    this.writer.finish();
    await this.done;
  }
}

/**
 * Reads an Arrow trace into EventBatches (one per record batch; a batch is valid until the
 * generator resumes). Rows with out-of-range codes are reported as `file:row N` and skipped.
 */
export async function* readArrowTrace(path: string, devices: DeviceTable, diagnostics: Diagnostics, counts: { rowsRead: number; rowsAccepted: number }): AsyncGenerator<EventBatch> {
  let reader;
  try {
    // Large reads: the default 64 KiB chunks cost more in syscalls and re-joining than the decode.
    reader = await RecordBatchReader.from(createReadStream(path, { highWaterMark: 1 << 22 }));
  } catch (e) {
    throw new InputError(`${path}: not an Arrow IPC stream (${(e as Error).message})`);
  }
  let batch = new EventBatch(1);
  let row = 0;
  const idOf: number[] = [];
  const it = reader[Symbol.asyncIterator]();
  for (;;) {
    let next;
    try {
      next = await it.next();
    } catch (e) {
      throw new InputError(`${path}: not an Arrow IPC stream (${(e as Error).message})`);
    }
    if (next.done) break;
    const rb = next.value;
    const n = rb.numRows;
    if (batch.capacity < n) batch = new EventBatch(n);
    const col = (name: string) => {
      const c = rb.getChild(name);
      if (!c) throw new InputError(`${path}: no column '${name}' (not a dmareplay Arrow trace)`);
      return c.data[0];
    };
    const ts = col('ts_ns').values as Float64Array;
    const guest = col('guest').values as Int32Array;
    const dev = col('device');
    const dict = dev.dictionary!;
    const devIdx = dev.values as Int32Array;
    const cls = col('class').values as Uint8Array;
    const op = col('op').values as Uint8Array;
    const dir = col('dir').values as Uint8Array;
    const page = col('page').values as Float64Array;
    const offset = col('offset').values as Int32Array;
    const len = col('len').values as Float64Array;
    const hasHandle = col('has_handle').values as Uint8Array;
    const hHi = col('handle_hi').values as Uint32Array;
    const hLo = col('handle_lo').values as Uint32Array;
    const hasUnit = col('has_unit').values as Uint8Array;
    const uHi = col('unit_hi').values as Uint32Array;
    const uLo = col('unit_lo').values as Uint32Array;
    const cpuCol = rb.getChild('cpu');
    const cpu = cpuCol ? (cpuCol.data[0].values as Int32Array) : null;
    let k = 0;
    for (let i = 0; i < n; i++) {
      row++;
      counts.rowsRead++;
      const o = op[i];
      if (o > Op.access || dir[i] > 2 || cls[i] > 1 || guest[i] < 0 || guest[i] >= MAX_GUESTS || !(ts[i] >= 0) || (o === Op.map && !(len[i] > 0))) {
        diagnostics.report(path, row, 'bad-row', `row ${row}: a value out of range (op ${o}, dir ${dir[i]}, class ${cls[i]}, guest ${guest[i]}, len ${len[i]})`);
        continue;
      }
      const d = devIdx[i];
      let id = idOf[d];
      if (id === undefined) {
        id = devices.intern(dict.get(d) as string, cls[i]);
        idOf[d] = id;
      }
      batch.line[k] = row;
      batch.ts[k] = ts[i];
      batch.guest[k] = guest[i];
      batch.device[k] = id;
      batch.cls[k] = cls[i];
      batch.op[k] = o;
      batch.dir[k] = dir[i];
      batch.page[k] = page[i];
      batch.offset[k] = offset[i];
      batch.len[k] = len[i];
      batch.handleHi[k] = hasHandle[i] ? hHi[i] : NO_HANDLE;
      batch.handleLo[k] = hasHandle[i] ? hLo[i] : NO_HANDLE;
      batch.hasUnit[k] = hasUnit[i];
      batch.unitHi[k] = uHi[i];
      batch.unitLo[k] = uLo[i];
      batch.commitRow(k, cpu !== null && cpu[i] >= 0 ? cpu[i] : 0);
      k++;
    }
    batch.length = k;
    counts.rowsAccepted += k;
    yield batch;
  }
}

/** Copies every batch of a reader (any trace format) into an Arrow trace file. */
export async function writeArrowTrace(path: string, batches: AsyncIterable<EventBatch>, devices: DeviceTable): Promise<number> {
  const w = new ArrowTraceWriter(path);
  let rows = 0;
  for await (const b of batches) {
    w.write(b, devices);
    rows += b.length;
  }
  await w.close();
  return rows;
}
