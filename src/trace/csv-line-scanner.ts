/**
 * The one-pass scanner of canonical CSV lines: each byte of a run of lines is read once, fields
 * are parsed as they are scanned and written straight into the batch. No line string, no split,
 * no second pass over a line's fields. A line it does not accept as perfectly formed is left to
 * the caller (csv-fast-path.ts), which hands it to the general csv-parse validation, so the
 * scanner never reports anything: it only decides "mine" or "not mine".
 *
 * Readable form of what it accepts (exactly what the former split-then-parse scanner accepted):
 *   ts        1..15 decimal digits
 *   guest     empty (0) or 1..15 digits, < MAX_GUESTS
 *   device    any bytes but ',' and '"', not empty; interned, the previous line's id reused
 *             when its bytes and class are the same
 *   class     net | disk
 *   op        map | unmap | access
 *   dir       to_device | from_device | bidirectional; empty only on an unmap
 *   addr      0x + 1..16 significant hex digits -> page (all but the last 3) + offset (last 3);
 *             empty only on an unmap
 *   len       1..15 digits, 1..MAX_LEN; empty only on an unmap; a buffer that might run past
 *             2^64 (page >= WRAP_RISK) is left to the exact check of the slow path
 *   handle    decimal (<= 15 digits) or 0x hex (<= 16 significant digits) -> hi/lo; empty only
 *             on an access (hi = lo = 0xffffffff)
 *   unit      empty (hasUnit 0) or as handle
 *   cpu       (only with the cpu column) empty (0) or digits <= MAX_CPU
 * and exactly that many fields, no quote anywhere, the line ending in '\n' (runs from lineRuns
 * have every line end normalized to '\n').
 */
import { MAX_CPU } from './canonical.js';
import { MAX_LEN } from './row-checks.js';
import { MAX_GUESTS, Op, type DeviceTable, type EventBatch } from '../types/event.js';

/** Lowest page from which a buffer of at most MAX_LEN bytes can run past 2^64 (it spans at most
 * 2^20 + 1 pages): 2^52 - 2^20 - 2, written out (a computed constant costs the scanner speed). */
const WRAP_RISK = 4503599626321918;

const COMMA = 44;
const NL = 10;
const ZERO = 48;
const QUOTE = 34;

/** `scan` could not take the line at `pos` (`lineEnd` says where it ends). */
export const REJECTED = -1;

export class CsvLineScanner {
  /** After `scan` returns REJECTED: the index of the '\n' ending the line it rejected. */
  lineEnd = 0;
  // The previous line's device, to skip interning when the bytes repeat (they nearly always do).
  private lastDevice = Buffer.alloc(256);
  private lastDeviceLen = -1;
  private lastDeviceId = -1;
  private lastDeviceClass = -1;
  // Results of the id parser (instance fields: no allocation per call).
  private hi = 0;
  private lo = 0;
  /** Where the id parser stopped (the byte after the field). */
  private end = 0;

  constructor(
    private readonly devices: DeviceTable,
    private readonly withCpu: boolean,
  ) {}

  /**
   * Parses the line starting at `p` in `b` (it ends with '\n' at or after `p`) into the next row
   * of `batch`, committing it. Returns the index just past the line's '\n', or REJECTED (nothing
   * committed; `lineEnd` then holds its '\n').
   */
  scan(b: Buffer, p: number, batch: EventBatch, line: number): number {
    const s = p;
    let c = 0;
    // ts: 1..15 digits.
    let ts = 0;
    let n = 0;
    while ((c = b[p]) >= ZERO && c <= 57) {
      ts = ts * 10 + (c - ZERO);
      p++;
      n++;
    }
    if (c !== COMMA || n === 0 || n > 15) return this.reject(b, s);
    p++;
    // guest: empty or digits.
    let guest = 0;
    n = 0;
    while ((c = b[p]) >= ZERO && c <= 57) {
      guest = guest * 10 + (c - ZERO);
      p++;
      n++;
    }
    if (c !== COMMA || n > 15 || guest >= MAX_GUESTS) return this.reject(b, s);
    p++;
    // device: kept as a byte range until its class is known.
    const ds = p;
    while ((c = b[p]) !== COMMA && c !== NL && c !== QUOTE) p++;
    const dl = p - ds;
    if (c !== COMMA || dl === 0) return this.reject(b, s);
    p++;
    // class: net | disk.
    let cls = -1;
    if (b[p] === 110 && b[p + 1] === 101 && b[p + 2] === 116 && b[p + 3] === COMMA) {
      cls = 0;
      p += 4;
    } else if (b[p] === 100 && b[p + 1] === 105 && b[p + 2] === 115 && b[p + 3] === 107 && b[p + 4] === COMMA) {
      cls = 1;
      p += 5;
    } else return this.reject(b, s);
    // op: map | unmap | access.
    let op = -1;
    if (b[p] === 109 && b[p + 1] === 97 && b[p + 2] === 112 && b[p + 3] === COMMA) {
      op = Op.map;
      p += 4;
    } else if (b[p] === 117 && b[p + 1] === 110 && b[p + 2] === 109 && b[p + 3] === 97 && b[p + 4] === 112 && b[p + 5] === COMMA) {
      op = Op.unmap;
      p += 6;
    } else if (b[p] === 97 && b[p + 1] === 99 && b[p + 2] === 99 && b[p + 3] === 101 && b[p + 4] === 115 && b[p + 5] === 115 && b[p + 6] === COMMA) {
      op = Op.access;
      p += 7;
    } else return this.reject(b, s);
    const isUnmap = op === Op.unmap;
    // dir: to_device | from_device | bidirectional (told apart by length and first byte, then
    // every byte compared); empty only on an unmap.
    let dir = 0;
    if (b[p] === COMMA) {
      if (!isUnmap) return this.reject(b, s);
      p++;
    } else {
      dir = dirAt(b, p);
      if (dir < 0) return this.reject(b, s);
      p += DIR_LENGTHS[dir] + 1;
    }
    // addr: 0x + hex -> page (all digits but the last 3) + offset (the last 3).
    let page = 0;
    let offset = 0;
    const hasAddr = b[p] !== COMMA;
    if (hasAddr) {
      if (b[p] !== ZERO || (b[p + 1] | 32) !== 120) return this.reject(b, s);
      p += 2;
      let sig = 0;
      let digits = 0;
      for (;;) {
        const d = hexValue((c = b[p]));
        if (d < 0) break;
        if (sig > 0 || d > 0) sig++;
        // Shift the top digit of the 3-digit offset into the page.
        page = page * 16 + (offset >>> 8);
        offset = ((offset & 0xff) << 4) | d;
        digits++;
        p++;
      }
      if (c !== COMMA || digits === 0 || sig > 16) return this.reject(b, s);
    } else if (!isUnmap) return this.reject(b, s);
    p++;
    // len: digits, 1..MAX_LEN; empty only on an unmap.
    let len = 0;
    if (b[p] !== COMMA) {
      n = 0;
      while ((c = b[p]) >= ZERO && c <= 57) {
        len = len * 10 + (c - ZERO);
        p++;
        n++;
      }
      if (c !== COMMA || n > 15 || len <= 0 || len > MAX_LEN) return this.reject(b, s);
      // A buffer that may run past 2^64 is checked exactly, and reported, by the slow path.
      if (hasAddr && page >= WRAP_RISK) return this.reject(b, s);
    } else if (!isUnmap) return this.reject(b, s);
    p++;
    // handle: an id; empty only on an access.
    let hHi = 0xffffffff;
    let hLo = 0xffffffff;
    if (b[p] !== COMMA) {
      if (!this.id(b, p) || b[this.end] !== COMMA) return this.reject(b, s);
      hHi = this.hi;
      hLo = this.lo;
      p = this.end;
    } else if (op !== Op.access) return this.reject(b, s);
    p++;
    // unit: empty or an id; the last field unless the cpu column follows.
    const last = this.withCpu ? COMMA : NL;
    let hasUnit = 0;
    let uHi = 0;
    let uLo = 0;
    if (b[p] !== last) {
      if (!this.id(b, p) || b[this.end] !== last) return this.reject(b, s);
      hasUnit = 1;
      uHi = this.hi;
      uLo = this.lo;
      p = this.end;
    }
    p++;
    // cpu: empty or digits <= MAX_CPU, then the line end.
    let cpu = 0;
    if (this.withCpu) {
      n = 0;
      while ((c = b[p]) >= ZERO && c <= 57) {
        cpu = cpu * 10 + (c - ZERO);
        p++;
        n++;
      }
      if (c !== NL || n > 15 || cpu > MAX_CPU) return this.reject(b, s);
      p++;
    }
    // device: the previous line's id when the bytes and class match, else interned.
    let device: number;
    if (dl === this.lastDeviceLen && cls === this.lastDeviceClass && sameBytes(b, ds, this.lastDevice, dl)) {
      device = this.lastDeviceId;
    } else {
      const name = b.toString('utf8', ds, ds + dl);
      const known = this.devices.idOf(name);
      if (known >= 0 && this.devices.classes[known] !== cls) return this.reject(b, s); // class mismatch: reported by the slow path
      device = known >= 0 ? known : this.devices.intern(name, cls);
      if (dl <= this.lastDevice.length) {
        b.copy(this.lastDevice, 0, ds, ds + dl);
        this.lastDeviceLen = dl;
        this.lastDeviceId = device;
        this.lastDeviceClass = cls;
      } else this.lastDeviceLen = -1;
    }
    const i = batch.length;
    batch.line[i] = line;
    batch.ts[i] = ts;
    batch.guest[i] = guest;
    batch.device[i] = device;
    batch.cls[i] = cls;
    batch.op[i] = op;
    batch.dir[i] = dir;
    batch.page[i] = page;
    batch.offset[i] = offset;
    batch.len[i] = len;
    batch.handleHi[i] = hHi;
    batch.handleLo[i] = hLo;
    batch.hasUnit[i] = hasUnit;
    batch.unitHi[i] = uHi;
    batch.unitLo[i] = uLo;
    batch.commitRow(i, cpu);
    return p;
  }

  /** Not this scanner's line: finds its end for the caller's slow path. */
  private reject(b: Buffer, s: number): number {
    this.lineEnd = b.indexOf(NL, s);
    return REJECTED;
  }

  /**
   * An id at `p`: `0x` + 1..16 significant hex digits into two 32-bit halves, or 1..15 decimal
   * digits. Sets hi, lo and `end` (the byte after its last digit); false for anything else.
   */
  private id(b: Buffer, p: number): boolean {
    let c = b[p];
    if (c === ZERO && (b[p + 1] | 32) === 120) {
      p += 2;
      let hi = 0;
      let lo = 0;
      let sig = 0;
      let digits = 0;
      for (;;) {
        const d = hexValue((c = b[p]));
        if (d < 0) break;
        if (sig > 0 || d > 0) sig++;
        hi = hi * 16 + (lo >>> 28);
        lo = (((lo & 0x0fffffff) << 4) | d) >>> 0;
        digits++;
        p++;
      }
      if (digits === 0 || sig > 16) return false;
      this.hi = hi;
      this.lo = lo;
      this.end = p;
      return true;
    }
    let v = 0;
    let n = 0;
    while ((c = b[p]) >= ZERO && c <= 57) {
      v = v * 10 + (c - ZERO);
      p++;
      n++;
    }
    if (n === 0 || n > 15) return false;
    this.hi = Math.floor(v / 4294967296);
    this.lo = v >>> 0;
    this.end = p;
    return true;
  }
}

const DIR_LENGTHS = [9, 11, 13];
const DIR_WORDS = [Buffer.from('to_device,'), Buffer.from('from_device,'), Buffer.from('bidirectional,')];

/** The direction spelled at `p` and followed by a comma, else -1. */
function dirAt(b: Uint8Array, p: number): number {
  const c = b[p];
  const k = c === 116 ? 0 : c === 102 ? 1 : c === 98 ? 2 : -1;
  if (k < 0) return -1;
  const w = DIR_WORDS[k];
  for (let i = 1; i < w.length; i++) if (b[p + i] !== w[i]) return -1;
  return k;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Whether b[s, s + n) equals w[0, n) (short device names: a loop beats Buffer.compare). */
function sameBytes(b: Uint8Array, s: number, w: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[s + i] !== w[i]) return false;
  return true;
}
