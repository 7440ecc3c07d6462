/**
 * Reads a text file (gunzipping .gz) as large runs of whole lines, for the `ingest` loop to scan
 * in place: one buffer per chunk read instead of one string per line. The lines are exactly
 * those `readline` gives (with `crlfDelay: Infinity`), which the ingest reader used before and
 * whose line numbers users see in problems:
 *   - `\n`, `\r\n` and a lone `\r` each end a line, also when `\r\n` is split across chunks;
 *   - text is UTF-8 (a sequence split across chunks is joined, invalid bytes become U+FFFD), and
 *     an incomplete sequence at the very end of the file is dropped, as readline drops it;
 *   - a last line without a line end is a line; an empty one after the last line end is not;
 *   - a line longer than MAX_LINE_BYTES is not kept: `OVERLONG` stands for it as soon as it is
 *     that long, and its bytes are skipped up to its end, so a file without line ends costs
 *     time in proportion to its size and memory of one line, never more.
 */
import { openReadStream } from '../trace/input-file.js';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';

/** Longest line kept (1 MiB): a real trace line is a few hundred bytes at most. */
export const MAX_LINE_BYTES = 1 << 20;

/** Stands for a line longer than MAX_LINE_BYTES in the runs of `lineRuns`. */
export const OVERLONG: unique symbol = Symbol('line longer than MAX_LINE_BYTES');

/**
 * Opens a file (gunzipping .gz) as a stream of byte chunks; `onProgress` sees the bytes read. A
 * read error or a damaged gzip stream ends the consumer's iteration with that error (the streams
 * are joined by `pipeline`, not `pipe`, which would leave such an error unhandled).
 */
export function openBytes(path: string, onProgress?: (bytesRead: number) => void, chunkBytes?: number): NodeJS.ReadableStream {
  const raw = openReadStream(path, chunkBytes);
  if (onProgress) {
    let bytes = 0;
    raw.on('data', (c: Buffer | string) => onProgress((bytes += c.length)));
  }
  if (!path.endsWith('.gz')) return raw;
  const gunzip = createGunzip(chunkBytes ? { chunkSize: Math.max(64, chunkBytes) } : {});
  pipeline(raw, gunzip, () => {}); // the error, if any, reaches whoever reads `gunzip`
  return gunzip;
}

/**
 * The lines of a byte stream, in runs: each run holds one or more whole lines, every line ending
 * in `\n` and none holding a `\r` (line ends are normalized to `\n`); line `k` of the file is the
 * `k`-th line across the runs, an `OVERLONG` counting as one line. A run is bytes, to be decoded
 * a line at a time as UTF-8 (see `lineText`), except possibly a last line without a line end,
 * which is given decoded. (A line within one chunk is not measured: read in chunks of at most
 * `maxLine` bytes for the cap to be exact.)
 *
 * Splitting bytes and decoding each line alone gives the text readline gives: `\n` and `\r` are
 * never part of a UTF-8 sequence, so decoding is the same on either side of them.
 */
export async function* lineRuns(source: AsyncIterable<Buffer | Uint8Array>, maxLine: number = MAX_LINE_BYTES): AsyncGenerator<Buffer | string | typeof OVERLONG> {
  let carry: Buffer[] = [];
  let carryBytes = 0;
  // Inside a line already reported as OVERLONG: its bytes are dropped up to its end.
  let skipping = false;
  // The previous chunk ended in '\r': a '\n' starting this one belongs to that line end.
  // (readline forgets the '\r' after any chunk; a chunk can only start with a decoded '\n' if
  // it starts with the byte, as nothing is pending in the decoder after a '\r'.)
  let afterCr = false;
  for await (const chunk of source) {
    let b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (afterCr && b.length > 0 && b[0] === 10) b = b.subarray(1);
    afterCr = b.length > 0 && b[b.length - 1] === 13;
    if (skipping || carryBytes > 0) {
      // The line carried over (or being skipped) goes on into this chunk: is it too long now?
      const end = firstLineEnd(b);
      if (!skipping && carryBytes + (end < 0 ? b.length : end) > maxLine) {
        carry = [];
        carryBytes = 0;
        skipping = true;
        yield OVERLONG;
      }
      if (skipping) {
        if (end < 0) continue;
        skipping = false;
        b = b.subarray(end + (b[end] === 13 && b[end + 1] === 10 ? 2 : 1));
      }
    }
    const hasCr = b.indexOf(13) >= 0;
    const last = hasCr ? Math.max(b.lastIndexOf(10), b.lastIndexOf(13)) : b.lastIndexOf(10);
    if (last < 0) {
      if (b.length > 0) {
        carry.push(b);
        carryBytes += b.length;
      }
      if (carryBytes > maxLine) {
        carry = [];
        carryBytes = 0;
        skipping = true;
        yield OVERLONG;
      }
      continue;
    }
    let run = b.subarray(0, last + 1);
    if (carry.length > 0) {
      // Only the line split across chunks is copied, not the whole chunk with it (a copy of
      // every chunk cost the CSV reader 5% of its time).
      const end = firstLineEnd(run);
      const split = end + (run[end] === 13 && run[end + 1] === 10 ? 2 : 1);
      const joined = Buffer.concat([...carry, run.subarray(0, split)]);
      yield hasCr ? crToLf(joined) : joined;
      run = run.subarray(split);
    }
    carry = last + 1 < b.length ? [b.subarray(last + 1)] : [];
    carryBytes = b.length - (last + 1);
    // Carried bytes hold no line end, so a '\r' can only be in this chunk's part.
    if (run.length > 0) yield hasCr ? crToLf(run) : run;
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

/** Index of the first '\n' or '\r' in `b`, or -1. */
function firstLineEnd(b: Buffer): number {
  const lf = b.indexOf(10);
  const cr = b.indexOf(13, 0);
  if (cr < 0) return lf;
  return lf < 0 ? cr : Math.min(lf, cr);
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
