/**
 * The fast path of the CSV reader, for files whose header is exactly the canonical one: lines are
 * scanned as bytes straight into the batch, no strings for numbers, no per-line objects. Any line
 * it does not fully understand (a quote, a bad field, a non-numeric id, a wrong field count, a
 * buffer wrapping past 2^64, ...) is handed to the same csv-parse + CsvRowParser validation as the
 * general path (csv-parse-path.ts), so both paths give the same events and the same diagnostics.
 *
 * Readable form of the per-line work: split at the 9 commas; ts, guest, len digits; class, op,
 * dir by their words; addr `0x` hex into page + offset; handle and unit decimal or hex into
 * hi/lo; device name interned, reusing the previous line's when the bytes are the same.
 */
import { parse as parseSync } from 'csv-parse/sync';
import { CANONICAL_COLUMNS, MAX_CPU } from './canonical.js';
import { endsInsideQuotes, type ColumnIndex, type CsvRowParser, type RowCounts } from './csv-row.js';
import { MAX_LEN } from './row-checks.js';
import { EventBatch, MAX_GUESTS, Op, type DeviceTable } from '../types/event.js';
import { MAX_LINE_BYTES, OVERLONG } from '../ingest/line-reader.js';

/**
 * The batches of a canonical file's lines (runs of whole lines from `lineRuns`, line 1 the
 * header). Batches are reused: one is valid until the generator resumes.
 */
export async function* fastBatches(rows: CsvRowParser, counts: RowCounts, runs: AsyncIterable<Buffer | string | typeof OVERLONG>, withCpu: boolean, capacity?: number): AsyncGenerator<EventBatch> {
  const columns = rows.readHeader(withCpu ? [...CANONICAL_COLUMNS, 'cpu'] : [...CANONICAL_COLUMNS]);
  const batch = new EventBatch(capacity);
  const scan = new FastLine(rows.devices, withCpu);
  let lineNo = 0;
  for await (const item of runs) {
    if (item === OVERLONG) {
      lineNo++;
      counts.rowsRead++;
      rows.reportLongLine(lineNo, MAX_LINE_BYTES);
      continue;
    }
    const run = typeof item === 'string' ? Buffer.from(item) : item;
    // Every line of a run ends in '\n' (lineRuns turned '\r\n' and lone '\r' into it).
    for (let start = 0; start < run.length; ) {
      const nl = run.indexOf(10, start);
      lineNo++;
      if (lineNo > 1 && nl > start) {
        counts.rowsRead++;
        if (scan.parse(run, start, nl, batch, lineNo) || slowLine(rows, run, start, nl, lineNo, columns, batch)) counts.rowsAccepted++;
        if (batch.length === batch.capacity) {
          yield batch; // consumed before the generator resumes: the batch is reused
          batch.length = 0;
        }
      }
      start = nl + 1;
    }
  }
  if (batch.length > 0) yield batch;
}

/** One line the scanner did not accept, through the general validation (and its messages). */
function slowLine(rows: CsvRowParser, b: Buffer, s: number, e: number, line: number, c: ColumnIndex, batch: EventBatch): boolean {
  if (endsInsideQuotes(b, s, e)) {
    rows.reportOpenQuote(line);
    return false;
  }
  let fields: string[];
  try {
    // The line holds no line end, so csv-parse finds at most one record in it.
    const records = parseSync(b.toString('utf8', s, e), { relax_quotes: true, relax_column_count: true, bom: false }) as string[][];
    fields = records[0] ?? [''];
  } catch (err) {
    rows.diagnostics.report(rows.path, line, 'malformed-csv', `malformed CSV (${(err as Error).message})`);
    return false;
  }
  return rows.parseRow(fields, line, c, batch);
}

/** Lowest page from which a buffer of at most MAX_LEN bytes can run past 2^64 (it spans at most
 * 2^20 + 1 pages): 2^52 - 2^20 - 2, written out: a computed constant or a call here costs the
 * scanner a third of its speed (V8 then optimizes parse() less). */
const WRAP_RISK = 4503599626321918;

const C_COMMA = 44;
const C_0 = 48;
const C_9 = 57;
const C_QUOTE = 34;

/**
 * The byte-level scanner of one canonical line. Returns false, having written nothing, for any
 * line it does not accept as perfectly formed; the reader then validates that line the slow way.
 */
class FastLine {
  /** Field boundaries: start of field k at starts[k], end at ends[k]. */
  private readonly starts = new Int32Array(11);
  private readonly ends = new Int32Array(11);
  /** Index of the last field: 9, or 10 with the `cpu` column. */
  private readonly lastField: number;
  private lastDevice = Buffer.alloc(256);
  private lastDeviceLen = -1;
  private lastDeviceId = -1;
  private lastDeviceClass = -1;
  // Results of the small parsers (fields of the instance: no allocation).
  private hi = 0;
  private lo = 0;

  constructor(
    private readonly devices: DeviceTable,
    withCpu: boolean,
  ) {
    this.lastField = withCpu ? 10 : 9;
  }

  parse(b: Buffer, s: number, e: number, batch: EventBatch, line: number): boolean {
    // 1. Split at commas: exactly 10 fields (11 with cpu), no quotes.
    const last = this.lastField;
    let k = 0;
    this.starts[0] = s;
    for (let i = s; i < e; i++) {
      const ch = b[i];
      if (ch === C_COMMA) {
        if (k === last) return false;
        this.ends[k] = i;
        this.starts[++k] = i + 1;
      } else if (ch === C_QUOTE) return false;
    }
    if (k !== last) return false;
    this.ends[last] = e;
    const st = this.starts;
    const en = this.ends;
    // 2. Fields.
    const ts = digits(b, st[0], en[0]);
    if (ts < 0) return false;
    let guest = 0;
    if (en[1] > st[1]) {
      guest = digits(b, st[1], en[1]);
      if (guest < 0 || guest >= MAX_GUESTS) return false;
    }
    const cls = word(b, st[3], en[3], CLASS_WORDS);
    if (cls < 0) return false;
    const op = word(b, st[4], en[4], OP_WORDS);
    if (op < 0) return false;
    const isUnmap = op === Op.unmap;
    let dir = 0;
    if (en[5] > st[5]) {
      dir = word(b, st[5], en[5], DIR_WORDS);
      if (dir < 0) return false;
    } else if (!isUnmap) return false;
    let page = 0;
    let offset = 0;
    const hasAddr = en[6] > st[6];
    if (hasAddr) {
      if (!this.hex(b, st[6], en[6], 3)) return false;
      page = this.hi;
      offset = this.lo;
    } else if (!isUnmap) return false;
    let len = 0;
    if (en[7] > st[7]) {
      len = digits(b, st[7], en[7]);
      if (len <= 0 || len > MAX_LEN) return false;
      // A buffer that may run past 2^64 is checked exactly, and reported, by the slow path.
      if (hasAddr && page >= WRAP_RISK) return false;
    } else if (!isUnmap) return false;
    const hasHandle = en[8] > st[8];
    if (!hasHandle && op !== Op.access) return false;
    let hHi = 0xffffffff;
    let hLo = 0xffffffff;
    if (hasHandle) {
      if (!this.id(b, st[8], en[8])) return false;
      hHi = this.hi;
      hLo = this.lo;
    }
    let hasUnit = 0;
    let uHi = 0;
    let uLo = 0;
    if (en[9] > st[9]) {
      if (!this.id(b, st[9], en[9])) return false;
      hasUnit = 1;
      uHi = this.hi;
      uLo = this.lo;
    }
    // 3. Device: the previous line's when the bytes match, else interned.
    const ds = st[2];
    const dl = en[2] - ds;
    if (dl === 0) return false;
    let device: number;
    if (dl === this.lastDeviceLen && this.lastDeviceClass === cls && sameBytes(b, ds, this.lastDevice, dl)) {
      device = this.lastDeviceId;
    } else {
      const name = b.toString('utf8', ds, ds + dl);
      const known = this.devices.idOf(name);
      if (known >= 0 && this.devices.classes[known] !== cls) return false; // class mismatch: reported by the slow path
      device = known >= 0 ? known : this.devices.intern(name, cls);
      if (dl <= this.lastDevice.length) {
        b.copy(this.lastDevice, 0, ds, ds + dl);
        this.lastDeviceLen = dl;
        this.lastDeviceId = device;
        this.lastDeviceClass = cls;
      } else this.lastDeviceLen = -1;
    }
    // 4. The row.
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
    let cpu = 0;
    if (last === 10 && en[10] > st[10]) {
      cpu = digits(b, st[10], en[10]);
      if (cpu < 0 || cpu > MAX_CPU) return false;
    }
    batch.commitRow(i, cpu);
    return true;
  }

  /**
   * `0x` + hex digits into (hi, lo): with lowDigits = 3 an address as page (hi) + offset (lo),
   * with lowDigits = 8 an id as two 32-bit halves. At most 16 significant digits.
   */
  private hex(b: Buffer, s: number, e: number, lowDigits: number): boolean {
    if (e - s < 3 || b[s] !== C_0 || (b[s + 1] | 32) !== 120) return false;
    let start = s + 2;
    while (start < e - 1 && b[start] === C_0) start++;
    if (e - start > 16) return false;
    const split = Math.max(start, e - lowDigits);
    let hi = 0;
    let lo = 0;
    for (let i = start; i < e; i++) {
      const d = hexValue(b[i]);
      if (d < 0) return false;
      if (i < split) hi = hi * 16 + d;
      else lo = lo * 16 + d;
    }
    this.hi = hi;
    this.lo = lo;
    return true;
  }

  /** A decimal (<= 15 digits) or `0x` hex id into (hi, lo); false for anything else. */
  private id(b: Buffer, s: number, e: number): boolean {
    if (e - s > 2 && b[s] === C_0 && (b[s + 1] | 32) === 120) return this.hex(b, s, e, 8);
    const v = digits(b, s, e);
    if (v < 0) return false;
    this.hi = Math.floor(v / 4294967296);
    this.lo = v >>> 0;
    return true;
  }
}

/** Plain decimal digits (1..15 of them) -> value, else -1. */
function digits(b: Buffer, s: number, e: number): number {
  const n = e - s;
  if (n <= 0 || n > 15) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c < C_0 || c > C_9) return -1;
    v = v * 10 + (c - C_0);
  }
  return v;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const CLASS_WORDS = [Buffer.from('net'), Buffer.from('disk')];
const OP_WORDS = [Buffer.from('map'), Buffer.from('unmap'), Buffer.from('access')];
const DIR_WORDS = [Buffer.from('to_device'), Buffer.from('from_device'), Buffer.from('bidirectional')];

/** Index of the word in `words` that the bytes [s, e) spell, else -1. */
function word(b: Buffer, s: number, e: number, words: readonly Buffer[]): number {
  const n = e - s;
  for (let k = 0; k < words.length; k++) {
    const w = words[k];
    if (w.length !== n) continue;
    let same = true;
    for (let i = 0; i < n; i++) {
      if (b[s + i] !== w[i]) {
        same = false;
        break;
      }
    }
    if (same) return k;
  }
  return -1;
}

/** Whether b[s, s + n) equals w[0, n) (short device names: a loop beats Buffer.compare). */
function sameBytes(b: Buffer, s: number, w: Buffer, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[s + i] !== w[i]) return false;
  return true;
}
