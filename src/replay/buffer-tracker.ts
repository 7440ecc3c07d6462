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
 * Memory follows the number of DMAs in flight, never the trace length.
 */
import { EventBatch, DeviceClass, DIR_NAMES, Op, pagesSpanned, type DeviceTable } from '../types/event.js';
import { TripleKeyMap } from '../util/triple-key-map.js';
import { formatId } from '../trace/fields.js';
import type { Diagnostics } from '../trace/diagnostics.js';
import { DeviceQueues, queueOf, type QueueCapacities } from '../model/device/queues.js';
import { type SgList } from '../model/device/sg-list.js';
import { growFloat64, growInt32, growUint32, growUint8 } from '../util/grow.js';

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
  private slotHasUnit = new Uint8Array(256);
  private slotUnitHi = new Uint32Array(256);
  private slotUnitLo = new Uint32Array(256);
  private freeSlots = new Int32Array(256);
  private freeCount = 0;
  private nextSlot = 0;
  /** Slots unmapped in the batch being processed: free from the next batch on. */
  private releasing: number[] = [];

  // The segment arena: segments after a DMA's first, chained per DMA, recycled through `segFree`.
  private segPage = new Float64Array(64);
  private segOffset = new Int32Array(64);
  private segLen = new Float64Array(64);
  private segNext = new Int32Array(64);
  private segFree: number[] = [];
  private segUsed = 0;

  private readonly live = new TripleKeyMap(1024);
  /** The guest each device id first mapped for (-1: none yet): a device belongs to one guest. */
  private deviceGuest = new Int32Array(16).fill(-1);
  /** Devices already warned about as mapping for two guests. */
  private readonly sharedDevices = new Set<number>();
  /** Live buffers per (device, unit). */
  private readonly liveUnits = new TripleKeyMap(256);
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
  ) {
    this.queues = new DeviceQueues(queueCaps);
  }

  process(b: EventBatch): void {
    // Slots unmapped in the previous batch: the strategies have consumed it, so reuse them now.
    for (const slot of this.releasing) this.freeSlot(slot);
    this.releasing.length = 0;
    const n = b.length;
    // The DMA whose segments the next row may continue: its slot and first row (-1: none).
    let openSlot = -1;
    let openRow = -1;
    for (let i = 0; i < n; i++) {
      const ts = b.ts[i];
      if (ts < this.lastTs) {
        this.reject(b, i, 'time-backwards', `timestamp ${ts} goes backwards (previous ${this.lastTs})`);
        openSlot = -1;
        continue;
      }
      const op = b.op[i];
      // Handles are scoped by guest and device: two devices may use the same IOVA at once.
      const owner = (b.guest[i] << 16) | b.device[i];
      if (op === Op.map) {
        // (openSlot is reset by every row that is not one of the open DMA's segments.)
        if (openSlot >= 0 && b.handleLo[i] === b.handleLo[openRow] && b.handleHi[i] === b.handleHi[openRow] && b.device[i] === b.device[openRow] && b.guest[i] === b.guest[openRow]) {
          this.addSegment(b, i, openSlot, openRow);
          continue;
        }
        openSlot = -1;
        const existing = this.live.get(owner, b.handleHi[i], b.handleLo[i]);
        if (existing >= 0) {
          this.reject(b, i, 'duplicate-map', `handle ${formatId(b.handleHi[i], b.handleLo[i])} is already mapped (since line ${this.slotLine[existing]}) and not unmapped (the segments of one scatter-gather DMA are consecutive map rows)`);
          continue;
        }
        if (b.device[i] >= this.deviceGuest.length || this.deviceGuest[b.device[i]] !== b.guest[i]) this.checkDeviceGuest(b, i);
        const slot = this.allocSlot();
        this.live.set(owner, b.handleHi[i], b.handleLo[i], slot);
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
        this.slotHasUnit[slot] = b.hasUnit[i];
        this.slotUnitHi[slot] = b.unitHi[i];
        this.slotUnitLo[slot] = b.unitLo[i];
        const queue = queueOf(b.device[i], b.cls[i], b.dir[i]);
        this.slotQueue[slot] = queue;
        let posts = true;
        if (b.hasUnit[i] === 1) {
          const count = this.liveUnits.adjust(b.device[i], b.unitHi[i], b.unitLo[i], 1);
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
        openSlot = slot;
        openRow = i;
      } else {
        openSlot = -1;
        if (op === Op.unmap) {
          const slot = this.live.delete(owner, b.handleHi[i], b.handleLo[i]);
          if (slot < 0) {
            this.reject(b, i, 'unmatched-unmap', `unmap of handle ${formatId(b.handleHi[i], b.handleLo[i])} on ${this.devices.names[b.device[i]]} with no live map`);
            continue;
          }
          b.slot[i] = slot;
          b.page[i] = this.slotPage[slot];
          b.offset[i] = this.slotOffset[slot];
          b.len[i] = this.slotTotalLen[slot];
          b.segs[i] = this.slotSegs[slot];
          b.dir[i] = this.slotDir[slot];
          b.implicitAccess[i] = this.slotAccessed[slot] === 1 ? 0 : 1;
          let completes = true;
          if (this.slotHasUnit[slot] === 1) {
            const dev = b.device[i];
            const count = this.liveUnits.adjust(dev, this.slotUnitHi[slot], this.slotUnitLo[slot], -1);
            completes = b.cls[i] !== DeviceClass.disk || count <= 1;
          }
          if (completes) this.queues.complete(this.slotQueue[slot]);
          this.releasing.push(slot);
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
          continue;
        }
      }
      if (this.firstTs < 0) this.firstTs = ts;
      this.lastTs = ts;
    }
  }

  /** Map row i continues the DMA in `slot` (first row `first`): one more segment. */
  private addSegment(b: EventBatch, i: number, slot: number, first: number): void {
    if (b.dir[i] !== this.slotDir[slot]) {
      this.reject(b, i, 'segment-dir', `segment of handle ${formatId(b.handleHi[i], b.handleLo[i])} is ${DIR_NAMES[b.dir[i]]}, but its DMA (line ${this.slotLine[slot]}) is ${DIR_NAMES[this.slotDir[slot]]}`);
      return;
    }
    const e = this.allocSegment();
    this.segPage[e] = b.page[i];
    this.segOffset[e] = b.offset[i];
    this.segLen[e] = b.len[i];
    this.segNext[e] = -1;
    if (this.slotExtraTail[slot] < 0) this.slotExtra[slot] = e;
    else this.segNext[this.slotExtraTail[slot]] = e;
    this.slotExtraTail[slot] = e;
    this.slotSegs[slot]++;
    this.slotTotalLen[slot] += b.len[i];
    b.segs[first]++;
    b.op[i] = Op.segment;
    b.slot[i] = slot;
    this.segments++;
    this.pagesMapped += pagesSpanned(b.offset[i], b.len[i]);
    this.bytesMapped += b.len[i];
    this.lastTs = b.ts[i];
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

  private freeSlot(slot: number): void {
    for (let e = this.slotExtra[slot]; e >= 0; e = this.segNext[e]) this.segFree.push(e);
    this.slotExtra[slot] = -1;
    this.freeSlots[this.freeCount++] = slot;
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
    const u32 = (a: Uint32Array) => growUint32(a, n);
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
    this.slotHasUnit = u8(this.slotHasUnit);
    this.slotUnitHi = u32(this.slotUnitHi);
    this.slotUnitLo = u32(this.slotUnitLo);
    this.freeSlots = i32(this.freeSlots);
    this.slotCapacity = n;
  }
}
