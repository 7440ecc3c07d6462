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
import { CANONICAL_COLUMNS, REQUIRED_COLUMNS } from './canonical.js';
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
  width: number;
}

export interface ReadOptions {
  batchCapacity?: number;
  /** Read from this instead of the file (tests, stdin); `path` then only names it in messages. */
  source?: AsyncIterable<Buffer | string>;
  /** Called after each chunk with the bytes read so far. */
  onProgress?: (bytesRead: number) => void;
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

  async *batches(): AsyncGenerator<EventBatch> {
    if (!this.options.source) await checkReadable(this.path);
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

    let source: AsyncIterable<Buffer | string>;
    if (this.options.source) source = this.options.source;
    else {
      const raw = createReadStream(this.path);
      source = this.path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    }
    const onProgress = this.options.onProgress;
    let bytesRead = 0;
    try {
      for await (const chunk of source) {
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
      if (e instanceof InputError) throw e;
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR') throw new InputError(`${file}: not a valid gzip file (${err.message})`);
      throw e;
    }
    parser.end();
    if (fatal) throw fatal;
    if (parseError) throw parseError;
    if (!headerSeen) throw new InputError(`${file}: empty file (no header line; expected: ${CANONICAL_COLUMNS.join(',')})`);
    while (ready.length > 0) yield ready.shift()!;
    if (current.length > 0) yield current;
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
    const extra = names.filter((n) => !(CANONICAL_COLUMNS as readonly string[]).includes(n));
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
    b.slot[i] = -1;
    b.implicitAccess[i] = 0;
    b.origin[i] = 0;
    b.length = i + 1;
    return true;
  }
}

/** Fails with one clear line for a path that is missing, a directory, or unreadable. */
async function checkReadable(path: string): Promise<void> {
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

