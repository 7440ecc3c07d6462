/**
 * Streaming reader of canonical CSV traces: bytes -> csv-parse records -> validated rows in
 * reusable EventBatches. The file is read once, in chunks; memory is a few batches. Every
 * rejected row becomes a `file:line: reason` problem and the reading goes on.
 *
 * A `.gz` file is decompressed on the fly.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { parse, type Parser, type Options as CsvOptions, type InfoRecord, type CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { CANONICAL_HEADER } from './canonical.js';
import { readArrowTrace } from './arrow-trace.js';
import { alignDmaGroups } from './dma-groups.js';
import { CANONICAL_COLUMNS, CANONICAL_HEADER_WITH_CPU, MAX_CPU, OPTIONAL_COLUMNS, REQUIRED_COLUMNS } from './canonical.js';
import { parseDecimal, parseHexAddress, parseId, type ParsedAddress, type ParsedId } from './fields.js';
import { Diagnostics } from './diagnostics.js';
import { DeviceClass, Dir, EventBatch, DeviceTable, MAX_GUESTS, Op } from '../types/event.js';
import { InputError } from '../util/errors.js';
import { closestName } from '../util/closest.js';

const MAX_TS = Number.MAX_SAFE_INTEGER;
/** Longest buffer accepted: 4 GiB - 1 (a DMA length is a 32-bit quantity in every API we read). */
const MAX_LEN = 0xffffffff;

const OPS: Record<string, number> = { map: Op.map, unmap: Op.unmap, access: Op.access };
const DIRS: Record<string, number> = { to_device: Dir.to_device, from_device: Dir.from_device, bidirectional: Dir.bidirectional };
const CLASSES: Record<string, number> = { net: DeviceClass.net, disk: DeviceClass.disk };

/** Column positions in the file, -1 when absent. */
interface ColumnIndex {
  ts: number;
  guest: number;
  device: number;
  cls: number;
  op: number;
  dir: number;
  addr: number;
  len: number;
  handle: number;
  unit: number;
  /** The optional `cpu` column, -1 when absent. */
  cpu: number;
  width: number;
}

export interface ReadOptions {
  batchCapacity?: number;
  /** Read from this instead of the file (tests, stdin); `path` then only names it in messages. */
  source?: AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  /** Called after each chunk with the bytes read so far. */
  onProgress?: (bytesRead: number) => void;
  /** Use the purpose-built scanner for exactly-canonical files (default true; false forces
   * csv-parse, which the equivalence tests compare against). */
  fast?: boolean;
}

/**
 * Reads one canonical CSV file as a stream of batches. Batches are reused: a batch is only valid
 * until the generator is resumed.
 * @throws InputError when the file cannot be read at all (missing, a directory, no header).
 */
export class CanonicalCsvReader {
  readonly devices = new DeviceTable();
  /** Data rows seen (good and rejected). */
  rowsRead = 0;
  rowsAccepted = 0;

  constructor(
    readonly path: string,
    readonly diagnostics: Diagnostics,
    private readonly options: ReadOptions = {},
  ) {}

  /** The trace's rows in batches; the segment rows of one scatter-gather DMA always share a
   * batch (dma-groups.ts). */
  batches(): AsyncGenerator<EventBatch> {
    return alignDmaGroups(this.readBatches());
  }

  private async *readBatches(): AsyncGenerator<EventBatch> {
    if (!this.options.source) await checkReadable(this.path);
    // The binary path: Arrow IPC traces come in typed record batches, nothing to parse.
    if (!this.options.source && this.path.endsWith('.arrow')) {
      yield* readArrowTrace(this.path, this.devices, this.diagnostics, this);
      return;
    }
    let source: AsyncIterable<Buffer | string>;
    const given = this.options.source;
    if (given) source = Symbol.asyncIterator in given ? given : (async function* () { yield* given as Iterable<Buffer | string>; })();
    else {
      // 1 MiB reads: with the default 64 KiB, syscalls and chunk handling cost as much as parsing.
      const raw = createReadStream(this.path, { highWaterMark: 1 << 20 });
      source = this.path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    }
    const it = source[Symbol.asyncIterator]();
    // Read until the header line is complete, then choose: the fast scanner for files whose
    // header is exactly the canonical one, csv-parse for everything else.
    const head: Buffer[] = [];
    let headBytes = 0;
    try {
      for (;;) {
        const n = await it.next();
        if (n.done) break;
        const chunk = typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
        head.push(chunk);
        headBytes += chunk.length;
        if (chunk.includes(10) || headBytes > 1 << 20) break;
      }
    } catch (e) {
      throw gzipError(this.path, e);
    }
    const first = Buffer.concat(head);
    const fastHeader = this.options.fast === false ? null : canonicalHeaderOf(first);
    if (fastHeader !== null) {
      yield* this.fastBatches(first, it, fastHeader.withCpu);
    } else {
      yield* this.csvParseBatches(first, it);
    }
  }

  /** The general path: csv-parse, any column order, quoting, extra columns. */
  private async *csvParseBatches(first: Buffer, it: AsyncIterator<Buffer | string>): AsyncGenerator<EventBatch> {
    const capacity = this.options.batchCapacity ?? undefined;
    const pool: EventBatch[] = [];
    const ready: EventBatch[] = [];
    let current = new EventBatch(capacity);
    let columns: ColumnIndex | null = null;
    let headerSeen = false;
    const addr: ParsedAddress = { page: 0, offset: 0 };
    const id: ParsedId = { hi: 0, lo: 0 };
    const file = this.path;
    const diag = this.diagnostics;

    // Errors thrown inside csv-parse callbacks would be swallowed by it: keep the first here.
    let fatal: Error | null = null;
    const onRecord = (fields: string[], line: number): void => {
      if (fatal) return;
      if (!headerSeen) {
        headerSeen = true;
        try {
          columns = this.readHeader(fields);
        } catch (e) {
          fatal = e as Error;
        }
        return;
      }
      this.rowsRead++;
      let accepted = false;
      try {
        accepted = this.parseRow(fields, line, columns!, current, addr, id);
      } catch (e) {
        fatal = e as Error; // --strict: the first problem ends the read
        return;
      }
      if (accepted) {
        this.rowsAccepted++;
        if (current.length === current.capacity) {
          ready.push(current);
          current = pool.pop() ?? new EventBatch(capacity);
          current.length = 0;
        }
      }
    };

    const csvOptions: CsvOptions = {
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_record: (record: string[], ctx: InfoRecord) => {
        onRecord(record, ctx.lines);
        return null; // nothing is pushed downstream: rows go straight into batches
      },
      on_skip: (err: CsvError | undefined) => {
        if (fatal) return undefined;
        if (!headerSeen) {
          headerSeen = true;
          fatal = new InputError(`${file}:1: unreadable header line (${err?.message ?? 'malformed CSV'}); the header must be: ${CANONICAL_COLUMNS.join(',')}`);
          return undefined;
        }
        const line = (err as { lines?: number } | undefined)?.lines ?? 0;
        try {
          diag.report(file, line, 'malformed-csv', `malformed CSV (${err?.message ?? 'unreadable record'})`);
        } catch (e) {
          fatal = e as Error;
        }
        return undefined;
      },
    };
    const parser: Parser = parse(csvOptions);
    let parseError: Error | null = null;
    parser.on('error', (e) => (parseError = e));
    parser.resume();

    const onProgress = this.options.onProgress;
    let bytesRead = 0;
    try {
      const feed = async function* () {
        if (first.length > 0) yield first;
        for (;;) {
          const n = await it.next();
          if (n.done) return;
          yield n.value;
        }
      };
      for await (const chunk of feed()) {
        parser.write(chunk);
        if (fatal) throw fatal;
        bytesRead += chunk.length;
        if (onProgress) onProgress(bytesRead);
        if (parseError) throw parseError;
        while (ready.length > 0) {
          const b = ready.shift()!;
          yield b;
          b.length = 0;
          pool.push(b);
        }
      }
    } catch (e) {
      throw gzipError(file, e);
    }
    parser.end();
    if (fatal) throw fatal;
    if (parseError) throw parseError;
    if (!headerSeen) throw new InputError(`${file}: empty file (no header line; expected: ${CANONICAL_COLUMNS.join(',')})`);
    while (ready.length > 0) yield ready.shift()!;
    if (current.length > 0) yield current;
  }

  /**
   * The fast path, for files whose header is exactly the canonical one: lines are scanned as
   * bytes straight into the batch, no strings for numbers, no per-line objects. Any line it does
   * not fully understand (a quote, a bad field, a non-numeric id, a wrong field count, ...) is
   * handed to the same csv-parse + parseRow validation as the general path, so both paths give
   * the same events and the same diagnostics (a quoted field spanning lines is the exception:
   * here quotes are parsed within one line).
   *
   * Readable form of the per-line work: split at the 9 commas; ts, guest, len digits; class, op,
   * dir by their words; addr `0x` hex into page + offset; handle and unit decimal or hex into
   * hi/lo; device name interned, reusing the previous line's when the bytes are the same.
   */
  private async *fastBatches(first: Buffer, it: AsyncIterator<Buffer | string>, withCpu: boolean): AsyncGenerator<EventBatch> {
    const capacity = this.options.batchCapacity ?? undefined;
    const columns = this.readHeader(withCpu ? [...CANONICAL_COLUMNS, 'cpu'] : [...CANONICAL_COLUMNS]);
    const current = new EventBatch(capacity);
    const addr: ParsedAddress = { page: 0, offset: 0 };
    const id: ParsedId = { hi: 0, lo: 0 };
    const onProgress = this.options.onProgress;
    let bytesRead = first.length;
    let lineNo = 0;
    let carry: Buffer | null = null;
    let headerDone = false;
    const scan = new FastLine(this, withCpu);
    let chunk: Buffer | null = first;
    try {
      while (chunk !== null) {
        let buf: Buffer = chunk;
        let start = 0;
        if (carry) {
          // Only the line split across the chunk boundary is copied, not the whole chunk.
          const nl = chunk.indexOf(10);
          if (nl < 0) buf = Buffer.concat([carry, chunk]);
          else {
            const joined = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
            lineNo++;
            if (!headerDone) headerDone = true;
            else this.fastLine(joined, 0, joined.length - 1, lineNo, columns, current, addr, id, scan);
            if (current.length === current.capacity) {
              yield current;
              current.length = 0;
            }
            start = nl + 1;
          }
          carry = null;
        }
        for (;;) {
          const nl = buf.indexOf(10, start);
          if (nl < 0) break;
          lineNo++;
          if (!headerDone) headerDone = true;
          else this.fastLine(buf, start, nl, lineNo, columns, current, addr, id, scan);
          if (current.length === current.capacity) {
            yield current; // consumed before the generator resumes: the batch is reused
            current.length = 0;
          }
          start = nl + 1;
        }
        if (start < buf.length) carry = buf.subarray(start);
        if (onProgress) onProgress(bytesRead);
        const n = await it.next();
        if (n.done) chunk = null;
        else {
          chunk = typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
          bytesRead += chunk.length;
        }
      }
    } catch (e) {
      throw gzipError(this.path, e);
    }
    if (carry && carry.length > 0) {
      lineNo++;
      if (!headerDone) headerDone = true;
      else this.fastLine(carry, 0, carry.length, lineNo, columns, current, addr, id, scan);
    }
    if (current.length > 0) yield current;
  }

  /** One line [s, e) of the fast path (e = index of its '\n' or the end). */
  private fastLine(b: Buffer, s: number, e: number, line: number, c: ColumnIndex, batch: EventBatch, addr: ParsedAddress, id: ParsedId, scan: FastLine): void {
    if (e > s && b[e - 1] === 13) e--; // \r\n
    if (e === s) return; // empty line, as csv-parse's skip_empty_lines
    this.rowsRead++;
    if (scan.parse(b, s, e, batch, line)) {
      this.rowsAccepted++;
      return;
    }
    // Slow path for this line only: the general validation, with its messages.
    let fields: string[];
    try {
      const records = parseSync(b.toString('utf8', s, e), { relax_quotes: true, relax_column_count: true, bom: false }) as string[][];
      fields = records[0] ?? [''];
    } catch (err) {
      this.diagnostics.report(this.path, line, 'malformed-csv', `malformed CSV (${(err as Error).message})`);
      return;
    }
    if (this.parseRow(fields, line, c, batch, addr, id)) this.rowsAccepted++;
  }

  /** Interns a device name given as bytes (FastLine's cache misses come here). */
  internDevice(name: string, cls: number): number {
    return this.devices.intern(name, cls);
  }

  private readHeader(fields: string[]): ColumnIndex {
    const names = fields.map((f) => f.trim());
    const index = (c: string) => names.indexOf(c);
    const missing = REQUIRED_COLUMNS.filter((c) => index(c) < 0);
    if (missing.length > 0) {
      const extra = names.filter((n) => !(CANONICAL_COLUMNS as readonly string[]).includes(n));
      const hints = missing
        .map((m) => {
          const hint = closestName(m, extra);
          return hint ? `'${m}'${hint}` : `'${m}'`;
        })
        .join(', ');
      throw new InputError(`${this.path}:1: missing column${missing.length > 1 ? 's' : ''} ${hints}; the header must be: ${CANONICAL_COLUMNS.join(',')}`);
    }
    const known: readonly string[] = [...CANONICAL_COLUMNS, ...OPTIONAL_COLUMNS];
    const extra = names.filter((n) => !known.includes(n));
    if (extra.length > 0) this.diagnostics.warn(`${this.path}:1: extra column${extra.length > 1 ? 's' : ''} ignored: ${extra.join(', ')}`);
    return {
      ts: index('ts_ns'),
      guest: index('guest'),
      device: index('device'),
      cls: index('class'),
      op: index('op'),
      dir: index('dir'),
      addr: index('addr'),
      len: index('len'),
      handle: index('handle'),
      unit: index('unit'),
      cpu: index('cpu'),
      width: names.length,
    };
  }

  /** Validates one row into the next free row of `b`; returns false (after reporting) when rejected. */
  private parseRow(f: string[], line: number, c: ColumnIndex, b: EventBatch, addr: ParsedAddress, id: ParsedId): boolean {
    const file = this.path;
    const diag = this.diagnostics;
    if (f.length < c.width) {
      diag.report(file, line, 'short-row', `expected ${c.width} fields, found ${f.length} (truncated line?)`);
      return false;
    }
    const i = b.length;
    const tsText = f[c.ts];
    const ts = parseDecimal(tsText);
    if (ts < 0 || ts > MAX_TS) {
      diag.report(file, line, 'bad-timestamp', `ts_ns '${tsText}' is not a non-negative integer of nanoseconds`);
      return false;
    }
    let guest = 0;
    if (c.guest >= 0 && f[c.guest] !== '') {
      guest = parseDecimal(f[c.guest]);
      if (guest < 0 || guest >= MAX_GUESTS) {
        diag.report(file, line, 'bad-guest', `guest '${f[c.guest]}' is not an integer in 0..${MAX_GUESTS - 1}`);
        return false;
      }
    }
    const opCode = OPS[f[c.op]];
    if (opCode === undefined) {
      diag.report(file, line, 'bad-op', `op '${f[c.op]}' is not one of map, unmap, access`);
      return false;
    }
    const cls = CLASSES[f[c.cls]];
    if (cls === undefined) {
      diag.report(file, line, 'bad-class', `class '${f[c.cls]}' is not one of net, disk`);
      return false;
    }
    const dir = DIRS[f[c.dir]];
    // An unmap may leave dir, addr and len empty: its map's geometry is used.
    const isUnmap = opCode === Op.unmap;
    if (dir === undefined && !(isUnmap && f[c.dir] === '')) {
      diag.report(file, line, 'bad-dir', `dir '${f[c.dir]}' is not one of to_device, from_device, bidirectional`);
      return false;
    }
    const device = f[c.device];
    if (device === '') {
      diag.report(file, line, 'bad-device', 'device is empty');
      return false;
    }
    let page = 0;
    let offset = 0;
    if (!(isUnmap && f[c.addr] === '')) {
      const err = parseHexAddress(f[c.addr], addr);
      if (err !== null) {
        diag.report(file, line, 'bad-address', err);
        return false;
      }
      page = addr.page;
      offset = addr.offset;
    }
    let len = 0;
    if (!(isUnmap && f[c.len] === '')) {
      const lenText = f[c.len];
      len = parseDecimal(lenText);
      if (len <= 0 || len > MAX_LEN) {
        diag.report(file, line, 'bad-length', `len '${lenText}' is not a positive whole number of bytes (at most ${MAX_LEN})`);
        return false;
      }
    }
    const handleText = f[c.handle];
    if (handleText === '' && opCode !== Op.access) {
      diag.report(file, line, 'bad-handle', `handle is empty (a ${f[c.op]} needs one to pair map and unmap)`);
      return false;
    }
    if (handleText !== '') {
      parseId(handleText, id);
      b.handleHi[i] = id.hi;
      b.handleLo[i] = id.lo;
    } else {
      b.handleHi[i] = 0xffffffff;
      b.handleLo[i] = 0xffffffff;
    }
    if (c.unit >= 0 && f[c.unit] !== '') {
      parseId(f[c.unit], id);
      b.hasUnit[i] = 1;
      b.unitHi[i] = id.hi;
      b.unitLo[i] = id.lo;
    } else {
      b.hasUnit[i] = 0;
      b.unitHi[i] = 0;
      b.unitLo[i] = 0;
    }
    b.line[i] = line;
    b.ts[i] = ts;
    b.guest[i] = guest;
    const deviceId = this.devices.intern(device, cls);
    if (this.devices.classes[deviceId] !== cls) {
      diag.report(file, line, 'class-mismatch', `device '${device}' is class ${f[c.cls]} here but ${this.devices.classes[deviceId] === DeviceClass.net ? 'net' : 'disk'} earlier`);
      return false;
    }
    b.device[i] = deviceId;
    b.cls[i] = cls;
    b.op[i] = opCode;
    b.dir[i] = dir ?? 0;
    b.page[i] = page;
    b.offset[i] = offset;
    b.len[i] = len;
    let cpu = 0;
    if (c.cpu >= 0 && f[c.cpu] !== '') {
      cpu = parseDecimal(f[c.cpu]);
      if (cpu < 0 || cpu > MAX_CPU) {
        diag.report(file, line, 'bad-cpu', `cpu '${f[c.cpu]}' is not an integer in 0..${MAX_CPU}`);
        return false;
      }
    }
    b.commitRow(i, cpu);
    return true;
  }
}

/** Fails with one clear line for a path that is missing, a directory, or unreadable. */
export async function checkReadable(path: string): Promise<void> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new InputError(`${path}: is a directory, not a trace file`);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: no such file`);
    if (code === 'EACCES') throw new InputError(`${path}: permission denied`);
    throw new InputError(`${path}: cannot read (${(e as Error).message})`);
  }
}

const CANONICAL_HEADER_BYTES = Buffer.from(CANONICAL_HEADER);
const CANONICAL_HEADER_WITH_CPU_BYTES = Buffer.from(CANONICAL_HEADER_WITH_CPU);

/** Whether the text starts with exactly the canonical header line, with or without the `cpu`
 * column (no BOM, no other columns); null when it does not. */
function canonicalHeaderOf(text: Buffer): { withCpu: boolean } | null {
  const nl = text.indexOf(10);
  let end = nl < 0 ? text.length : nl;
  if (end > 0 && text[end - 1] === 13) end--;
  const line = text.subarray(0, end);
  if (line.equals(CANONICAL_HEADER_BYTES)) return { withCpu: false };
  if (line.equals(CANONICAL_HEADER_WITH_CPU_BYTES)) return { withCpu: true };
  return null;
}

function gzipError(file: string, e: unknown): Error {
  if (e instanceof InputError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR') return new InputError(`${file}: not a valid gzip file (${err.message})`);
  return e as Error;
}

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
    private readonly reader: CanonicalCsvReader,
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
    if (en[6] > st[6]) {
      if (!this.hex(b, st[6], en[6], 3)) return false;
      page = this.hi;
      offset = this.lo;
    } else if (!isUnmap) return false;
    let len = 0;
    if (en[7] > st[7]) {
      len = digits(b, st[7], en[7]);
      if (len <= 0 || len > MAX_LEN) return false;
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
      const known = this.reader.devices.names.indexOf(name);
      if (known >= 0 && this.reader.devices.classes[known] !== cls) return false; // class mismatch: reported by the slow path
      device = this.reader.internDevice(name, cls);
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
