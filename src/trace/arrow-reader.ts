/**
 * Reads an Arrow trace (an IPC stream as `ingest -o x.arrow` writes it) into EventBatches, one
 * per record batch, decoding the few messages a trace has itself: the schema, device
 * dictionaries, and record batches whose columns are typed arrays over the message body, read in
 * place and copied once, row by row, into the batch by the row checks. No Arrow library is
 * loaded: apache-arrow's reader joined buffers and made views per message (about a fifth of a
 * native replay's time went to collecting them), and flechette decodes only whole files.
 *
 * Errors are the ones the reader gave when apache-arrow decoded for it (tests pin them): a
 * damaged message (arrow-framing.ts, before it is decoded), a stream cut short, a schema without
 * the trace's columns, a bad row (`file:row N: reason`, skipped).
 */
import { EventBatch, type DeviceTable } from '../types/event.js';
import { ArrowFraming } from './arrow-framing.js';
import { ArrowMessages, MessageType, StreamError, type ArrowMessage, type MessageSource } from './arrow-messages.js';
import { ArrowFileMessages } from './arrow-file-messages.js';
import { decodeRecordBatch } from './arrow-batch.js';
import { BatchLoadError, TraceSchema } from './arrow-columns.js';
import { DeviceDictionary } from './arrow-dictionary.js';
import { decodeSchema, isBigEndian } from './arrow-schema.js';
import { FlatError, safeNumber } from './arrow-flat.js';
import { ArrowRowChecks } from './arrow-row-checks.js';
import { openReadStream, readError } from './input-file.js';
import type { Diagnostics } from './diagnostics.js';
import { InputError } from '../util/errors.js';

/** The first 8 bytes of an Arrow IPC file: its magic and padding. */
const FILE_HEAD = Buffer.from('ARROW1\0\0', 'latin1');

/**
 * Reads an Arrow trace into EventBatches (one per record batch; a batch is valid until the
 * generator resumes). Every row goes through the checks a CSV row goes through (row-checks.ts);
 * a rejected row is reported as `file:row N: reason` and skipped. A file that is empty, not an
 * Arrow stream, of other columns, or cut short (no end-of-stream marker) is one InputError.
 */
export async function* readArrowTrace(path: string, devices: DeviceTable, diagnostics: Diagnostics, counts: { rowsRead: number; rowsAccepted: number }): AsyncGenerator<EventBatch> {
  diagnostics.countInRows(path);
  const framing = new ArrowFraming();
  // Large reads: the default 64 KiB chunks cost more in syscalls than the decode.
  const stream = new ArrowMessages(followed(path, openReadStream(path, 1 << 22), framing));
  const broken = (e: unknown) => {
    if (e instanceof InputError) return e;
    if (e instanceof StreamError || e instanceof FlatError || e instanceof BatchLoadError) return new InputError(`${path}: not an Arrow IPC stream (${e.message})`);
    const read = readError(path, e);
    return read instanceof InputError ? read : e;
  };
  const rows = new ArrowRowChecks(path, devices, diagnostics);
  let batch = new EventBatch(1);
  let schema: TraceSchema | null = null;
  let dictionaries = new Map<number, DeviceDictionary>();
  let batches = 0;
  try {
    // An Arrow IPC file holds a stream after its magic and padding (8 bytes), then a footer.
    let messages: MessageSource = stream;
    if (await stream.skipFileMagic()) {
      // A file: read whole (the framing checks it as the last bytes go by), then by its footer.
      const file = Buffer.concat([FILE_HEAD, await stream.rest()]);
      if (!framing.complete) throw new InputError(`${path}: not an Arrow IPC stream (an Arrow IPC file without its footer)`);
      messages = new ArrowFileMessages(file);
    }
    for (let m = await messages.next(); m !== null; m = await messages.next()) {
      if (schema === null) {
        // The first message must be the schema (apache-arrow's words, kept).
        if (m.type !== MessageType.Schema) throw new StreamError('Expected Schema Message in stream, but was null or length 0.');
        if (m.header === 0) break; // no schema: read as no batches
        schema = traceSchema(path, m);
        if (m.bodyLength > 0) await messages.body(m.bodyLength); // a schema has no body; one declared is skipped, as the framing does
        continue;
      }
      if (m.type === MessageType.Schema) {
        // A new schema starts over, its dictionaries too.
        if (m.header !== 0) schema = traceSchema(path, m);
        if (m.bodyLength > 0) await messages.body(m.bodyLength);
        dictionaries = new Map();
      } else if (m.type === MessageType.DictionaryBatch) dictionaries = await dictionary(path, m, messages, schema, dictionaries);
      else if (m.type === MessageType.RecordBatch) {
        if (m.header === 0) throw new StreamError('a record batch message without its header');
        const meta = decodeRecordBatch(m.flat, m.header, m.version);
        const body = await messages.body(m.bodyLength);
        const cols = schema.columns(meta, body, dictionaries);
        batches++;
        const n = meta.length;
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
    }
    // A schema and no batches: its columns are still checked.
    if (schema !== null && batches === 0) schema.checkEmpty();
    // Drain what is left (nothing, for a well-formed stream) so the framing sees every byte.
    await stream.drain();
  } catch (e) {
    throw broken(e);
  }
  if (framing.bytes === 0) throw new InputError(`${path}: empty file (not an Arrow stream; an Arrow trace holds at least its schema)`);
  if (framing.lost && !framing.complete) throw new InputError(`${path}: not an Arrow IPC stream (its messages do not follow one another)`);
  if (!framing.complete) throw new InputError(`${path}: truncated Arrow stream (no end-of-stream marker: the writer did not finish)`);
}

/** The trace schema of Schema message `m`; a big-endian one is refused (its values would be read
 * byte-swapped: this reader takes the little-endian layout x86 and ARM write). */
function traceSchema(path: string, m: ArrowMessage): TraceSchema {
  if (isBigEndian(m.flat, m.header)) throw new InputError(`${path}: a big-endian Arrow stream (dmareplay reads little-endian Arrow, as written on x86 and ARM machines)`);
  return new TraceSchema(path, decodeSchema(m.flat, m.header));
}

/** The dictionaries after dictionary batch `m`: its strings replace (or, for a delta, extend)
 * the dictionary of its id. */
async function dictionary(path: string, m: ArrowMessage, messages: MessageSource, schema: TraceSchema, before: Map<number, DeviceDictionary>): Promise<Map<number, DeviceDictionary>> {
  if (m.header === 0) throw new StreamError('a dictionary batch message without its header');
  const flat = m.flat;
  const id = safeNumber(flat.i64Field(m.header, 0));
  const data = flat.child(m.header, 1);
  const isDelta = flat.u8Field(m.header, 2) !== 0;
  const meta = data === 0 ? null : decodeRecordBatch(flat, data, m.version);
  const body = await messages.body(m.bodyLength);
  const field = schema.fields.find((f) => f.type.dictionary?.id === id);
  if (!field) throw new InputError(`${path}: a dictionary batch of id ${id}, which no column of the schema uses (not a dmareplay Arrow trace)`);
  if (meta === null || meta.nodes.length < 1) throw new StreamError('a dictionary batch without its values');
  if (meta.compressed) throw new InputError(`${path}: a compressed Arrow dictionary batch (a trace's batches are written uncompressed; write it without compression)`);
  const after = new Map(before);
  try {
    after.set(id, DeviceDictionary.from(meta.nodes[0], meta.buffers, body, isDelta ? (before.get(id) ?? null) : null));
  } catch (e) {
    if (e instanceof RangeError) throw new StreamError(e.message); // a buffer not of whole values
    throw e;
  }
  return after;
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
