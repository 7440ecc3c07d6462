/**
 * The buffer tracker's flat loop against its reference loop (`reference: true`) on fuzzed event
 * streams (fast-check): every column of every batch after pairing, the segments and geometry of
 * every slot a row names (read before the next batch, while they are valid), the slot capacity,
 * every counter, the queues, and the problems and warnings in order must be equal. The streams
 * hold what sends rows to the reference: timestamps going backwards, duplicate maps, unmaps of
 * nothing, scatter-gather segments (some of another direction), a device mapping for two guests,
 * devices first seen late, rows already skipped, anonymous and stray accesses, units shared by
 * DMAs (disk requests), batches of one row, and enough live buffers for the slot arrays and both
 * tables to grow.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BufferTracker } from '../../src/replay/buffer-tracker.js';
import { Diagnostics } from '../../src/trace/diagnostics.js';
import { DeviceTable, EventBatch, Op } from '../../src/types/event.js';
import type { SgList } from '../../src/model/device/sg-list.js';

interface Row {
  kind: number;
  dt: number;
  guest: number;
  device: number;
  handle: number;
  hiHandle: boolean;
  dir: number;
  page: number;
  offset: number;
  len: number;
  unit: number;
  /** The unit's high word (units are 64-bit). */
  unitHi: number;
}

/** Devices 0-1 are NICs, 2-3 disks (queueOf and the disk-request rule differ by class). */
const CLASSES = [0, 0, 1, 1];

const rowArb = (handles: number, kinds = [0, 0, 0, 1, 1, 1, 2, 3, 4, 4], dts = [0, 0, 1, 5, -1, -3]): fc.Arbitrary<Row> =>
  fc.record({
    // map, unmap, access, skip (a row the reader already rejected), and a map repeating the
    // previous row's handle (a further segment) drawn as kind 4.
    kind: fc.constantFrom(...kinds),
    dt: fc.constantFrom(...dts),
    guest: fc.constantFrom(0, 0, 0, 1, 5),
    device: fc.integer({ min: 0, max: 3 }),
    handle: fc.oneof(fc.integer({ min: 0, max: handles }), fc.constant(-1)),
    hiHandle: fc.boolean(),
    dir: fc.constantFrom(0, 1, 1, 2),
    page: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(2 ** 40 - 1)),
    offset: fc.integer({ min: 0, max: 4095 }),
    len: fc.oneof(fc.integer({ min: 1, max: 3 * 4096 }), fc.constant(2 ** 33)),
    unit: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 100000 }), fc.constantFrom(2 ** 31, 2 ** 32 - 1)),
    unitHi: fc.constantFrom(0, 0, 0, 1, 0xffffffff),
  });

/** Rows into batches of the given sizes (the last takes the rest). */
function toBatches(rows: Row[], sizes: number[]): EventBatch[] {
  const batches: EventBatch[] = [];
  let ts = 1000;
  let at = 0;
  let prev: Row | null = null;
  for (let k = 0; at < rows.length; k++) {
    const size = k < sizes.length ? Math.min(sizes[k], rows.length - at) : rows.length - at;
    const b = new EventBatch(Math.max(size, 1));
    for (let j = 0; j < size; j++, at++) {
      let r = rows[at];
      if (r.kind === 4) r = prev ? { ...prev, kind: 0, dir: r.dir % 2 === 0 ? prev.dir : r.dir, page: r.page, offset: r.offset, len: r.len } : { ...r, kind: 0 };
      ts = Math.max(0, ts + r.dt);
      b.line[j] = at + 2;
      b.ts[j] = ts;
      b.guest[j] = r.guest;
      b.device[j] = r.device;
      b.cls[j] = CLASSES[r.device];
      b.op[j] = r.kind;
      b.dir[j] = r.dir;
      b.page[j] = r.page;
      b.offset[j] = r.offset;
      b.len[j] = r.len;
      // -1: an access naming no handle; hi parts as a 64-bit IOVA has them.
      b.handleHi[j] = r.handle < 0 ? 0xffffffff : r.hiHandle ? 0xfff0 : 0;
      b.handleLo[j] = r.handle < 0 ? 0xffffffff : (r.handle * 4096 + (r.handle % 3 === 0 ? 0x80000000 : 0)) >>> 0; // a third of handles above 2^31 (the same for a map and its unmap)
      b.hasUnit[j] = r.unit >= 0 ? 1 : 0;
      b.unitHi[j] = r.unit >= 0 ? r.unitHi : 0;
      b.unitLo[j] = r.unit >= 0 ? r.unit : 0;
      b.commitRow(j, 0);
      prev = r;
    }
    batches.push(b);
  }
  return batches;
}

/** Everything one loop gives for the batches, in a form toEqual compares exactly. */
function run(batches: EventBatch[], reference: boolean): unknown {
  const devices = new DeviceTable();
  ['nic0', 'nic1', 'vda', 'vdb'].forEach((name, k) => devices.intern(name, CLASSES[k]));
  const d = new Diagnostics();
  const t = new BufferTracker('fuzz.csv', d, devices, { txRing: 3, rxRing: 4, diskQueue: 2 }, reference);
  const out: unknown[] = [];
  // The segments as given (an SgList would also list every page of a 2^33-byte buffer).
  const segs: number[][] = [];
  const sg = { clear: () => (segs.length = 0), push: (page: number, offset: number, len: number) => segs.push([page, offset, len]) } as unknown as SgList;
  for (const original of batches) {
    const b = new EventBatch(original.capacity);
    b.copyFrom(original);
    t.process(b);
    const columns = Object.fromEntries(Object.entries(b).filter(([, v]) => ArrayBuffer.isView(v)).map(([k, v]) => [k, Array.from((v as Float64Array).subarray(0, b.length))]));
    const slots: unknown[] = [];
    for (let i = 0; i < b.length; i++) {
      if (b.slot[i] < 0 || b.op[i] === Op.skip) continue;
      t.segmentsOf(b.slot[i], sg);
      slots.push([i, t.pageOfSlot(b.slot[i]), t.dmaLenOfSlot(b.slot[i]), [...segs]]);
    }
    out.push({ columns, slots, capacity: t.slotCapacity });
  }
  const q = t.queues;
  const counters = [t.lastTs, t.firstTs, t.maps, t.segments, t.pagesMapped, t.unmaps, t.accesses, t.accessesToUnmappedHandles, t.units, t.inFlight, t.peakInFlight, t.bytesMapped, t.liveAtEnd];
  const queues = [q.overflows, q.firstOverflow, [0, 1, 2, 3, 4, 5, 6, 7].map((k) => [q.peak(k), q.capacity(k), q.ringKnown(k)])];
  return { out, counters, queues, problems: d.problems, kinds: [...d.countsByKind], warnings: d.warnings };
}

function sameThroughBothLoops(rows: Row[], sizes: number[]): void {
  const batches = toBatches(rows, sizes);
  expect(run(batches, false)).toEqual(run(batches, true));
}

describe('buffer tracker: flat loop against reference loop', () => {
  it('given short fuzzed streams over a few handles, then the same slots, columns, segments, counters and problems', () => {
    fc.assert(fc.property(fc.array(rowArb(6), { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 8 }), sameThroughBothLoops), { numRuns: 300 });
  });

  it('given long fuzzed streams over many handles (slot arrays and tables grow), then the same results', () => {
    // Not shrunk on failure: shrinking thousands of rows takes minutes.
    fc.assert(fc.property(fc.array(rowArb(4000, [0, 0, 0, 0, 0, 1, 1, 2, 4], [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1]), { minLength: 2500, maxLength: 4000 }), fc.array(fc.integer({ min: 1, max: 1500 }), { maxLength: 4 }), sameThroughBothLoops), { numRuns: 15, endOnFailure: true });
  });
});
