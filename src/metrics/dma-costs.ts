/**
 * Cycles per DMA as a distribution, and cycles per device: what a mean hides (a lazy flush, a
 * batch's hypercall, a walk on a cold IOTLB fall on a few DMAs) and which device of a trace pays.
 *
 * Models: a DMA's cost is every cycle charged while the replay handles its rows (its map, its
 * explicit accesses, its unmap with the implicit access before it). Work one row triggers for
 * several DMAs is charged to that row's DMA, as it is to the CPU that does it: the first DMA of a
 * hypercall batch pays the hypercall, the unmap that fills a flush queue pays the flush, the row
 * a timer expires at pays the timer's flush. A DMA enters the distribution at its unmap, so DMAs
 * still mapped at the end are left out; work at the very end of the trace (a last timer flush)
 * belongs to no row, so device totals may fall short of the run's by it.
 *
 * Cost: two sums of the cycle counters per row, no allocation per row. Percentiles come from a
 * log-linear histogram: exact below 256 cycles, within 1/256 (0.4%) above, reported as the
 * largest cost seen in the percentile's bucket, so a value every DMA shares is exact.
 */
import { C } from './counters.js';
import { growFloat64 } from '../util/grow.js';
import type { EventBatch } from '../types/event.js';
import { Op } from '../types/event.js';

const SUB = 256;
const SUB_BITS = 8;
/** Buckets up to 2^62 cycles (no DMA costs more). */
const BUCKETS = SUB + (62 - SUB_BITS) * SUB;

// A double's bits, for reading its exponent and top mantissa bits without Math.log2.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the 32-bit word holding a double's sign, exponent and top mantissa bits. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/**
 * The bucket of x >= 0: x itself (floored) below SUB; above, its binary exponent e and the top
 * SUB_BITS bits of its mantissa, which are exactly floor((x / 2^e - 1) * SUB).
 */
export function bucketOf(x: number): number {
  if (x < SUB) return Math.floor(x);
  f64[0] = x;
  const hi = u32[HI];
  const e = ((hi >>> 20) & 0x7ff) - 1023;
  const m = (hi >>> (20 - SUB_BITS)) & (SUB - 1);
  const k = SUB + (e - SUB_BITS) * SUB + m;
  return k < BUCKETS - 1 ? k : BUCKETS - 1;
}

/** CPU cycles charged so far (every category but iotlb-walk), written out for speed. */
function cpuNow(c: Float64Array): number {
  return c[C.cycDriver] + c[C.cycHypercall] + c[C.cycValidate] + c[C.cycRefcount] + c[C.cycPtUpdate] + c[C.cycIotlbInvalidate] + c[C.cycIovaAlloc] + c[C.cycCopy];
}

/** A histogram's or a DmaCosts' fields as plain data: what a worker thread sends back
 * (a structured clone keeps the typed arrays but not the class). */
export interface CostHistogramData {
  counts: Float64Array;
  top: Float64Array;
  n: number;
  max: number;
}
export interface DmaCostsData {
  all: CostHistogramData;
  cpu: CostHistogramData;
  deviceDmas: Float64Array<ArrayBuffer>;
  deviceAll: Float64Array<ArrayBuffer>;
  deviceCpu: Float64Array<ArrayBuffer>;
}

export class CostHistogram {
  readonly counts: Float64Array;
  /** Largest value recorded in each bucket. */
  readonly top: Float64Array;
  n = 0;
  max = 0;
  // The last value added and its bucket (a cache, not state: bucketOf gives the same).
  private lastValue = -1;
  private lastBucket = 0;

  constructor(data?: CostHistogramData) {
    this.counts = data?.counts ?? new Float64Array(BUCKETS);
    this.top = data?.top ?? new Float64Array(BUCKETS);
    this.n = data?.n ?? 0;
    this.max = data?.max ?? 0;
  }

  add(v: number): void {
    const x = v < 0 ? 0 : v;
    let k: number;
    if (x === this.lastValue) k = this.lastBucket; // DMAs of one kind often cost the same
    else {
      k = bucketOf(x);
      this.lastValue = x;
      this.lastBucket = k;
    }
    this.counts[k]++;
    if (x > this.top[k]) this.top[k] = x;
    if (x > this.max) this.max = x;
    this.n++;
  }

  /** The q-quantile (0..1) by nearest rank; null when empty. */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let k = 0; k < BUCKETS; k++) {
      seen += this.counts[k];
      if (seen >= rank) return this.top[k];
    }
    return this.max;
  }
}

export class DmaCosts {
  /** Cycles (all) and CPU cycles of each DMA in flight, by slot. */
  private slotAll = new Float64Array(256);
  private slotCpu = new Float64Array(256);
  all = new CostHistogram();
  cpu = new CostHistogram();
  /** Per device id: DMAs mapped, cycles and CPU cycles charged to its rows. */
  deviceDmas = new Float64Array(8);
  deviceAll = new Float64Array(8);
  deviceCpu = new Float64Array(8);
  // The batch's rows so far (step), settled at flush: each row's index, and the CPU cycles and
  // all cycles charged when it began (entry n: when the batch ended). Settling a batch in one
  // loop keeps the strategies' per-row loops small (one sum and three stores per row).
  private rows = new Int32Array(4096);
  private rowCpu = new Float64Array(4097);
  private rowAll = new Float64Array(4097);
  private n = 0;
  private batch: EventBatch | null = null;

  /** Row i of b begins: the row before it is done. Call for every row a strategy replays, all
   * of one batch, then flush. */
  step(c: Float64Array, b: EventBatch, i: number): void {
    const n = this.n;
    if (n === this.rows.length) this.growRows();
    const cpu = cpuNow(c);
    this.rows[n] = i;
    this.rowCpu[n] = cpu;
    this.rowAll[n] = cpu + c[C.cycIotlbWalk];
    this.n = n + 1;
    this.batch = b;
  }

  /** The batch is done: its last row too. Each row is charged what was charged from its start
   * to the next row's (to the flush, for the last). */
  flush(c: Float64Array): void {
    const n = this.n;
    if (n === 0) return;
    const cpu = cpuNow(c);
    this.rowCpu[n] = cpu;
    this.rowAll[n] = cpu + c[C.cycIotlbWalk];
    const b = this.batch!;
    const rows = this.rows;
    const rowCpu = this.rowCpu;
    const rowAll = this.rowAll;
    for (let k = 0; k < n; k++) {
      const i = rows[k];
      this.charge(b.slot[i], b.device[i], b.op[i], rowAll[k + 1] - rowAll[k], rowCpu[k + 1] - rowCpu[k]);
    }
    this.n = 0;
    this.batch = null;
  }

  /** A row of op `op` on device d for DMA slot s cost dAll cycles, dCpu of them CPU cycles. */
  private charge(s: number, d: number, op: number, dAll: number, dCpu: number): void {
    if (d >= this.deviceAll.length) this.growDevices(Math.max(d + 1, this.deviceAll.length * 2));
    this.deviceAll[d] += dAll;
    this.deviceCpu[d] += dCpu;
    if (op === Op.map) this.deviceDmas[d]++;
    if (s < 0) return; // an access to no live DMA: its device pays, no DMA does
    if (s >= this.slotAll.length) {
      const n = Math.max(s + 1, this.slotAll.length * 2);
      this.slotAll = growFloat64(this.slotAll, n);
      this.slotCpu = growFloat64(this.slotCpu, n);
    }
    this.slotAll[s] += dAll;
    this.slotCpu[s] += dCpu;
    if (op === Op.unmap) {
      this.all.add(this.slotAll[s]);
      this.cpu.add(this.slotCpu[s]);
      this.slotAll[s] = 0;
      this.slotCpu[s] = 0;
    }
  }

  private growRows(): void {
    const n = this.rows.length * 2;
    const rows = new Int32Array(n);
    rows.set(this.rows);
    this.rows = rows;
    this.rowCpu = growFloat64(this.rowCpu, n + 1);
    this.rowAll = growFloat64(this.rowAll, n + 1);
  }

  /** A DmaCosts with the figures a worker thread sent back (its runs' costs, as data). */
  static revive(data: DmaCostsData): DmaCosts {
    const costs = new DmaCosts();
    costs.all = new CostHistogram(data.all);
    costs.cpu = new CostHistogram(data.cpu);
    costs.deviceDmas = data.deviceDmas;
    costs.deviceAll = data.deviceAll;
    costs.deviceCpu = data.deviceCpu;
    return costs;
  }

  private growDevices(n: number): void {
    this.deviceDmas = growFloat64(this.deviceDmas, n);
    this.deviceAll = growFloat64(this.deviceAll, n);
    this.deviceCpu = growFloat64(this.deviceCpu, n);
  }
}
