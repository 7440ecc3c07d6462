/**
 * Canonical DMA events as the replay sees them: a fixed-capacity struct of typed arrays
 * (one row per event), filled by a trace reader and reused batch after batch, so memory follows
 * the batch size and never the trace length.
 *
 * Addresses are kept as a 4 KiB page number plus an offset: a 64-bit address shifted right by 12
 * has at most 52 significant bits and so is exact in a float64. Ids (handles, units) are kept as
 * two unsigned 32-bit halves.
 */

/** Log2 of the base page size; the IOMMU and the VMM work in 4 KiB pages. */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

export const Op = {
  map: 0,
  unmap: 1,
  access: 2,
  /** rejected row: every stage passes over it */
  skip: 3,
  /** a further segment of the scatter-gather DMA mapped by the rows just before it: the buffer
   * tracker turns such map rows into this, and strategies read the DMA's segments from the
   * tracker at its first row (so `op > Op.access` is every row a strategy passes over) */
  segment: 4,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];
export const OP_NAMES = ['map', 'unmap', 'access'] as const;

export const Dir = { to_device: 0, from_device: 1, bidirectional: 2 } as const;
export type DirCode = (typeof Dir)[keyof typeof Dir];
export const DIR_NAMES = ['to_device', 'from_device', 'bidirectional'] as const;

export const DeviceClass = { net: 0, disk: 1 } as const;
export type DeviceClassCode = (typeof DeviceClass)[keyof typeof DeviceClass];
export const CLASS_NAMES = ['net', 'disk'] as const;

/** Access permissions, as IOMMU page-table bits: a device read needs R, a device write needs W. */
export const Perm = { read: 1, write: 2, readWrite: 3 } as const;

/** The permission a device needs for a DMA of this direction (TX / disk write = device reads). */
export function permForDir(dir: number): number {
  return dir === Dir.to_device ? Perm.read : dir === Dir.from_device ? Perm.write : Perm.readWrite;
}

/** Values of EventBatch.origin. */
export const Origin = { trace: 0, driver: 1, device: 2 } as const;

/** Guest ids accepted are 0 .. MAX_GUESTS - 1; they index preallocated per-guest arrays, and
 * every guest's 52-bit guest-physical space gets its own range of host pages (see vmm.ts). */
export const MAX_GUESTS = 1024;

/** Pages of a guest-physical address space: 52 bits (x86-64 MAXPHYADDR), 2^40 4 KiB pages. */
export const GUEST_SPACE_PAGES = 2 ** 40;

/** Rows per batch: large enough to amortise per-batch work, small enough to stay in cache. */
export const DEFAULT_BATCH_CAPACITY = 4096;

export class EventBatch {
  readonly capacity: number;
  /** Rows in use, 0..capacity. */
  length = 0;
  /** 1-based line of the row in its source file, for diagnostics. */
  readonly line: Float64Array;
  readonly ts: Float64Array;
  readonly guest: Int32Array;
  /** Interned device id (see DeviceTable). */
  readonly device: Int32Array;
  readonly cls: Uint8Array;
  readonly op: Uint8Array;
  readonly dir: Uint8Array;
  /** First 4 KiB page of the buffer (guest-physical address >> 12). */
  readonly page: Float64Array;
  /** Offset of the buffer in its first page, 0..4095. */
  readonly offset: Int32Array;
  readonly len: Float64Array;
  readonly handleHi: Uint32Array;
  readonly handleLo: Uint32Array;
  readonly hasUnit: Uint8Array;
  readonly unitHi: Uint32Array;
  readonly unitLo: Uint32Array;
  /**
   * Set by the buffer tracker: the in-flight buffer slot of a map/unmap (or of an access that
   * names a live handle), -1 otherwise. Unmap rows also get the geometry of their map copied in.
   */
  readonly slot: Int32Array;
  /** Set by the buffer tracker on an unmap whose buffer saw no explicit access: the device
   * accesses the whole buffer once, just before the unmap. */
  readonly implicitAccess: Uint8Array;
  /** Who issued an access row: the trace (0), a driver through a posted descriptor (1), or a
   * device on its own (2). Only attack injection sets 1 and 2. */
  readonly origin: Uint8Array;
  /**
   * Set by the buffer tracker on a DMA's first map row and on its unmap row: how many segments
   * the DMA has (1 for a plain buffer; a scatter-gather list has one per segment). With more
   * than one, the row's page/offset are the first segment's and the unmap row's len is the
   * DMA's total; the segments themselves are the tracker's (`segmentsOf`).
   */
  readonly segs: Int32Array;
  /** The CPU that issued the DMA API call (the trace's optional `cpu` column; 0 when absent):
   * Linux keeps its IOVA caches and flush queues per CPU. */
  readonly cpu: Int32Array;

  constructor(capacity = DEFAULT_BATCH_CAPACITY) {
    this.capacity = capacity;
    this.line = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
    this.guest = new Int32Array(capacity);
    this.device = new Int32Array(capacity);
    this.cls = new Uint8Array(capacity);
    this.op = new Uint8Array(capacity);
    this.dir = new Uint8Array(capacity);
    this.page = new Float64Array(capacity);
    this.offset = new Int32Array(capacity);
    this.len = new Float64Array(capacity);
    this.handleHi = new Uint32Array(capacity);
    this.handleLo = new Uint32Array(capacity);
    this.hasUnit = new Uint8Array(capacity);
    this.unitHi = new Uint32Array(capacity);
    this.unitLo = new Uint32Array(capacity);
    this.slot = new Int32Array(capacity);
    this.implicitAccess = new Uint8Array(capacity);
    this.origin = new Uint8Array(capacity);
    this.segs = new Int32Array(capacity).fill(1);
    this.cpu = new Int32Array(capacity);
  }
  /** Ends row i, whose input columns a reader has written (and its CPU, 0 when the trace has no
   * `cpu` column): the columns later stages own start cleared (no slot, no implicit access,
   * origin trace) and the batch holds rows 0..i. */
  commitRow(i: number, cpu = 0): void {
    this.cpu[i] = cpu;
    this.slot[i] = -1;
    this.implicitAccess[i] = 0;
    this.origin[i] = 0;
    this.segs[i] = 1;
    this.length = i + 1;
  }

  /** Copies row i of `from` (its input columns, as a reader wrote them) to row j of this batch,
   * with the columns later stages own cleared. Does not change `length`. */
  copyRow(from: EventBatch, i: number, j: number): void {
    this.line[j] = from.line[i];
    this.ts[j] = from.ts[i];
    this.guest[j] = from.guest[i];
    this.device[j] = from.device[i];
    this.cls[j] = from.cls[i];
    this.op[j] = from.op[i];
    this.dir[j] = from.dir[i];
    this.page[j] = from.page[i];
    this.offset[j] = from.offset[i];
    this.len[j] = from.len[i];
    this.handleHi[j] = from.handleHi[i];
    this.handleLo[j] = from.handleLo[i];
    this.hasUnit[j] = from.hasUnit[i];
    this.unitHi[j] = from.unitHi[i];
    this.unitLo[j] = from.unitLo[i];
    this.cpu[j] = from.cpu[i];
    this.slot[j] = -1;
    this.implicitAccess[j] = 0;
    this.origin[j] = from.origin[i];
    this.segs[j] = 1;
  }

  /** Whether row j (a map) continues the map at row i of `prev`: the same guest, device and
   * handle, so the two are segments of one scatter-gather DMA. */
  continuesMap(prev: EventBatch, i: number, j: number): boolean {
    return (
      this.op[j] === Op.map &&
      prev.op[i] === Op.map &&
      this.handleLo[j] === prev.handleLo[i] &&
      this.handleHi[j] === prev.handleHi[i] &&
      this.device[j] === prev.device[i] &&
      this.guest[j] === prev.guest[i]
    );
  }

}

/** Number of 4 KiB pages a buffer of `len` bytes starting at `offset` in its first page touches. */
export function pagesSpanned(offset: number, len: number): number {
  return Math.floor((offset + len - 1) / PAGE_SIZE) + 1;
}

/** Interns device names to small integers, remembering each device's class. */
export class DeviceTable {
  readonly names: string[] = [];
  readonly classes: number[] = [];
  private readonly ids = new Map<string, number>();

  /** Returns the id of `name`, adding it with class `cls` on first sight. */
  intern(name: string, cls: number): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
      this.classes.push(cls);
    }
    return id;
  }

  /** The id of `name`, or -1 when it has not been seen (a map lookup: no scan of the names). */
  idOf(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  get size(): number {
    return this.names.length;
  }
}
