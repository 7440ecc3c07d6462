/**
 * The messages of an Arrow IPC stream, taken from the file's chunks as they come: each message's
 * metadata (a flatbuffer) and, when asked for, its body, both views on the chunk that holds them
 * (copied only when a message straddles two chunks, or its body would not be 8-byte aligned, as
 * the typed arrays over it must be). Memory stays one chunk and one message.
 *
 * Framing (Arrow columnar spec, "Encapsulated message format"): an optional 0xFFFFFFFF
 * continuation word, an int32 metadata length, the metadata, then the body. A stream that stops
 * part-way is reported in the words apache-arrow's reader used (the reader's errors are pinned by
 * tests): a length of 0, or bytes that stop inside the length words or right after them, end the
 * messages; metadata or a body cut short is "Expected to read N ... bytes, but only read M.".
 */
import { Flat, FlatError, safeNumber } from './arrow-flat.js';
import { metadataProblem } from './arrow-metadata-check.js';

export const enum MessageType {
  Schema = 1,
  DictionaryBatch = 2,
  RecordBatch = 3,
}

export interface ArrowMessage {
  type: number;
  flat: Flat;
  /** The header table (Schema, RecordBatch or DictionaryBatch), 0 when absent. */
  header: number;
  bodyLength: number;
  /** Message.fbs `MetadataVersion` (V1 0 .. V5 4). */
  version: number;
}

/** Metadata longer than this is not gathered (a writer's is a few hundred bytes; the framing
 * calls such a stream lost): its bytes are only counted, to say how far the stream went. */
const MAX_METADATA = 16 << 20;

const FILE_MAGIC = Buffer.from('ARROW1');

/** A problem with the stream's bytes, reported as `not an Arrow IPC stream (reason)`. */
export class StreamError extends Error {}

/** Where the reader takes its messages from: a stream's bytes in order (ArrowMessages), or an
 * Arrow IPC file's blocks as its footer lists them (arrow-file-messages.ts). */
export interface MessageSource {
  next(): Promise<ArrowMessage | null>;
  body(length: number): Promise<Uint8Array>;
}

export class ArrowMessages implements MessageSource {
  private chunk: Buffer = Buffer.alloc(0);
  private at = 0;
  private done = false;
  private readonly it: AsyncIterator<Buffer>;

  constructor(chunks: AsyncIterable<Buffer>) {
    this.it = chunks[Symbol.asyncIterator]();
  }

  /** Whether the bytes are an Arrow IPC *file* (ARROW1, padding to 8 bytes, a stream, a
   * footer): then its magic is passed over, and its messages read as a stream's. */
  async skipFileMagic(): Promise<boolean> {
    const head = await this.read(8);
    if (head.length === 8 && head.subarray(0, 6).equals(FILE_MAGIC)) return true;
    // Not a file: the bytes are a stream's, read again from the start.
    this.chunk = Buffer.concat([head, this.chunk.subarray(this.at)]);
    this.at = 0;
    return false;
  }

  /** The next message's metadata, or null at the end of the messages. */
  async next(): Promise<ArrowMessage | null> {
    let length = await this.word();
    if (length === -1) length = await this.word();
    if (length === 0 || length < 0) return null;
    if (length > MAX_METADATA) {
      const got = await this.skip(length);
      if (got === 0) return null;
      throw new StreamError(got < length ? `Expected to read ${length} metadata bytes, but only read ${got}.` : `a message of ${length} bytes of metadata`);
    }
    const meta = await this.read(length);
    if (meta.length === 0) return null;
    if (meta.length < length) throw new StreamError(`Expected to read ${length} metadata bytes, but only read ${meta.length}.`);
    // The metadata is kept past the next read: a copy when it is a view on a chunk.
    const flat = new Flat(Buffer.from(meta));
    try {
      const root = flat.root();
      const type = flat.u8Field(root, 1);
      const header = flat.child(root, 2);
      const bodyLength = safeNumber(flat.i64Field(root, 3));
      // The framing checked every message it followed; this one may lie where it did not (in
      // the body of a schema message, which is not read): checked here, so no decode loops on it.
      const problem = metadataProblem(flat.b, bodyLength);
      if (problem !== null) throw new StreamError(problem);
      return { type, flat, header, bodyLength, version: flat.i16Field(root, 0) };
    } catch (e) {
      if (e instanceof FlatError) throw new StreamError(e.message);
      throw e;
    }
  }

  /** The body of the message just read: `length` bytes, 8-byte aligned. Valid until the next
   * call of next() or body(). */
  async body(length: number): Promise<Uint8Array> {
    if (length <= 0) return new Uint8Array(0);
    const b = await this.read(length);
    if (b.length < length) throw new StreamError(`Expected to read ${length} bytes for message body, but only read ${b.length}.`);
    if (b.byteOffset % 8 === 0) return b;
    const aligned = new Uint8Array(length);
    aligned.set(b);
    return aligned;
  }

  /** Every byte not read yet, in one buffer (an Arrow IPC file is read whole, its footer last). */
  async rest(): Promise<Buffer> {
    const parts: Buffer[] = [this.chunk.subarray(this.at)];
    while (!this.done) {
      await this.fill();
      parts.push(this.chunk);
    }
    this.at = this.chunk.length;
    return Buffer.concat(parts);
  }

  /** The rest of the stream, unread (a well-formed stream has none left after its end marker). */
  async drain(): Promise<void> {
    while (!this.done) await this.fill();
  }

  /** An int32 length word; bytes that stop inside it read as 0s (so a partial word ends the
   * messages, with nothing after it to read). */
  private async word(): Promise<number> {
    const b = await this.read(4);
    if (b.length === 4) return b.readInt32LE(0);
    let v = 0;
    for (let k = 0; k < b.length; k++) v |= b[k] << (8 * k);
    return v === 0 ? 0 : -2; // nothing follows a partial word: the messages end
  }

  /** Up to `n` bytes (fewer only at the end of the stream): a view when one chunk holds them. */
  private async read(n: number): Promise<Buffer> {
    if (this.chunk.length - this.at >= n) {
      const view = this.chunk.subarray(this.at, this.at + n);
      this.at += n;
      return view;
    }
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      if (this.at === this.chunk.length) {
        if (this.done) break;
        await this.fill();
        continue;
      }
      const take = Math.min(n - got, this.chunk.length - this.at);
      parts.push(this.chunk.subarray(this.at, this.at + take));
      this.at += take;
      got += take;
    }
    // Buffer.alloc's memory is its own (never a pool slice): offset 0, so 8-byte aligned.
    const out = Buffer.alloc(got);
    let k = 0;
    for (const p of parts) {
      out.set(p, k);
      k += p.length;
    }
    return out;
  }

  /** Counts up to `n` bytes without keeping them. */
  private async skip(n: number): Promise<number> {
    let got = 0;
    while (got < n) {
      if (this.at === this.chunk.length) {
        if (this.done) break;
        await this.fill();
        continue;
      }
      const take = Math.min(n - got, this.chunk.length - this.at);
      this.at += take;
      got += take;
    }
    return got;
  }

  private async fill(): Promise<void> {
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      this.chunk = Buffer.alloc(0);
    } else this.chunk = r.value;
    this.at = 0;
  }
}
