/**
 * The row checks of the Arrow reader: a CSV row's checks (row-checks.ts) on an Arrow row's typed
 * values, each accepted row copied into the EventBatch (the only copy of its values).
 */
import { CLASS_NAMES, DeviceClass, Dir, Op, OP_NAMES, PAGE_SIZE, type DeviceTable, type EventBatch } from '../types/event.js';
import { ADDRESS_PAGES, isCpu, isGuest, isLength, isTimestamp, why, wrapsAround } from './row-checks.js';
import { formatHexAddress } from './fields.js';
import type { Diagnostics } from './diagnostics.js';
import type { ArrowColumns } from './arrow-columns.js';

/** The handle of a row without one (has_handle 0). */
export const NO_HANDLE = 0xffffffff;

/**
 * The checks of a CSV row (csv-row.ts), on an Arrow row's typed values: the same limits and
 * reasons (row-checks.ts), reported as `file:row N`.
 */
export class ArrowRowChecks {
  private row = 0;
  /** Device id of each dictionary index, for the dictionary it was read from (each batch may
   * carry a new one). */
  private idOf: number[] = [];
  private dictionary: unknown = null;

  constructor(
    private readonly path: string,
    private readonly devices: DeviceTable,
    private readonly diagnostics: Diagnostics,
  ) {}

  /** Row i of `c` into row k of `b`; false (reported) when rejected. */
  check(c: ArrowColumns, i: number, b: EventBatch, k: number): boolean {
    const row = ++this.row;
    const reject = (kind: string, message: string) => {
      this.diagnostics.report(this.path, row, kind, message);
      return false;
    };
    const ts = c.ts[i];
    if (!isTimestamp(ts)) return reject('bad-timestamp', why.timestamp(String(ts)));
    const guest = c.guest[i];
    if (!isGuest(guest)) return reject('bad-guest', why.guest(String(guest)));
    const op = c.op[i];
    if (op > Op.access) return reject('bad-op', why.op(`code ${op}`));
    const cls = c.cls[i];
    if (cls > DeviceClass.disk) return reject('bad-class', why.cls(`code ${cls}`));
    const isUnmap = op === Op.unmap;
    const dir = c.dir[i];
    if (dir > Dir.bidirectional) return reject('bad-dir', why.dir(`code ${dir}`));
    const page = c.page[i];
    const offset = c.offset[i];
    const len = c.len[i];
    // An unmap may carry no geometry (all zero): its map's is used, as with empty CSV fields.
    const geometry = !(isUnmap && page === 0 && offset === 0 && len === 0);
    if (geometry) {
      if (!(Number.isInteger(page) && page >= 0 && page < ADDRESS_PAGES) || !(offset >= 0 && offset < PAGE_SIZE)) return reject('bad-address', `address page ${page} offset ${offset} is not a 64-bit address (page a whole number below 2^52, offset 0..${PAGE_SIZE - 1})`);
      if (!isLength(len)) return reject('bad-length', why.length(String(len)));
      if (wrapsAround(page, offset, len)) return reject('bad-address', why.wraps(formatHexAddress(page, offset), len));
    }
    const hasHandle = c.hasHandle[i] !== 0;
    if (!hasHandle && op !== Op.access) return reject('bad-handle', why.emptyHandle(OP_NAMES[op]));
    const device = this.deviceOf(c, i, cls, reject);
    if (device < 0) return false;
    const cpu = c.cpu === null ? 0 : c.cpu[i];
    if (!isCpu(cpu)) return reject('bad-cpu', why.cpu(String(cpu)));
    b.line[k] = row;
    b.ts[k] = ts;
    b.guest[k] = guest;
    b.device[k] = device;
    b.cls[k] = cls;
    b.op[k] = op;
    b.dir[k] = dir;
    b.page[k] = geometry ? page : 0;
    b.offset[k] = geometry ? offset : 0;
    b.len[k] = geometry ? len : 0;
    b.handleHi[k] = hasHandle ? c.handleHi[i] : NO_HANDLE;
    b.handleLo[k] = hasHandle ? c.handleLo[i] : NO_HANDLE;
    b.hasUnit[k] = c.hasUnit[i] !== 0 ? 1 : 0;
    b.unitHi[k] = b.hasUnit[k] ? c.unitHi[i] : 0;
    b.unitLo[k] = b.hasUnit[k] ? c.unitLo[i] : 0;
    b.commitRow(k, cpu);
    return true;
  }

  /** The device id of row i (interned by name), or -1 after reporting why there is none. */
  private deviceOf(c: ArrowColumns, i: number, cls: number, reject: (kind: string, message: string) => boolean): number {
    if (c.dictionary !== this.dictionary) {
      this.dictionary = c.dictionary;
      this.idOf = [];
    }
    const d = c.device[i];
    let id = this.idOf[d];
    if (id === undefined) {
      if (!(Number.isInteger(d) && d >= 0 && d < c.dictionary.length)) {
        reject('bad-device', `device index ${d} is not in the batch's dictionary of ${c.dictionary.length} names`);
        return -1;
      }
      const name = c.dictionary.get(d);
      if (typeof name !== 'string' || name === '') {
        reject('bad-device', why.emptyDevice());
        return -1;
      }
      id = this.devices.intern(name, cls);
      this.idOf[d] = id;
    }
    if (this.devices.classes[id] !== cls) {
      reject('class-mismatch', why.classMismatch(this.devices.names[id], CLASS_NAMES[cls], CLASS_NAMES[this.devices.classes[id]]));
      return -1;
    }
    return id;
  }
}
