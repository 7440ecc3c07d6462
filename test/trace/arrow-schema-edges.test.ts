/**
 * Arrow inputs at the edges of what the reader follows (found in review): many delta
 * dictionaries (read in linear time, each row keeping its device), 64-bit dictionary indices and
 * big-endian schemas (refused in one line, not misread), and a schema message that declares a
 * body (skipped, as the framing skips it, so the batches after it are read).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Dictionary, Field, Int64, makeData, Message, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { END_OF_STREAM, flatbuffer, message, type Flat, type Table } from '../../src/trace/arrow-encode.js';
import { CanonicalCsvReader } from '../../src/trace/csv-reader.js';
import { Diagnostics } from '../../src/trace/diagnostics.js';
import { arrowTrace, COLUMNS, MAP, UNMAP, type ArrowRow } from '../helpers/arrow-file.js';
import { scratchDir } from '../helpers/cli.js';

const scratch = scratchDir('dmareplay-arrow-edges-');
afterAll(() => scratch.remove());

/** The device name of every row of the trace at `path`, or the error that stopped the read. */
async function devicesOf(path: string): Promise<string[] | string> {
  const reader = new CanonicalCsvReader(path, new Diagnostics());
  const out: string[] = [];
  try {
    for await (const b of reader.batches()) for (let i = 0; i < b.length; i++) out.push(reader.devices.names[b.device[i]]);
  } catch (e) {
    return (e as Error).message;
  }
  return out;
}

/** The framed messages of an Arrow stream (continuation, length, metadata, body). */
function framed(stream: Uint8Array): Buffer[] {
  const buf = Buffer.from(stream);
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const start = at;
    let len = buf.readInt32LE(at);
    if (len === -1) len = buf.readInt32LE((at += 4));
    if (len === 0) break;
    const meta = buf.subarray(at + 4, at + 4 + len);
    at += 4 + len + Number(Message.decode(meta).bodyLength);
    out.push(buf.subarray(start, at));
  }
  return out;
}

/** A Schema message of the trace columns (ingest's schema), written field by field, with
 * `endianness` and a declared body of `bodyLength` zero bytes. */
function schemaMessage(endianness: number, bodyLength: number): Buffer {
  const int = (bits: number, signed: boolean): Table => [{ k: 'i32', v: bits }, { k: 'u8', v: signed ? 1 : 0 }];
  const fields: Table[] = COLUMNS.map(([name, type]) => {
    const named: Flat = { k: 'string', v: name };
    const none: Flat = { k: 'tables', v: [] };
    if (name === 'device') return [named, { k: 'u8', v: 0 }, { k: 'u8', v: 5 }, { k: 'table', v: [] }, { k: 'table', v: [{ k: 'i64', v: 0 }, { k: 'table', v: int(32, true) }, { k: 'u8', v: 0 }] }, none];
    if (String(type) === 'Float64') return [named, { k: 'u8', v: 0 }, { k: 'u8', v: 3 }, { k: 'table', v: [{ k: 'i16', v: 2 }] }, undefined, none];
    const t = type as unknown as { bitWidth: number; isSigned: boolean };
    return [named, { k: 'u8', v: 0 }, { k: 'u8', v: 2 }, { k: 'table', v: int(t.bitWidth, t.isSigned) }, undefined, none];
  });
  const schema: Table = [{ k: 'i16', v: endianness }, { k: 'tables', v: fields }];
  const meta = flatbuffer([{ k: 'i16', v: 4 }, { k: 'u8', v: 1 }, { k: 'table', v: schema }, { k: 'i64', v: bodyLength }]);
  return Buffer.concat(message(meta, bodyLength > 0 ? [Buffer.alloc(bodyLength)] : []));
}

const pair = (device: number, handle: number): ArrowRow[] => [
  { ...MAP, ts_ns: 2 * handle, device, handle_lo: handle },
  { ...UNMAP, ts_ns: 2 * handle + 1, device, handle_lo: handle },
];

describe('Arrow schemas and dictionaries at the edges', () => {
  it('given 400 batches, each adding one device name by a delta dictionary batch, then every row keeps its own device', async () => {
    const names = Array.from({ length: 400 }, (_, k) => `dev${k}`);
    const chunks = names.map((s) => vectorFromArray([s], new Utf8()));
    const device = COLUMNS.find(([n]) => n === 'device')![1] as Dictionary;
    const schema = new Schema(COLUMNS.map(([name, type]) => new Field(name, type, false)));
    const writer = new RecordBatchStreamWriter();
    for (let k = 0; k < names.length; k++) {
      // The dictionary so far as a chunked vector one name longer each batch: apache-arrow writes
      // the new name as a delta.
      const dictionary = chunks.slice(1, k + 1).reduce((a, b) => a.concat(b), chunks[0]);
      const rows = pair(k, k + 1);
      const children = COLUMNS.map(([name, type]) => {
        const values = rows.map((r) => r[name as keyof ArrowRow]);
        if (name === 'device') return makeData({ type: device, length: 2, nullCount: 0, data: Int32Array.from(values), dictionary } as never);
        return makeData({ type: type as never, length: 2, nullCount: 0, data: new (type as unknown as { ArrayType: new (v: number[]) => ArrayLike<number> }).ArrayType(values) } as never);
      }) as Data[];
      writer.write(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 2, nullCount: 0, children })));
    }
    writer.finish();
    const bytes = writer.toUint8Array(true);
    const deltas = framed(bytes).filter((m) => {
      const meta = Message.decode(m.subarray(8, 8 + m.readInt32LE(4)));
      return meta.isDictionaryBatch() && meta.header()!.isDelta;
    });
    expect(deltas.length).toBe(399);
    const got = await devicesOf(scratch.file('deltas.arrow', Buffer.from(bytes)));
    expect(got).toEqual(names.flatMap((n) => [n, n]));
  });

  it('given a device column with 64-bit dictionary indices, then refused naming the column and the type expected', async () => {
    const type = new Dictionary(new Utf8(), new Int64() as never, 0, false);
    const schema = new Schema(COLUMNS.map(([name, t]) => new Field(name, name === 'device' ? type : t, false)));
    const rows = pair(0, 1);
    const children = COLUMNS.map(([name, t]) => {
      const values = rows.map((r) => r[name as keyof ArrowRow]);
      if (name === 'device') return makeData({ type, length: 2, nullCount: 0, data: BigInt64Array.from(values.map(BigInt)), dictionary: vectorFromArray(['nic0'], new Utf8()) } as never);
      return makeData({ type: t as never, length: 2, nullCount: 0, data: new (t as unknown as { ArrayType: new (v: number[]) => ArrayLike<number> }).ArrayType(values) } as never);
    }) as Data[];
    const writer = new RecordBatchStreamWriter();
    writer.write(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 2, nullCount: 0, children })));
    writer.finish();
    const path = scratch.file('i64.arrow', Buffer.from(writer.toUint8Array(true)));
    expect(await devicesOf(path)).toBe(`${path}: column 'device' is Dictionary<Int64, Utf8>, not Dictionary<Int32, Utf8> (not a dmareplay Arrow trace)`);
  });

  it('given our own schema message little-endian with no body, then the trace reads (the builder is right)', async () => {
    const rest = framed(arrowTrace(pair(0, 1))).slice(1);
    const path = scratch.file('le.arrow', Buffer.concat([schemaMessage(0, 0), ...rest, END_OF_STREAM]));
    expect(await devicesOf(path)).toEqual(['nic0', 'nic0']);
  });

  it('given a schema marked big-endian, then refused in one line, not read byte-swapped', async () => {
    const rest = framed(arrowTrace(pair(0, 1))).slice(1);
    const path = scratch.file('be.arrow', Buffer.concat([schemaMessage(1, 0), ...rest, END_OF_STREAM]));
    expect(await devicesOf(path)).toBe(`${path}: a big-endian Arrow stream (dmareplay reads little-endian Arrow, as written on x86 and ARM machines)`);
  });

  it('given a schema message that declares a 16-byte body, then the body is skipped and the rows after it are read', async () => {
    const rest = framed(arrowTrace(pair(0, 1))).slice(1);
    const path = scratch.file('schema-body.arrow', Buffer.concat([schemaMessage(0, 16), ...rest, END_OF_STREAM]));
    expect(await devicesOf(path)).toEqual(['nic0', 'nic0']);
  });
});
