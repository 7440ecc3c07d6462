/**
 * The message framing of an Arrow IPC stream, followed as its bytes go by, to tell a complete
 * stream from one cut short. The message reader (arrow-messages.ts, as apache-arrow's before it)
 * takes the end of the bytes as the end of the stream, so a file whose writer was interrupted
 * between two record batches would read as a valid, shorter trace; only the end-of-stream marker
 * (a message of length 0) says the writer finished.
 *
 * Format (Arrow columnar spec, "Encapsulated message format"): each message is a 0xFFFFFFFF
 * continuation word (absent before Arrow 0.15), an int32 metadata length, that many bytes of a
 * flatbuffer `Message` (whose field 3, `bodyLength`, is an int64), then the body. A length of 0
 * ends the stream. (An Arrow IPC *file* instead ends with its magic bytes, after a footer.) Each
 * message's metadata is checked as it completes, before the reader sees it (`damaged`).
 */

/** Metadata longer than this is not followed (a writer's is a few hundred bytes): the stream is
 * then left to the reader to reject. */
const MAX_METADATA = 16 << 20;

import { fileProblem, metadataProblem } from './arrow-metadata-check.js';

const FILE_MAGIC = Buffer.from('ARROW1');

export class ArrowFraming {
  /** The end-of-stream marker was seen. */
  ended = false;
  /** An Arrow IPC *file* (ARROW1 ... footer ... ARROW1): kept whole (the reader reads a file
   * whole too, arrow-file-messages.ts), complete when it ends with its footer and magic, checked
   * then. */
  fileFormat = false;
  private file: Buffer[] = [];
  private fileChecked = false;
  /** The bytes stopped making sense as messages (the reader says why). */
  lost = false;
  /** Why a message's metadata is not safe to decode (arrow-metadata-check.ts), or null. */
  damaged: string | null = null;
  /** Bytes seen. */
  bytes = 0;
  private state: 'prefix' | 'metadata' | 'body' = 'prefix';
  /** Bytes of the current part still to come (body bytes are only counted). */
  private need = 4;
  private part: Buffer[] = [];
  private partBytes = 0;
  private sawContinuation = false;

  /** Whether the bytes so far are a whole stream (or file). */
  get complete(): boolean {
    return this.fileFormat ? this.fileChecked : this.ended;
  }

  /** Follows one more chunk of the stream. */
  feed(chunk: Uint8Array): void {
    let b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.bytes === 0 && b.length >= FILE_MAGIC.length && b.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) this.fileFormat = true;
    this.bytes += b.length;
    if (this.fileFormat) {
      this.file.push(b);
      this.fileChecked = false;
      // Complete once it ends with the magic after its footer: checked before the reader sees it.
      const tail = b.length >= FILE_MAGIC.length ? b.subarray(-FILE_MAGIC.length) : Buffer.concat(this.file).subarray(-FILE_MAGIC.length);
      if (this.bytes > 18 && tail.equals(FILE_MAGIC)) {
        const whole = Buffer.concat(this.file);
        this.file = [whole];
        this.damaged = fileProblem(whole);
        this.fileChecked = this.damaged === null;
      }
      return;
    }
    while (b.length > 0 && !this.ended && !this.lost) {
      if (this.state === 'body') {
        const n = Math.min(this.need, b.length);
        this.need -= n;
        b = b.subarray(n);
        if (this.need === 0) this.next('prefix', 4);
        continue;
      }
      const n = Math.min(this.need, b.length);
      this.part.push(b.subarray(0, n));
      this.partBytes += n;
      this.need -= n;
      b = b.subarray(n);
      if (this.need > 0) continue;
      const whole = Buffer.concat(this.part, this.partBytes);
      this.part = [];
      this.partBytes = 0;
      if (this.state === 'prefix') this.prefix(whole.readInt32LE(0));
      else this.metadata(whole);
    }
  }

  private prefix(word: number): void {
    if (word === -1 && !this.sawContinuation) {
      this.sawContinuation = true; // the length follows
      this.need = 4;
      return;
    }
    this.sawContinuation = false;
    if (word === 0) this.ended = true;
    else if (word < 0 || word > MAX_METADATA) this.lost = true;
    else this.next('metadata', word);
  }

  private metadata(meta: Buffer): void {
    const body = bodyLength(meta);
    if (body !== null) this.damaged = metadataProblem(meta, body);
    if (body === null || this.damaged !== null) this.lost = true;
    else if (body === 0) this.next('prefix', 4);
    else this.next('body', body);
  }

  private next(state: ArrowFraming['state'], need: number): void {
    this.state = state;
    this.need = need;
  }
}

/** `Message.bodyLength` of a flatbuffer-encoded Message, or null when the bytes are not one. */
function bodyLength(meta: Buffer): number | null {
  const u32 = (at: number) => (at >= 0 && at + 4 <= meta.length ? meta.readUInt32LE(at) : -1);
  const root = u32(0);
  if (root < 0 || root + 4 > meta.length) return null;
  const vtable = root - meta.readInt32LE(root);
  if (vtable < 0 || vtable + 4 > meta.length) return null;
  const vtableLength = meta.readUInt16LE(vtable);
  const slot = vtable + 4 + 2 * 3; // field 3
  if (vtableLength < 4 + 2 * 4 || slot + 2 > meta.length) return 0; // absent: the default, 0
  const offset = meta.readUInt16LE(slot);
  if (offset === 0) return 0;
  if (root + offset + 8 > meta.length) return null;
  const length = meta.readBigInt64LE(root + offset);
  return length >= 0n && length <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(length) : null;
}
