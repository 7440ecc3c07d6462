/**
 * One canonical CSV row, as text fields, checked into an EventBatch row: the validation both CSV
 * paths share (the fast scanner hands every line it does not accept to it), with its messages.
 * Also the header (which column is where) and the one rule about quotes that works a line at a
 * time: a row is one line, so a quoted field the line does not close is a bad row.
 */
import { CANONICAL_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS } from './canonical.js';
import { parseDecimal, parseHexAddress, parseId, type ParsedAddress, type ParsedId } from './fields.js';
import type { Diagnostics } from './diagnostics.js';
import { isCpu, isGuest, isTimestamp, MAX_LEN, why, wrapsAround } from './row-checks.js';
import { CLASS_NAMES, DeviceClass, Dir, Op, type DeviceTable, type EventBatch } from '../types/event.js';
import { InputError } from '../util/errors.js';
import { closestName } from '../util/closest.js';

const OPS: Record<string, number> = { map: Op.map, unmap: Op.unmap, access: Op.access };
const DIRS: Record<string, number> = { to_device: Dir.to_device, from_device: Dir.from_device, bidirectional: Dir.bidirectional };
const CLASSES: Record<string, number> = { net: DeviceClass.net, disk: DeviceClass.disk };

/** Column positions in the file, -1 when absent; `width` is the number of columns. */
export interface ColumnIndex {
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

/** Rows read and accepted, counted by whichever path reads them. */
export interface RowCounts {
  rowsRead: number;
  rowsAccepted: number;
}

export class CsvRowParser {
  // Scratch results of the field parsers, reused for every row.
  private readonly addr: ParsedAddress = { page: 0, offset: 0 };
  private readonly id: ParsedId = { hi: 0, lo: 0 };

  constructor(
    readonly path: string,
    readonly diagnostics: Diagnostics,
    readonly devices: DeviceTable,
  ) {}

  /** Where each column is, from the header's fields. @throws InputError when a required one is missing. */
  readHeader(fields: string[]): ColumnIndex {
    const names = fields.map((f) => f.trim());
    const index = (c: string) => names.indexOf(c);
    const missing = REQUIRED_COLUMNS.filter((c) => index(c) < 0);
    const known: readonly string[] = [...CANONICAL_COLUMNS, ...OPTIONAL_COLUMNS];
    const extra = names.filter((n) => !known.includes(n));
    if (missing.length > 0) {
      const hints = missing
        .map((m) => {
          const hint = closestName(m, extra);
          return hint ? `'${m}'${hint}` : `'${m}'`;
        })
        .join(', ');
      throw new InputError(`${this.path}:1: missing column${missing.length > 1 ? 's' : ''} ${hints}; the header must be: ${CANONICAL_COLUMNS.join(',')}`);
    }
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
  parseRow(f: string[], line: number, c: ColumnIndex, b: EventBatch): boolean {
    const file = this.path;
    const diag = this.diagnostics;
    if (f.length !== c.width) {
      diag.report(file, line, f.length < c.width ? 'short-row' : 'long-row', why.fieldCount(c.width, f.length));
      return false;
    }
    const i = b.length;
    const tsText = f[c.ts];
    const ts = parseDecimal(tsText);
    if (!isTimestamp(ts)) {
      diag.report(file, line, 'bad-timestamp', why.timestamp(tsText));
      return false;
    }
    let guest = 0;
    if (c.guest >= 0 && f[c.guest] !== '') {
      guest = parseDecimal(f[c.guest]);
      if (!isGuest(guest)) {
        diag.report(file, line, 'bad-guest', why.guest(f[c.guest]));
        return false;
      }
    }
    const opCode = OPS[f[c.op]];
    if (opCode === undefined) {
      diag.report(file, line, 'bad-op', why.op(f[c.op]));
      return false;
    }
    const cls = CLASSES[f[c.cls]];
    if (cls === undefined) {
      diag.report(file, line, 'bad-class', why.cls(f[c.cls]));
      return false;
    }
    const dir = DIRS[f[c.dir]];
    // An unmap may leave dir, addr and len empty: its map's geometry is used.
    const isUnmap = opCode === Op.unmap;
    if (dir === undefined && !(isUnmap && f[c.dir] === '')) {
      diag.report(file, line, 'bad-dir', why.dir(f[c.dir]));
      return false;
    }
    const device = f[c.device];
    if (device === '') {
      diag.report(file, line, 'bad-device', why.emptyDevice());
      return false;
    }
    let page = 0;
    let offset = 0;
    const hasAddr = !(isUnmap && f[c.addr] === '');
    if (hasAddr) {
      const err = parseHexAddress(f[c.addr], this.addr);
      if (err !== null) {
        diag.report(file, line, 'bad-address', err);
        return false;
      }
      page = this.addr.page;
      offset = this.addr.offset;
    }
    let len = 0;
    if (!(isUnmap && f[c.len] === '')) {
      const lenText = f[c.len];
      len = parseDecimal(lenText);
      if (len <= 0 || len > MAX_LEN) {
        diag.report(file, line, 'bad-length', why.length(lenText));
        return false;
      }
      // The last byte must still be a 64-bit address (a buffer cannot wrap around to 0).
      if (hasAddr && wrapsAround(page, offset, len)) {
        diag.report(file, line, 'bad-address', why.wraps(f[c.addr], len));
        return false;
      }
    }
    const handleText = f[c.handle];
    if (handleText === '' && opCode !== Op.access) {
      diag.report(file, line, 'bad-handle', why.emptyHandle(f[c.op]));
      return false;
    }
    const id = this.id;
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
      diag.report(file, line, 'class-mismatch', why.classMismatch(device, f[c.cls], CLASS_NAMES[this.devices.classes[deviceId]]));
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
      if (!isCpu(cpu)) {
        diag.report(file, line, 'bad-cpu', why.cpu(f[c.cpu]));
        return false;
      }
    }
    b.commitRow(i, cpu);
    return true;
  }

  /** Reports a line whose quoted field is not closed on it (a row is one line). */
  reportOpenQuote(line: number): void {
    this.diagnostics.report(this.path, line, 'unterminated-quote', why.openQuote());
  }

  /** Reports a line longer than the reader keeps (its bytes were skipped up to its end). */
  reportLongLine(line: number, maxBytes: number): void {
    this.diagnostics.report(this.path, line, 'long-line', why.longLine(maxBytes));
  }
}

/**
 * Whether the line `b[s, e)` ends inside a quoted field, by the rules csv-parse applies with
 * relax_quotes: a `"` opens a quoted field only at the start of a field, `""` inside one is a
 * quote, and any other `"` is an ordinary character.
 */
export function endsInsideQuotes(b: Uint8Array, s: number, e: number): boolean {
  let inQuotes = false;
  let fieldStart = true;
  for (let i = s; i < e; i++) {
    const ch = b[i];
    if (inQuotes) {
      if (ch === 34) {
        if (i + 1 < e && b[i + 1] === 34) i++;
        else inQuotes = false;
      }
    } else if (ch === 44) fieldStart = true;
    else {
      if (ch === 34 && fieldStart) inQuotes = true;
      fieldStart = false;
    }
  }
  return inQuotes;
}
