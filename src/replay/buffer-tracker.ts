/**
 * The replay's front end, run once per batch before any strategy sees it: pairs every unmap
 * with its map (by guest, device and handle, in time order), gives each in-flight buffer a
 * slot id, copies the map's geometry into the unmap row, flags buffers the device never
 * accessed explicitly (it then accesses them in full just before the unmap), counts units
 * (packets / requests) and device-queue occupancy, and rejects rows that cannot be replayed:
 * timestamps going backwards, a second map of a live handle, an unmap with no live map.
 *
 * Memory follows the number of buffers in flight, never the trace length.
 */
import { EventBatch, DeviceClass, Op, type DeviceTable } from '../types/event.js';
import { TripleKeyMap } from '../util/triple-key-map.js';
import { formatId } from '../trace/fields.js';
import type { Diagnostics } from '../trace/diagnostics.js';
import { DeviceQueues, queueOf, type QueueCapacities } from '../model/device/queues.js';

export class BufferTracker {
  /** Current size of the slot arrays; strategies size their per-slot state to it. */
  slotCapacity = 256;
  private slotPage = new Float64Array(256);
  private slotOffset = new Int32Array(256);
  private slotLen = new Float64Array(256);
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
  maps = 0;
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
    const n = b.length;
    for (let i = 0; i < n; i++) {
      const ts = b.ts[i];
      if (ts < this.lastTs) {
        this.reject(b, i, 'time-backwards', `timestamp ${ts} goes backwards (previous ${this.lastTs})`);
        continue;
      }
      const op = b.op[i];
      // Handles are scoped by guest and device: two devices may use the same IOVA at once.
      const owner = (b.guest[i] << 16) | b.device[i];
      if (op === Op.map) {
        const existing = this.live.get(owner, b.handleHi[i], b.handleLo[i]);
        if (existing >= 0) {
          this.reject(b, i, 'duplicate-map', `handle ${formatId(b.handleHi[i], b.handleLo[i])} is already mapped (since line ${this.slotLine[existing]}) and not unmapped`);
          continue;
        }
        if (b.device[i] >= this.deviceGuest.length || this.deviceGuest[b.device[i]] !== b.guest[i]) this.checkDeviceGuest(b, i);
        const slot = this.allocSlot();
        this.live.set(owner, b.handleHi[i], b.handleLo[i], slot);
        this.slotPage[slot] = b.page[i];
        this.slotOffset[slot] = b.offset[i];
        this.slotLen[slot] = b.len[i];
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
          // A disk request is one queue entry however many buffers its scatter-gather list has.
          posts = b.cls[i] !== DeviceClass.disk || count < 0;
        }
        if (posts) this.queues.post(queue, b.cls[i], b.line[i]);
        b.slot[i] = slot;
        this.maps++;
        this.bytesMapped += b.len[i];
        if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
      } else if (op === Op.unmap) {
        const slot = this.live.delete(owner, b.handleHi[i], b.handleLo[i]);
        if (slot < 0) {
          this.reject(b, i, 'unmatched-unmap', `unmap of handle ${formatId(b.handleHi[i], b.handleLo[i])} on ${this.devices.names[b.device[i]]} with no live map`);
          continue;
        }
        b.slot[i] = slot;
        b.page[i] = this.slotPage[slot];
        b.offset[i] = this.slotOffset[slot];
        b.len[i] = this.slotLen[slot];
        b.dir[i] = this.slotDir[slot];
        b.implicitAccess[i] = this.slotAccessed[slot] === 1 ? 0 : 1;
        let completes = true;
        if (this.slotHasUnit[slot] === 1) {
          const dev = b.device[i];
          const count = this.liveUnits.adjust(dev, this.slotUnitHi[slot], this.slotUnitLo[slot], -1);
          completes = b.cls[i] !== DeviceClass.disk || count <= 1;
        }
        if (completes) this.queues.complete(this.slotQueue[slot]);
        this.freeSlot(slot);
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
      if (this.firstTs < 0) this.firstTs = ts;
      this.lastTs = ts;
    }
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
    this.freeSlots[this.freeCount++] = slot;
  }

  private growSlots(): void {
    const n = this.slotCapacity * 2;
    const f64 = (a: Float64Array) => {
      const c = new Float64Array(n);
      c.set(a);
      return c;
    };
    const i32 = (a: Int32Array) => {
      const c = new Int32Array(n);
      c.set(a);
      return c;
    };
    const u8 = (a: Uint8Array) => {
      const c = new Uint8Array(n);
      c.set(a);
      return c;
    };
    const u32 = (a: Uint32Array) => {
      const c = new Uint32Array(n);
      c.set(a);
      return c;
    };
    this.slotPage = f64(this.slotPage);
    this.slotOffset = i32(this.slotOffset);
    this.slotLen = f64(this.slotLen);
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
