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
import {
  DataType,
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
  util,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import { CLASS_NAMES, DeviceClass, Dir, EventBatch, Op, OP_NAMES, PAGE_SIZE, type DeviceTable } from '../types/event.js';
import { ArrowFraming } from './arrow-framing.js';
import { ADDRESS_PAGES, isCpu, isGuest, isLength, isTimestamp, why, wrapsAround } from './row-checks.js';
import { formatHexAddress } from './fields.js';
import { openReadStream, readError } from './input-file.js';
import type { Diagnostics } from './diagnostics.js';
import { InputError } from '../util/errors.js';
import { AtomicFile, type AtomicOptions } from '../util/atomic-file.js';

const DEVICE_TYPE = new Dictionary(new Utf8(), new Int32(), 0, false);

/** The columns of an Arrow trace, in order, with their types. */
export const COLUMNS: [string, DataType][] = [
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

/**
 * Writes batches of canonical events (as read by any reader) to an Arrow IPC stream. The bytes go
 * to `out` as they are made, waiting while it is full; a write error stops the writer and is
 * thrown by the next write() or by close(), never left unhandled.
 */
export class ArrowTraceWriter {
  private readonly writer = new RecordBatchStreamWriter();
  private readonly pumped: Promise<void>;
  private failure: Error | null = null;

  constructor(out: NodeJS.WritableStream) {
    this.pumped = this.pump(out).catch((e: Error) => {
      this.failure = e;
    });
  }

  private async pump(out: NodeJS.WritableStream): Promise<void> {
    const stream = out as NodeJS.WritableStream & { errored?: Error | null };
    for await (const chunk of this.writer) {
      if (stream.errored) throw stream.errored;
      if (!out.write(chunk)) await drainOrError(stream);
    }
    if (stream.errored) throw stream.errored;
  }

  write(b: EventBatch, devices: DeviceTable): void {
    if (this.failure) throw this.failure;
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

  /** Ends the stream (its end-of-stream marker included) once every byte is handed to `out`. */
  async close(): Promise<void> {
    this.writer.finish();
    await this.pumped;
    if (this.failure) throw this.failure;
  }
}

/** Waits until a full stream takes more, or fails. */
function drainOrError(out: NodeJS.WritableStream & { errored?: Error | null }): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      if (out.errored) reject(out.errored);
      else resolve();
    };
    out.on('drain', done);
    out.on('error', done);
    out.on('close', done);
  });
}

/** The columns a record batch must have, by name, with the Arrow types written above. */
const EXPECTED = new Map(COLUMNS.map(([name, type]) => [name, type]));

/**
 * Reads an Arrow trace into EventBatches (one per record batch; a batch is valid until the
 * generator resumes). Every row goes through the checks a CSV row goes through (row-checks.ts);
 * a rejected row is reported as `file:row N: reason` and skipped. A file that is empty, not an
 * Arrow stream, of other columns, or cut short (no end-of-stream marker) is one InputError.
 */
export async function* readArrowTrace(path: string, devices: DeviceTable, diagnostics: Diagnostics, counts: { rowsRead: number; rowsAccepted: number }): AsyncGenerator<EventBatch> {
  diagnostics.countInRows(path);
  const framing = new ArrowFraming();
  // Large reads: the default 64 KiB chunks cost more in syscalls and re-joining than the decode.
  const bytes = followed(path, openReadStream(path, 1 << 22), framing);
  const broken = (e: unknown) => (e instanceof InputError ? e : new InputError(`${path}: not an Arrow IPC stream (${readError(path, e).message.replace(`${path}: `, '')})`));
  let reader;
  try {
    reader = await RecordBatchReader.from(bytes);
  } catch (e) {
    throw broken(e);
  }
  const rows = new ArrowRowChecks(path, devices, diagnostics);
  let batch = new EventBatch(1);
  const it = reader[Symbol.asyncIterator]();
  for (;;) {
    let next;
    try {
      next = await it.next();
    } catch (e) {
      throw broken(e);
    }
    if (next.done) break;
    const rb = next.value;
    const n = rb.numRows;
    const cols = columnsOf(path, rb, n);
    if (batch.capacity < n) batch = new EventBatch(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      counts.rowsRead++;
      if (rows.check(cols, i, batch, k)) k++;
    }
    batch.length = k;
    counts.rowsAccepted += k;
    yield batch;
  }
  // Drain what the reader left (nothing, for a well-formed stream) so the framing sees every byte.
  for await (const _ of bytes);
  if (framing.bytes === 0) throw new InputError(`${path}: empty file (not an Arrow stream; an Arrow trace holds at least its schema)`);
  if (framing.lost && !framing.complete) throw new InputError(`${path}: not an Arrow IPC stream (its messages do not follow one another)`);
  if (!framing.complete) throw new InputError(`${path}: truncated Arrow stream (no end-of-stream marker: the writer did not finish)`);
}

/** The chunks of `source`, each shown to `framing` on the way; a chunk that completes a message
 * whose metadata is unsafe to decode is not handed on: the read ends there, with why. */
async function* followed(path: string, source: AsyncIterable<Buffer>, framing: ArrowFraming): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    framing.feed(chunk);
    if (framing.damaged !== null) throw new InputError(`${path}: damaged Arrow stream (${framing.damaged})`);
    yield chunk;
  }
}

/** A record batch's columns as typed arrays, each checked to be of its type and long enough. */
interface ArrowColumns {
  ts: Float64Array;
  guest: Int32Array;
  device: ArrayLike<number>;
  dictionary: { length: number; get(i: number): unknown };
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

function columnsOf(path: string, rb: RecordBatch, n: number): ArrowColumns {
  const col = (name: string) => {
    const c = rb.getChild(name);
    if (!c) throw new InputError(`${path}: no column '${name}' (not a dmareplay Arrow trace)`);
    const field = rb.schema.fields.find((f) => f.name === name)!;
    const expected = EXPECTED.get(name)!;
    const sameType = name === 'device' ? DataType.isDictionary(field.type) && DataType.isUtf8(field.type.dictionary) && DataType.isInt(field.type.indices) : util.compareTypes(field.type, expected);
    if (!sameType) throw new InputError(`${path}: column '${name}' is ${field.type}, not ${expected} (not a dmareplay Arrow trace)`);
    const data = c.data[0];
    if (c.data.length !== 1 || data.nullCount > 0 || (data.values?.length ?? 0) < n) throw new InputError(`${path}: column '${name}' has missing values (not a dmareplay Arrow trace)`);
    return data;
  };
  const device = col('device');
  if (!device.dictionary) throw new InputError(`${path}: column 'device' has no dictionary (not a dmareplay Arrow trace)`);
  return {
    ts: col('ts_ns').values as Float64Array,
    guest: col('guest').values as Int32Array,
    device: device.values as ArrayLike<number>,
    dictionary: device.dictionary,
    cls: col('class').values as Uint8Array,
    op: col('op').values as Uint8Array,
    dir: col('dir').values as Uint8Array,
    page: col('page').values as Float64Array,
    offset: col('offset').values as Int32Array,
    len: col('len').values as Float64Array,
    hasHandle: col('has_handle').values as Uint8Array,
    handleHi: col('handle_hi').values as Uint32Array,
    handleLo: col('handle_lo').values as Uint32Array,
    hasUnit: col('has_unit').values as Uint8Array,
    unitHi: col('unit_hi').values as Uint32Array,
    unitLo: col('unit_lo').values as Uint32Array,
    cpu: rb.getChild('cpu') ? (col('cpu').values as Int32Array) : null,
  };
}

/**
 * The checks of a CSV row (csv-row.ts), on an Arrow row's typed values: the same limits and
 * reasons (row-checks.ts), reported as `file:row N`.
 */
class ArrowRowChecks {
  private row = 0;
  /** Device id of each dictionary index, for the dictionary it was read from (each batch may
   * carry a new one). */
  private idOf: number[] = [];
  private dictionary: unknown = null;

  constructor(
    private readonly path: string,
    private readonly devices: DeviceTable,
    private readonly diagnostics: Diagnostics,
  ) {}

  /** Row i of `c` into row k of `b`; false (reported) when rejected. */
  check(c: ArrowColumns, i: number, b: EventBatch, k: number): boolean {
    const row = ++this.row;
    const reject = (kind: string, message: string) => {
      this.diagnostics.report(this.path, row, kind, message);
      return false;
    };
    const ts = c.ts[i];
    if (!isTimestamp(ts)) return reject('bad-timestamp', why.timestamp(String(ts)));
    const guest = c.guest[i];
    if (!isGuest(guest)) return reject('bad-guest', why.guest(String(guest)));
    const op = c.op[i];
    if (op > Op.access) return reject('bad-op', why.op(`code ${op}`));
    const cls = c.cls[i];
    if (cls > DeviceClass.disk) return reject('bad-class', why.cls(`code ${cls}`));
    const isUnmap = op === Op.unmap;
    const dir = c.dir[i];
    if (dir > Dir.bidirectional) return reject('bad-dir', why.dir(`code ${dir}`));
    const page = c.page[i];
    const offset = c.offset[i];
    const len = c.len[i];
    // An unmap may carry no geometry (all zero): its map's is used, as with empty CSV fields.
    const geometry = !(isUnmap && page === 0 && offset === 0 && len === 0);
    if (geometry) {
      if (!(Number.isInteger(page) && page >= 0 && page < ADDRESS_PAGES) || !(offset >= 0 && offset < PAGE_SIZE)) return reject('bad-address', `address page ${page} offset ${offset} is not a 64-bit address (page a whole number below 2^52, offset 0..${PAGE_SIZE - 1})`);
      if (!isLength(len)) return reject('bad-length', why.length(String(len)));
      if (wrapsAround(page, offset, len)) return reject('bad-address', why.wraps(formatHexAddress(page, offset), len));
    }
    const hasHandle = c.hasHandle[i] !== 0;
    if (!hasHandle && op !== Op.access) return reject('bad-handle', why.emptyHandle(OP_NAMES[op]));
    const device = this.deviceOf(c, i, cls, reject);
    if (device < 0) return false;
    const cpu = c.cpu === null ? 0 : c.cpu[i];
    if (!isCpu(cpu)) return reject('bad-cpu', why.cpu(String(cpu)));
    b.line[k] = row;
    b.ts[k] = ts;
    b.guest[k] = guest;
    b.device[k] = device;
    b.cls[k] = cls;
    b.op[k] = op;
    b.dir[k] = dir;
    b.page[k] = geometry ? page : 0;
    b.offset[k] = geometry ? offset : 0;
    b.len[k] = geometry ? len : 0;
    b.handleHi[k] = hasHandle ? c.handleHi[i] : NO_HANDLE;
    b.handleLo[k] = hasHandle ? c.handleLo[i] : NO_HANDLE;
    b.hasUnit[k] = c.hasUnit[i] !== 0 ? 1 : 0;
    b.unitHi[k] = b.hasUnit[k] ? c.unitHi[i] : 0;
    b.unitLo[k] = b.hasUnit[k] ? c.unitLo[i] : 0;
    b.commitRow(k, cpu);
    return true;
  }

  /** The device id of row i (interned by name), or -1 after reporting why there is none. */
  private deviceOf(c: ArrowColumns, i: number, cls: number, reject: (kind: string, message: string) => boolean): number {
    if (c.dictionary !== this.dictionary) {
      this.dictionary = c.dictionary;
      this.idOf = [];
    }
    const d = c.device[i];
    let id = this.idOf[d];
    if (id === undefined) {
      if (!(Number.isInteger(d) && d >= 0 && d < c.dictionary.length)) {
        reject('bad-device', `device index ${d} is not in the batch's dictionary of ${c.dictionary.length} names`);
        return -1;
      }
      const name = c.dictionary.get(d);
      if (typeof name !== 'string' || name === '') {
        reject('bad-device', why.emptyDevice());
        return -1;
      }
      id = this.devices.intern(name, cls);
      this.idOf[d] = id;
    }
    if (this.devices.classes[id] !== cls) {
      reject('class-mismatch', why.classMismatch(this.devices.names[id], CLASS_NAMES[cls], CLASS_NAMES[this.devices.classes[id]]));
      return -1;
    }
    return id;
  }
}

/**
 * Copies every batch of a reader (any trace format) into an Arrow trace file, which appears only
 * once complete (a failed or interrupted copy leaves whatever was at `path`).
 */
export async function writeArrowTrace(path: string, batches: AsyncIterable<EventBatch>, devices: DeviceTable, options: AtomicOptions = {}): Promise<number> {
  const file = await AtomicFile.open(path, options);
  try {
    const w = new ArrowTraceWriter(file.stream);
    let rows = 0;
    for await (const b of batches) {
      w.write(b, devices);
      rows += b.length;
    }
    await w.close();
    await file.commit();
    return rows;
  } finally {
    await file.abort();
  }
}
