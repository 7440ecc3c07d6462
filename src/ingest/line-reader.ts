/**
 * Reads a text file (gunzipping .gz) as large runs of whole lines, for the `ingest` loop to scan
 * in place: one buffer per chunk read instead of one string per line. The lines are exactly
 * those `readline` gives (with `crlfDelay: Infinity`), which the ingest reader used before and
 * whose line numbers users see in problems:
 *   - `\n`, `\r\n` and a lone `\r` each end a line, also when `\r\n` is split across chunks;
 *   - text is UTF-8 (a sequence split across chunks is joined, invalid bytes become U+FFFD), and
 *     an incomplete sequence at the very end of the file is dropped, as readline drops it;
 *   - a last line without a line end is a line; an empty one after the last line end is not.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';

/** Opens a file (gunzipping .gz) as a stream of byte chunks; `onProgress` sees the bytes read. */
export function openBytes(path: string, onProgress?: (bytesRead: number) => void, chunkBytes?: number): NodeJS.ReadableStream {
  const raw = createReadStream(path, chunkBytes ? { highWaterMark: chunkBytes } : {});
  if (onProgress) {
    let bytes = 0;
    raw.on('data', (c: Buffer | string) => onProgress((bytes += c.length)));
  }
  return path.endsWith('.gz') ? raw.pipe(createGunzip(chunkBytes ? { chunkSize: Math.max(64, chunkBytes) } : {})) : raw;
}

/**
 * The lines of a byte stream, in runs: each run holds one or more whole lines, every line ending
 * in `\n` and none holding a `\r` (line ends are normalized to `\n`); line `k` of the file is the
 * `k`-th line across the runs. A run is bytes, to be decoded a line at a time as UTF-8 (see
 * `lineText`), except possibly a last line without a line end, which is given decoded.
 *
 * Splitting bytes and decoding each line alone gives the text readline gives: `\n` and `\r` are
 * never part of a UTF-8 sequence, so decoding is the same on either side of them.
 */
export async function* lineRuns(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer | string> {
  let carry: Buffer[] = [];
  // The previous chunk ended in '\r': a '\n' starting this one belongs to that line end.
  // (readline forgets the '\r' after any chunk; a chunk can only start with a decoded '\n' if
  // it starts with the byte, as nothing is pending in the decoder after a '\r'.)
  let afterCr = false;
  for await (const chunk of source) {
    let b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (afterCr && b.length > 0 && b[0] === 10) b = b.subarray(1);
    afterCr = b.length > 0 && b[b.length - 1] === 13;
    const hasCr = b.indexOf(13) >= 0;
    const last = hasCr ? Math.max(b.lastIndexOf(10), b.lastIndexOf(13)) : b.lastIndexOf(10);
    if (last < 0) {
      if (b.length > 0) carry.push(b);
      continue;
    }
    const run = carry.length > 0 ? Buffer.concat([...carry, b.subarray(0, last + 1)]) : b.subarray(0, last + 1);
    carry = last + 1 < b.length ? [b.subarray(last + 1)] : [];
    // Carried bytes hold no line end, so a '\r' can only be in this chunk's part.
    yield hasCr ? crToLf(run) : run;
  }
  if (carry.length > 0) {
    // A last line without a line end. The decoder keeps back an incomplete UTF-8 sequence at its
    // end and, as with readline, nothing asks for it.
    const last = Buffer.concat(carry);
    if (isAscii(last)) yield Buffer.concat([last, LF]);
    else {
      const text = new StringDecoder('utf8').write(last);
      if (text.length > 0) yield text + '\n';
    }
  }
}

const LF = Buffer.from('\n');

/** The text of the line `run[start, end)`: latin1 is UTF-8's decoding for ASCII, and faster. */
export function lineText(run: Buffer, start: number, end: number, ascii: boolean): string {
  return run.toString(ascii ? 'latin1' : 'utf8', start, end);
}

/** `\r\n` and lone `\r` -> `\n`, in a copy. */
function crToLf(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  let j = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 13) {
      out[j++] = 10;
      if (i + 1 < b.length && b[i + 1] === 10) i++;
    } else out[j++] = c;
  }
  return out.subarray(0, j);
}
