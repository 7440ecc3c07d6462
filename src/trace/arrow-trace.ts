/**
 * Writing canonical traces as Arrow IPC streams (read by arrow-reader.ts; messages encoded by
 * arrow-encode.ts). Columns are the EventBatch's own (typed, no text to parse), written and read
 * one record batch at a time, so memory follows the batch size. The device column is
 * dictionary-encoded (each batch carries the names seen so far, so its indices are stable device
 * ids).
 *
 * Columns: ts_ns f64, guest i32, device dict<utf8,i32>, class u8 (net 0, disk 1), op u8 (map 0,
 * unmap 1, access 2), dir u8, page f64, offset i32, len f64, has_handle u8, handle_hi u32,
 * handle_lo u32, has_unit u8, unit_hi u32, unit_lo u32, cpu i32 (files written before the `cpu`
 * column read as CPU 0).
 */
import type { DeviceTable, EventBatch } from '../types/event.js';
import { NO_HANDLE } from './arrow-row-checks.js';
import { END_OF_STREAM, flatbuffer, message, type Flat, type Table } from './arrow-encode.js';
import { AtomicFile, type AtomicOptions } from '../util/atomic-file.js';

/** Arrow type ids (Schema.fbs) and the metadata version written (V5). */
const INT = 2;
const FLOAT = 3;
const UTF8 = 5;
const V5 = 4;
const SCHEMA_MESSAGE = 1;
const DICTIONARY_MESSAGE = 2;
const RECORD_BATCH_MESSAGE = 3;

type Column = [name: string, type: 'f64' | 'i32' | 'u8' | 'u32' | 'device'];
/** The columns of an Arrow trace, in order. */
const COLUMNS: Column[] = [
  ['ts_ns', 'f64'],
  ['guest', 'i32'],
  ['device', 'device'],
  ['class', 'u8'],
  ['op', 'u8'],
  ['dir', 'u8'],
  ['page', 'f64'],
  ['offset', 'i32'],
  ['len', 'f64'],
  ['has_handle', 'u8'],
  ['handle_hi', 'u32'],
  ['handle_lo', 'u32'],
  ['has_unit', 'u8'],
  ['unit_hi', 'u32'],
  ['unit_lo', 'u32'],
  ['cpu', 'i32'],
];

const u8 = (v: number): Flat => ({ k: 'u8', v });
const i16 = (v: number): Flat => ({ k: 'i16', v });
const i32 = (v: number): Flat => ({ k: 'i32', v });
const i64 = (v: number): Flat => ({ k: 'i64', v });
const table = (v: Table): Flat => ({ k: 'table', v });
const intType = (bits: number, signed: boolean): Table => [i32(bits), u8(signed ? 1 : 0)];

/** Schema.fbs `Field`: name, nullable (false: no column has nulls), type, dictionary, children
 * (empty, but present: some readers require the vector). */
function field([name, type]: Column): Table {
  const children: Flat = { k: 'tables', v: [] };
  const named: Flat = { k: 'string', v: name };
  if (type === 'device') return [named, u8(0), u8(UTF8), table([]), table([i64(0), table(intType(32, true)), u8(0)]), children];
  if (type === 'f64') return [named, u8(0), u8(FLOAT), table([i16(2)]), undefined, children];
  return [named, u8(0), u8(INT), table(intType(type === 'u8' ? 8 : 32, type === 'i32')), undefined, children];
}

/** Message.fbs `Message`: version, header type, header, body length. */
function messageOf(type: number, header: Table, bodyLength: number): Buffer {
  return flatbuffer([i16(V5), u8(type), table(header), i64(bodyLength)]);
}

/** A record batch's body: its buffers, each padded to 8 bytes, and their (offset, length) and
 * field nodes (length, no nulls) as Message.fbs lays them out (16 bytes each). */
class Body {
  readonly parts: Buffer[] = [];
  private at = 0;
  private readonly regions: number[] = [];
  private readonly fields: number[] = [];

  /** One field of `length` values: an empty validity buffer (no nulls), then `buffers`. */
  field(length: number, ...buffers: ArrayBufferView[]): void {
    this.fields.push(length, 0);
    this.regions.push(this.at, 0);
    for (const b of buffers) {
      const bytes = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      this.regions.push(this.at, bytes.length);
      this.parts.push(bytes);
      const pad = (8 - (bytes.length % 8)) % 8;
      if (pad > 0) this.parts.push(Buffer.alloc(pad));
      this.at += bytes.length + pad;
    }
  }

  get length(): number {
    return this.at;
  }

  /** Message.fbs `RecordBatch` of `rows` rows. */
  header(rows: number): Table {
    const structs = (values: number[]): Flat => {
      const b = Buffer.alloc(8 * values.length);
      values.forEach((v, k) => b.writeBigInt64LE(BigInt(v), 8 * k));
      return { k: 'structs', v: b, size: 16 };
    };
    return [i64(rows), structs(this.fields), structs(this.regions)];
  }
}

/**
 * Writes batches of canonical events (as read by any reader) to an Arrow IPC stream: the schema
 * first, then for each batch the device names so far (a dictionary batch replacing the one
 * before, so an index is a stable device id) and the record batch; the end-of-stream marker on
 * close. Nothing at all when no row was written (as apache-arrow's writer, which wrote these
 * files before, did). The bytes go to `out` as they are made, waiting while it is full; a write
 * error stops the writer and is thrown by the next write() or by close(), never left unhandled.
 */
export class ArrowTraceWriter {
  private pumped: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private started = false;

  constructor(private readonly out: NodeJS.WritableStream) {}

  private send(chunks: Buffer[]): void {
    const stream = this.out as NodeJS.WritableStream & { errored?: Error | null };
    this.pumped = this.pumped
      .then(async () => {
        if (this.failure) return;
        for (const chunk of chunks) {
          if (stream.errored) throw stream.errored;
          if (!this.out.write(chunk)) await drainOrError(stream);
        }
        if (stream.errored) throw stream.errored;
      })
      .catch((e: Error) => {
        this.failure ??= e;
      });
  }

  write(b: EventBatch, devices: DeviceTable): void {
    if (this.failure) throw this.failure;
    const n = b.length;
    if (n === 0) return;
    if (!this.started) {
      this.started = true;
      this.send(message(messageOf(SCHEMA_MESSAGE, [undefined, { k: 'tables', v: COLUMNS.map(field) }], 0), []));
    }
    // The device names so far, as utf8: offsets, then bytes.
    const names = devices.names.map((name) => Buffer.from(name, 'utf8'));
    const offsets = new Int32Array(names.length + 1);
    names.forEach((name, k) => (offsets[k + 1] = offsets[k] + name.length));
    const dictionary = new Body();
    dictionary.field(names.length, offsets, Buffer.concat(names));
    this.send(message(messageOf(DICTIONARY_MESSAGE, [i64(0), table(dictionary.header(names.length)), u8(0)], dictionary.length), dictionary.parts));
    // The columns, copied (the batch is reused once this returns).
    const hasHandle = new Uint8Array(n);
    for (let i = 0; i < n; i++) hasHandle[i] = b.handleHi[i] === NO_HANDLE && b.handleLo[i] === NO_HANDLE ? 0 : 1;
    const columns: ArrayBufferView[] = [b.ts, b.guest, b.device, b.cls, b.op, b.dir, b.page, b.offset, b.len, hasHandle, b.handleHi, b.handleLo, b.hasUnit, b.unitHi, b.unitLo, b.cpu].map((a) => a.slice(0, n));
    const body = new Body();
    for (const c of columns) body.field(n, c);
    this.send(message(messageOf(RECORD_BATCH_MESSAGE, body.header(n), body.length), body.parts));
  }

  /** Ends the stream (its end-of-stream marker included) once every byte is handed to `out`. */
  async close(): Promise<void> {
    if (this.started) this.send([END_OF_STREAM]);
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
