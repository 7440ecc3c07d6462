/**
 * The replay's front end, run once per batch before any strategy sees it: pairs every unmap
 * with its map (by guest, device and handle, in time order), gives each in-flight DMA a slot
 * id, gathers the segments of a scatter-gather DMA (consecutive map rows of one handle: the
 * first row stays the DMA's map, the others become `Op.segment` rows and their segments are
 * kept here, `segmentsOf`), copies the map's geometry into the unmap row, flags DMAs the device
 * never accessed explicitly (it then accesses them in full just before the unmap), counts units
 * (packets / requests) and device-queue occupancy, and rejects rows that cannot be replayed:
 * timestamps going backwards, a map of a live handle that does not follow its other segments, a
 * segment whose direction differs from its DMA's, an unmap with no live map.
 *
 * A slot freed by an unmap is reused only from the next batch on, so the segments of a DMA stay
 * readable until the strategies have consumed the batch holding its unmap.
 *
 * Two loops give the same results: `row` takes every case in turn, readably (the reference;
 * DMAREPLAY_REFERENCE=1 sends every row through it), and `fastRun`, the flat loop, repeats its
 * common cases with the columns, arrays and counters in locals and leaves the others to `row`
 * (test/replay/tracker-loops.test.ts compares the two on fuzzed event streams).
 *
 * Memory follows the number of DMAs in flight, never the trace length.
 */
import { EventBatch, DeviceClass, DIR_NAMES, Op, pagesSpanned, type DeviceTable } from '../types/event.js';
import { TrackerTable } from './tracker-table.js';
import { formatId } from '../trace/fields.js';
import type { Diagnostics } from '../trace/diagnostics.js';
import { DeviceQueues, queueOf, type QueueCapacities } from '../model/device/queues.js';
import { type SgList } from '../model/device/sg-list.js';
import { growFloat64, growInt32, growUint8 } from '../util/grow.js';

export class BufferTracker {
  /** Current size of the slot arrays; strategies size their per-slot state to it. */
  slotCapacity = 256;
  // First segment of each DMA; with more, the others are a chain in the segment arena.
  private slotPage = new Float64Array(256);
  private slotOffset = new Int32Array(256);
  private slotLen = new Float64Array(256);
  /** Bytes of all the DMA's segments. */
  private slotTotalLen = new Float64Array(256);
  private slotSegs = new Int32Array(256);
  /** Second and last segment in the arena (-1: none). */
  private slotExtra = new Int32Array(256);
  private slotExtraTail = new Int32Array(256);
  private slotDir = new Uint8Array(256);
  private slotAccessed = new Uint8Array(256);
  private slotLine = new Float64Array(256);
  private slotQueue = new Int32Array(256);
  /** The DMA's unit record (-1: the DMA names no unit). */
  private slotUnit = new Int32Array(256);
  private freeSlots = new Int32Array(256);
  private freeCount = 0;
  private nextSlot = 0;
  /** Slots unmapped in the batch being processed: free from the next batch on. */
  private releasing = new Int32Array(256);
  private releasingCount = 0;
  /** The DMA whose segments the next row may continue: its slot and first row (-1: none). */
  private openSlot = -1;
  private openRow = -1;

  // The segment arena: segments after a DMA's first, chained per DMA, recycled through `segFree`.
  private segPage = new Float64Array(64);
  private segOffset = new Int32Array(64);
  private segLen = new Float64Array(64);
  private segNext = new Int32Array(64);
  private segFree: number[] = [];
  private segUsed = 0;

  /** Slot of each live handle, by (guest << 16 | device, handle hi, handle lo). */
  private readonly live = new TrackerTable(1024);
  /** The guest each device id first mapped for (-1: none yet): a device belongs to one guest. */
  private deviceGuest = new Int32Array(16).fill(-1);
  /** Devices already warned about as mapping for two guests. */
  private readonly sharedDevices = new Set<number>();
  /** Units with live buffers: a record per (device, unit hi, unit lo), holding how many. Every
   * live record has a live DMA, so the slot capacity bounds the records too. */
  private readonly unitTable = new TrackerTable(256);
  private unitCount = new Int32Array(256);
  private unitFree = new Int32Array(256);
  private unitFreeCount = 0;
  private unitNext = 0;
  readonly queues: DeviceQueues;

  lastTs = 0;
  firstTs = -1;
  /** DMAs (DMA API calls): a scatter-gather list counts once. */
  maps = 0;
  /** Segments mapped (one per map row accepted). */
  segments = 0;
  /** Pages mapped: each segment's pages, summed. */
  pagesMapped = 0;
  unmaps = 0;
  accesses = 0;
  /** Accesses that name a handle with no live map (replayed as raw device addresses). */
  accessesToUnmappedHandles = 0;
  units = 0;
  inFlight = 0;
  peakInFlight = 0;
  bytesMapped = 0;

  constructor(
    private readonly file: string,
    private readonly diagnostics: Diagnostics,
    private readonly devices: DeviceTable,
    queueCaps: QueueCapacities,
    /** Every row through `row` (the readable loop), for checking the flat one. Default: the
     * environment variable DMAREPLAY_REFERENCE=1, as for the strategies. */
    private readonly reference = typeof process !== 'undefined' && process.env.DMAREPLAY_REFERENCE === '1',
  ) {
    this.queues = new DeviceQueues(queueCaps);
  }

  process(b: EventBatch): void {
    // Slots unmapped in the previous batch: the strategies have consumed it, so reuse them now.
    for (let k = 0; k < this.releasingCount; k++) {
      const slot = this.releasing[k];
      if (this.slotExtra[slot] >= 0) this.freeSegments(slot);
      this.freeSlots[this.freeCount++] = slot;
    }
    this.releasingCount = 0;
    this.openSlot = -1;
    this.openRow = -1;
    const n = b.length;
    if (this.reference) {
      for (let i = 0; i < n; i++) this.row(b, i);
      return;
    }
    // The flat loop runs until a row it leaves to `row`; then on from the row after.
    for (let i = this.fastRun(b, 0); i < n; i = this.fastRun(b, i + 1)) this.row(b, i);
  }

  /**
   * The flat loop: rows from `start` on while they are a plain map (a new DMA's first row, for a
   * device whose guest is known, with room for it in the slot arrays and the tables), a further
   * segment of the same direction, an unmap of a live handle, an access, or a row every stage
   * passes over; the same steps as `row`, in the
   * same order, with the columns, arrays and counters in locals (a call to `row` may replace the
   * arrays, so they are read again on every entry).
   * @returns the first row left to `row` (b.length when none)
   */
  private fastRun(b: EventBatch, start: number): number {
    const n = b.length;
    const tsCol = b.ts;
    const opCol = b.op;
    const guestCol = b.guest;
    const deviceCol = b.device;
    const hiCol = b.handleHi;
    const loCol = b.handleLo;
    const clsCol = b.cls;
    const dirCol = b.dir;
    const pageCol = b.page;
    const offsetCol = b.offset;
    const lenCol = b.len;
    const lineCol = b.line;
    const slotCol = b.slot;
    const segsCol = b.segs;
    const live = this.live;
    const liveE = live.e;
    const liveMask = live.mask;
    const unitTable = this.unitTable;
    const unitE = unitTable.e;
    const unitMask = unitTable.mask;
    const unitCount = this.unitCount;
    const unitFree = this.unitFree;
    const queues = this.queues;
    const deviceGuest = this.deviceGuest;
    const { slotPage, slotOffset, slotLen, slotTotalLen, slotSegs, slotExtra, slotExtraTail, slotDir, slotAccessed, slotLine, slotQueue, slotUnit, freeSlots, releasing } = this;
    const slotCapacity = this.slotCapacity;
    let { lastTs, firstTs, openSlot, openRow, freeCount, nextSlot, releasingCount, unitFreeCount, unitNext } = this;
    let { maps, segments, pagesMapped, bytesMapped, unmaps, accesses, accessesToUnmappedHandles, units, inFlight, peakInFlight } = this;
    let i = start;
    for (; i < n; i++) {
      const ts = tsCol[i];
      if (ts < lastTs) break;
      const op = opCol[i];
      const device = deviceCol[i];
      const owner = (guestCol[i] << 16) | device;
      if (op === Op.map) {
        if (openSlot >= 0 && loCol[i] === loCol[openRow] && hiCol[i] === hiCol[openRow] && device === deviceCol[openRow] && guestCol[i] === guestCol[openRow]) {
          // addSegment; a segment of another direction is left to `row`.
          if (dirCol[i] !== slotDir[openSlot]) break;
          const len = lenCol[i];
          this.appendSegment(openSlot, pageCol[i], offsetCol[i], len);
          segsCol[openRow]++;
          opCol[i] = Op.segment;
          slotCol[i] = openSlot;
          segments++;
          pagesMapped += pagesSpanned(offsetCol[i], len);
          bytesMapped += len;
          lastTs = ts;
          continue;
        }
        // Left to `row`: a duplicate, a device's first map or one for another guest, and
        // anything that needs an array or table to grow first.
        if (device >= deviceGuest.length || deviceGuest[device] !== guestCol[i]) break;
        if (freeCount === 0 && nextSlot === slotCapacity) break;
        const hasUnit = b.hasUnit[i] === 1;
        if (!live.hasRoom() || (hasUnit && !unitTable.hasRoom())) break;
        const hi = hiCol[i] | 0;
        const lo = loCol[i] | 0;
        // live.find, inlined: `at` ends on the key or on the empty entry where it goes.
        let at = TrackerTable.hash(owner, hi, lo) & liveMask;
        while (liveE[4 * at + 3] >= 0 && (liveE[4 * at] !== owner || liveE[4 * at + 1] !== hi || liveE[4 * at + 2] !== lo)) at = (at + 1) & liveMask;
        if (liveE[4 * at + 3] >= 0) break;
        openSlot = -1;
        const slot = freeCount > 0 ? freeSlots[--freeCount] : nextSlot++;
        live.insertAt(at, owner, hi, lo, slot);
        const len = lenCol[i];
        const offset = offsetCol[i];
        const dir = dirCol[i];
        const cls = clsCol[i];
        const line = lineCol[i];
        slotPage[slot] = pageCol[i];
        slotOffset[slot] = offset;
        slotLen[slot] = len;
        slotTotalLen[slot] = len;
        slotSegs[slot] = 1;
        slotExtra[slot] = -1;
        slotExtraTail[slot] = -1;
        slotDir[slot] = dir;
        slotAccessed[slot] = 0;
        slotLine[slot] = line;
        slotUnit[slot] = -1;
        const queue = queueOf(device, cls, dir);
        slotQueue[slot] = queue;
        let posts = true;
        if (hasUnit) {
          // joinUnit, with the table's room checked above.
          const unitHi = b.unitHi[i] | 0;
          const unitLo = b.unitLo[i] | 0;
          let u = TrackerTable.hash(device, unitHi, unitLo) & unitMask;
          while (unitE[4 * u + 3] >= 0 && (unitE[4 * u] !== device || unitE[4 * u + 1] !== unitHi || unitE[4 * u + 2] !== unitLo)) u = (u + 1) & unitMask;
          let rec = unitE[4 * u + 3];
          let count = -1;
          if (rec >= 0) count = unitCount[rec];
          else {
            rec = unitFreeCount > 0 ? unitFree[--unitFreeCount] : unitNext++;
            unitCount[rec] = 0;
            unitTable.insertAt(u, device, unitHi, unitLo, rec);
          }
          unitCount[rec]++;
          slotUnit[slot] = rec;
          if (count < 0) units++;
          posts = cls !== DeviceClass.disk || count < 0;
        }
        if (posts) queues.post(queue, cls, line, dir);
        slotCol[i] = slot;
        segsCol[i] = 1;
        maps++;
        segments++;
        pagesMapped += pagesSpanned(offset, len);
        bytesMapped += len;
        if (++inFlight > peakInFlight) peakInFlight = inFlight;
        openSlot = slot;
        openRow = i;
      } else if (op === Op.unmap) {
        const hi = hiCol[i] | 0;
        const lo = loCol[i] | 0;
        let at = TrackerTable.hash(owner, hi, lo) & liveMask;
        while (liveE[4 * at + 3] >= 0 && (liveE[4 * at] !== owner || liveE[4 * at + 1] !== hi || liveE[4 * at + 2] !== lo)) at = (at + 1) & liveMask;
        const slot = liveE[4 * at + 3];
        if (slot < 0) break;
        openSlot = -1;
        live.removeAt(at);
        slotCol[i] = slot;
        pageCol[i] = slotPage[slot];
        offsetCol[i] = slotOffset[slot];
        lenCol[i] = slotTotalLen[slot];
        segsCol[i] = slotSegs[slot];
        dirCol[i] = slotDir[slot];
        b.implicitAccess[i] = slotAccessed[slot] === 1 ? 0 : 1;
        let completes = true;
        const rec = slotUnit[slot];
        if (rec >= 0) {
          // leaveUnit.
          const count = unitCount[rec];
          if (count > 1) unitCount[rec] = count - 1;
          else {
            unitTable.removeAt(unitTable.posOf[rec]);
            unitFree[unitFreeCount++] = rec;
          }
          completes = clsCol[i] !== DeviceClass.disk || count <= 1;
        }
        if (completes) queues.complete(slotQueue[slot]);
        releasing[releasingCount++] = slot;
        unmaps++;
        inFlight--;
      } else if (op === Op.access) {
        openSlot = -1;
        const named = hiCol[i] !== 0xffffffff || loCol[i] !== 0xffffffff;
        const slot = named ? live.get(owner, hiCol[i], loCol[i]) : -1;
        slotCol[i] = slot;
        if (slot >= 0) slotAccessed[slot] = 1;
        else if (named) accessesToUnmappedHandles++;
        accesses++;
      } else {
        openSlot = -1;
        continue;
      }
      if (firstTs < 0) firstTs = ts;
      lastTs = ts;
    }
    this.lastTs = lastTs;
    this.firstTs = firstTs;
    this.openSlot = openSlot;
    this.openRow = openRow;
    this.freeCount = freeCount;
    this.nextSlot = nextSlot;
    this.releasingCount = releasingCount;
    this.unitFreeCount = unitFreeCount;
    this.unitNext = unitNext;
    this.maps = maps;
    this.segments = segments;
    this.pagesMapped = pagesMapped;
    this.bytesMapped = bytesMapped;
    this.unmaps = unmaps;
    this.accesses = accesses;
    this.accessesToUnmappedHandles = accessesToUnmappedHandles;
    this.units = units;
    this.inFlight = inFlight;
    this.peakInFlight = peakInFlight;
    return i;
  }

  /**
   * The reference: row i, every case. The flat loop (`fastRun`) repeats its common cases and
   * leaves the others here.
   */
  private row(b: EventBatch, i: number): void {
    const ts = b.ts[i];
    if (ts < this.lastTs) {
      this.reject(b, i, 'time-backwards', `timestamp ${ts} goes backwards (previous ${this.lastTs})`);
      this.openSlot = -1;
      return;
    }
    const op = b.op[i];
    // Handles are scoped by guest and device: two devices may use the same IOVA at once.
    const owner = (b.guest[i] << 16) | b.device[i];
    if (op === Op.map) {
      // (openSlot is reset by every row that is not one of the open DMA's segments.)
      const openRow = this.openRow;
      if (this.openSlot >= 0 && b.handleLo[i] === b.handleLo[openRow] && b.handleHi[i] === b.handleHi[openRow] && b.device[i] === b.device[openRow] && b.guest[i] === b.guest[openRow]) {
        this.addSegment(b, i, this.openSlot, openRow);
        return;
      }
      this.openSlot = -1;
      const existing = this.live.get(owner, b.handleHi[i], b.handleLo[i]);
      if (existing >= 0) {
        this.reject(b, i, 'duplicate-map', `handle ${formatId(b.handleHi[i], b.handleLo[i])} is already mapped (since line ${this.slotLine[existing]}) and not unmapped (the segments of one scatter-gather DMA are consecutive map rows)`);
        return;
      }
      if (b.device[i] >= this.deviceGuest.length || this.deviceGuest[b.device[i]] !== b.guest[i]) this.checkDeviceGuest(b, i);
      const slot = this.allocSlot();
      this.live.insert(owner, b.handleHi[i], b.handleLo[i], slot);
      this.slotPage[slot] = b.page[i];
      this.slotOffset[slot] = b.offset[i];
      this.slotLen[slot] = b.len[i];
      this.slotTotalLen[slot] = b.len[i];
      this.slotSegs[slot] = 1;
      this.slotExtra[slot] = -1;
      this.slotExtraTail[slot] = -1;
      this.slotDir[slot] = b.dir[i];
      this.slotAccessed[slot] = 0;
      this.slotLine[slot] = b.line[i];
      this.slotUnit[slot] = -1;
      const queue = queueOf(b.device[i], b.cls[i], b.dir[i]);
      this.slotQueue[slot] = queue;
      let posts = true;
      if (b.hasUnit[i] === 1) {
        const count = this.joinUnit(slot, b.device[i], b.unitHi[i], b.unitLo[i]);
        if (count < 0) this.units++;
        // A disk request is one queue entry however many DMAs carry it.
        posts = b.cls[i] !== DeviceClass.disk || count < 0;
      }
      if (posts) this.queues.post(queue, b.cls[i], b.line[i], b.dir[i]);
      b.slot[i] = slot;
      b.segs[i] = 1;
      this.maps++;
      this.segments++;
      this.pagesMapped += pagesSpanned(b.offset[i], b.len[i]);
      this.bytesMapped += b.len[i];
      if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
      this.openSlot = slot;
      this.openRow = i;
    } else {
      this.openSlot = -1;
      if (op === Op.unmap) {
        const slot = this.live.delete(owner, b.handleHi[i], b.handleLo[i]);
        if (slot < 0) {
          this.reject(b, i, 'unmatched-unmap', `unmap of handle ${formatId(b.handleHi[i], b.handleLo[i])} on ${this.devices.names[b.device[i]]} with no live map`);
          return;
        }
        b.slot[i] = slot;
        b.page[i] = this.slotPage[slot];
        b.offset[i] = this.slotOffset[slot];
        b.len[i] = this.slotTotalLen[slot];
        b.segs[i] = this.slotSegs[slot];
        b.dir[i] = this.slotDir[slot];
        b.implicitAccess[i] = this.slotAccessed[slot] === 1 ? 0 : 1;
        let completes = true;
        if (this.slotUnit[slot] >= 0) {
          const count = this.leaveUnit(this.slotUnit[slot]);
          completes = b.cls[i] !== DeviceClass.disk || count <= 1;
        }
        if (completes) this.queues.complete(this.slotQueue[slot]);
        this.releasing[this.releasingCount++] = slot;
        this.unmaps++;
        this.inFlight--;
      } else if (op === Op.access) {
        const named = b.handleHi[i] !== 0xffffffff || b.handleLo[i] !== 0xffffffff;
        const slot = named ? this.live.get(owner, b.handleHi[i], b.handleLo[i]) : -1;
        b.slot[i] = slot;
        if (slot >= 0) this.slotAccessed[slot] = 1;
        else if (named) this.accessesToUnmappedHandles++;
        this.accesses++;
      } else {
        return;
      }
    }
    if (this.firstTs < 0) this.firstTs = ts;
    this.lastTs = ts;
  }

  /**
   * The DMA in `slot` carries unit (device, hi, lo): one more live DMA of it.
   * @returns the unit's live DMAs before (-1 when it had none: a new unit)
   */
  private joinUnit(slot: number, device: number, hi: number, lo: number): number {
    const at = this.unitTable.find(device, hi, lo);
    let rec: number;
    let before = -1;
    if (at >= 0) {
      rec = this.unitTable.valueAt(at);
      before = this.unitCount[rec];
    } else {
      rec = this.unitFreeCount > 0 ? this.unitFree[--this.unitFreeCount] : this.unitNext++;
      this.unitCount[rec] = 0;
      this.unitTable.insert(device, hi, lo, rec);
    }
    this.unitCount[rec]++;
    this.slotUnit[slot] = rec;
    return before;
  }

  /** A DMA of unit record `rec` is unmapped; @returns the unit's live DMAs before (>= 1). */
  private leaveUnit(rec: number): number {
    const before = this.unitCount[rec];
    if (before > 1) this.unitCount[rec] = before - 1;
    else {
      this.unitTable.removeAt(this.unitTable.posOf[rec]);
      this.unitFree[this.unitFreeCount++] = rec;
    }
    return before;
  }

  /** Map row i continues the DMA in `slot` (first row `first`): one more segment. */
  private addSegment(b: EventBatch, i: number, slot: number, first: number): void {
    if (b.dir[i] !== this.slotDir[slot]) {
      this.reject(b, i, 'segment-dir', `segment of handle ${formatId(b.handleHi[i], b.handleLo[i])} is ${DIR_NAMES[b.dir[i]]}, but its DMA (line ${this.slotLine[slot]}) is ${DIR_NAMES[this.slotDir[slot]]}`);
      return;
    }
    this.appendSegment(slot, b.page[i], b.offset[i], b.len[i]);
    b.segs[first]++;
    b.op[i] = Op.segment;
    b.slot[i] = slot;
    this.segments++;
    this.pagesMapped += pagesSpanned(b.offset[i], b.len[i]);
    this.bytesMapped += b.len[i];
    this.lastTs = b.ts[i];
  }

  /** One more segment for the DMA in `slot`, at the end of its chain in the arena. */
  private appendSegment(slot: number, page: number, offset: number, len: number): void {
    const e = this.allocSegment();
    this.segPage[e] = page;
    this.segOffset[e] = offset;
    this.segLen[e] = len;
    this.segNext[e] = -1;
    if (this.slotExtraTail[slot] < 0) this.slotExtra[slot] = e;
    else this.segNext[this.slotExtraTail[slot]] = e;
    this.slotExtraTail[slot] = e;
    this.slotSegs[slot]++;
    this.slotTotalLen[slot] += len;
  }

  /** The segments of the DMA in `slot`, into `out` (valid until the batch after its unmap). */
  segmentsOf(slot: number, out: SgList): void {
    out.clear();
    out.push(this.slotPage[slot], this.slotOffset[slot], this.slotLen[slot]);
    for (let e = this.slotExtra[slot]; e >= 0; e = this.segNext[e]) out.push(this.segPage[e], this.segOffset[e], this.segLen[e]);
  }

  /**
   * A device's first map names its guest; a map of the same device for another guest is warned
   * about once: the strategies give a device one IOMMU domain (and `shadow` one pool), as a PCI
   * function has, so two guests' buffers would share them.
   */
  private checkDeviceGuest(b: EventBatch, i: number): void {
    const device = b.device[i];
    if (device >= this.deviceGuest.length) {
      const grown = new Int32Array(Math.max(device + 1, this.deviceGuest.length * 2)).fill(-1);
      grown.set(this.deviceGuest);
      this.deviceGuest = grown;
    }
    const first = this.deviceGuest[device];
    if (first < 0) this.deviceGuest[device] = b.guest[i];
    else if (first !== b.guest[i] && !this.sharedDevices.has(device)) {
      this.sharedDevices.add(device);
      this.diagnostics.warn(`${this.file}: device ${this.devices.names[device]} maps buffers for guests ${first} and ${b.guest[i]} (first at line ${b.line[i]}); a device belongs to one guest, so the strategies give both one IOMMU domain (and shadow one pool): name each guest's device apart`);
    }
  }

  /** First guest page of the buffer in `slot` (valid until the slot is reused). */
  pageOfSlot(slot: number): number {
    return this.slotPage[slot];
  }

  /** Bytes of all segments of the DMA in `slot`. */
  dmaLenOfSlot(slot: number): number {
    return this.slotTotalLen[slot];
  }

  /** Buffers mapped and never unmapped by the end of the trace. */
  get liveAtEnd(): number {
    return this.inFlight;
  }

  private reject(b: EventBatch, i: number, kind: string, message: string): void {
    b.op[i] = Op.skip;
    this.diagnostics.report(this.file, b.line[i], kind, message);
  }

  private allocSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount];
    if (this.nextSlot === this.slotCapacity) this.growSlots();
    return this.nextSlot++;
  }

  /** The segments after the first of the DMA in `slot` go back to the arena. */
  private freeSegments(slot: number): void {
    for (let e = this.slotExtra[slot]; e >= 0; e = this.segNext[e]) this.segFree.push(e);
    this.slotExtra[slot] = -1;
  }

  private allocSegment(): number {
    if (this.segFree.length > 0) return this.segFree.pop()!;
    if (this.segUsed === this.segPage.length) {
      const n = this.segUsed * 2;
      this.segPage = growFloat64(this.segPage, n);
      this.segLen = growFloat64(this.segLen, n);
      this.segOffset = growInt32(this.segOffset, n);
      this.segNext = growInt32(this.segNext, n);
    }
    return this.segUsed++;
  }

  private growSlots(): void {
    const n = this.slotCapacity * 2;
    const f64 = (a: Float64Array) => growFloat64(a, n);
    const i32 = (a: Int32Array) => growInt32(a, n);
    const u8 = (a: Uint8Array) => growUint8(a, n);
    this.slotPage = f64(this.slotPage);
    this.slotOffset = i32(this.slotOffset);
    this.slotLen = f64(this.slotLen);
    this.slotTotalLen = f64(this.slotTotalLen);
    this.slotSegs = i32(this.slotSegs);
    this.slotExtra = i32(this.slotExtra);
    this.slotExtraTail = i32(this.slotExtraTail);
    this.slotDir = u8(this.slotDir);
    this.slotAccessed = u8(this.slotAccessed);
    this.slotLine = f64(this.slotLine);
    this.slotQueue = i32(this.slotQueue);
    this.slotUnit = i32(this.slotUnit);
    this.freeSlots = i32(this.freeSlots);
    this.releasing = i32(this.releasing);
    this.unitCount = i32(this.unitCount);
    this.unitFree = i32(this.unitFree);
    this.slotCapacity = n;
  }
}
