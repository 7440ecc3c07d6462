/**
 * Writing canonical traces as Arrow IPC streams (read by arrow-reader.ts). Columns are the EventBatch's own
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
} from 'apache-arrow';
import type { DeviceTable, EventBatch } from '../types/event.js';
import { NO_HANDLE } from './arrow-row-checks.js';
import { AtomicFile, type AtomicOptions } from '../util/atomic-file.js';

const DEVICE_TYPE = new Dictionary(new Utf8(), new Int32(), 0, false);

/** The columns of an Arrow trace, in order, with their types. */
export const COLUMNS: [string, Float64 | Int32 | Uint8 | Uint32 | typeof DEVICE_TYPE][] = [
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
