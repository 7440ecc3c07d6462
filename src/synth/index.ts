/**
 * The workload registry and the generator that merges a workload's streams (one or more per
 * guest) into one time-ordered canonical trace, streamed to a writable in bounded memory.
 */
import type { Workload, StreamContext, SynthEvent, Budget } from './types.js';
import { netperfRx, RX_KNOBS } from './netperf-rx.js';
import { netperfTx, TX_KNOBS } from './netperf-tx.js';
import { diskRandWrite, diskSeqRead, RAND_WRITE_KNOBS, SEQ_READ_KNOBS } from './disk.js';
import { rx100g, RX100G_KNOBS } from './rx-100g.js';
import { knobValues } from './stream.js';
import { MinHeap } from '../util/min-heap.js';
import { prng } from '../util/prng.js';
import { UsageError } from '../util/errors.js';
import { closestName } from '../util/closest.js';
import { CANONICAL_HEADER, CANONICAL_HEADER_WITH_CPU } from '../trace/canonical.js';

const MIB = 1024 * 1024;
/** Guest-physical regions the streams of one guest take their buffers from (below 1 GiB). */
const REGION = { rx: [0x04000000, 32 * MIB], tx: [0x08000000, 32 * MIB], disk: [0x10000000, 512 * MIB], pagePool: [0x30000000, 256 * MIB] } as const;

const diskName = (g: number) => `vd${String.fromCharCode(97 + (g % 26))}`;

export const WORKLOADS: readonly Workload[] = [
  {
    id: 'netperf-tx',
    summary: 'TCP bulk send: 64 KiB TSO sends as header + page-frag fragments, recycled pages',
    knobs: TX_KNOBS,
    streams: (g, make, given) => [netperfTx(make(`nic${g}`, 1, knobValues(TX_KNOBS, given)))],
  },
  {
    id: 'netperf-rx',
    summary: 'TCP bulk receive: RX ring refilled with recycled 2 KiB buffers',
    knobs: RX_KNOBS,
    streams: (g, make, given) => [netperfRx(make(`nic${g}`, 0, knobValues(RX_KNOBS, given)))],
  },
  {
    id: 'disk-seq-read',
    summary: 'sequential read with readahead into fresh page-cache pages',
    knobs: SEQ_READ_KNOBS,
    streams: (g, make, given) => [diskSeqRead(make(diskName(g), 2, knobValues(SEQ_READ_KNOBS, given)))],
  },
  {
    id: 'disk-rand-write',
    summary: 'random rewrite writeback, NCQ depth 32, out-of-order completion',
    knobs: RAND_WRITE_KNOBS,
    streams: (g, make, given) => [diskRandWrite(make(diskName(g), 2, knobValues(RAND_WRITE_KNOBS, given)))],
  },
  {
    id: 'rx-100g',
    summary: '100 Gb/s multi-flow receive (F&S, SOSP 2024): mlx5 multi-packet descriptors of 64 pages over 5 queues, TCP ACKs',
    knobs: RX100G_KNOBS,
    cpuColumn: true,
    streams: (g, make, given) => [rx100g(make(`mlx${g}`, 3, knobValues(RX100G_KNOBS, given)))],
  },
  {
    id: 'mixed',
    summary: 'per guest: NIC receive and send on one NIC plus random disk writes, all at once',
    knobs: [],
    // --rate applies to both network streams; the disk stream keeps 8 writes in flight.
    streams: (g, make, given) => [
      netperfRx(make(`nic${g}`, 0, knobValues(RX_KNOBS, given))),
      netperfTx(make(`nic${g}`, 1, knobValues(TX_KNOBS, given))),
      diskRandWrite(make(diskName(g), 2, knobValues(RAND_WRITE_KNOBS, { qd: 8 }))),
    ],
  },
];

export const WORKLOAD_IDS = WORKLOADS.map((w) => w.id);

export function getWorkload(id: string): Workload {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new UsageError(`unknown workload '${id}'${closestName(id, WORKLOAD_IDS)}; valid: ${WORKLOAD_IDS.join(', ')}`);
  return w;
}

export interface SynthOptions {
  /** Stop posting after this many DMAs (then every DMA in flight completes); a disk request's
   * scatter-gather list is one DMA. */
  dmas?: number;
  /** Stop posting at this trace time, ns. */
  durationNs?: number;
  guests?: number;
  seed?: number;
  /** Link rate for the network streams, Mb/s. */
  rateMbps?: number;
  /** Model knobs, by name (see the workload's knobs). */
  knobs?: Record<string, number>;
}

/** Checks knob names against the workload's. */
export function checkKnobs(w: Workload, knobs: Record<string, number>): void {
  const names = w.knobs.map((k) => k.name);
  for (const name of Object.keys(knobs)) {
    if (!names.includes(name)) throw new UsageError(`workload ${w.id} has no knob '${name}'${closestName(name, names)}; knobs: ${names.join(', ') || 'none'}`);
  }
}

/** All events of the workload, in time order (ties: by stream, then by emission order). */
export function* synthesize(workloadId: string, options: SynthOptions = {}): Generator<SynthEvent> {
  const w = getWorkload(workloadId);
  const given = { ...(options.knobs ?? {}) };
  checkKnobs(w, given);
  if (options.rateMbps !== undefined) given.rate_mbps = options.rateMbps;
  for (const [k, v] of Object.entries(given)) if (!Number.isFinite(v) || v < 0) throw new UsageError(`knob ${k}: ${v} is not a non-negative number`);
  const guests = options.guests ?? 1;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(guests) || guests < 1 || guests > 26) throw new UsageError('--guests must be a whole number from 1 to 26');
  if (options.dmas === undefined && options.durationNs === undefined) throw new UsageError('give --dmas N or --duration-ms D');
  const budget: Budget = { mapsLeft: options.dmas ?? Infinity, endTs: options.durationNs ?? Infinity };
  const streams: Iterator<SynthEvent>[] = [];
  for (let g = 0; g < guests; g++) {
    let index = 0;
    const make = (device: string, region: number, knobs: Record<string, number>): StreamContext => {
      const [base, bytes] = [REGION.rx, REGION.tx, REGION.disk, REGION.pagePool][region];
      const streamNo = streams.length + index++;
      return {
        guest: g,
        device,
        rand: prng((seed * 1000003 + streamNo * 7919) >>> 0),
        knobs,
        regionBase: base,
        regionBytes: bytes,
        // Streams sharing a device (mixed: RX and TX on one NIC) get disjoint handle ranges.
        handleBase: region * 1_000_000_000_000,
        budget,
      };
    };
    streams.push(...w.streams(g, make, given));
  }
  // k-way merge by timestamp.
  const heads = new MinHeap<[number, SynthEvent]>();
  const pull = (i: number) => {
    const r = streams[i].next();
    if (!r.done) heads.push(r.value.ts * 64 + i, [i, r.value]);
  };
  streams.forEach((_, i) => pull(i));
  while (heads.size > 0) {
    const [i, e] = heads.pop()!;
    yield e;
    pull(i);
  }
}

export function eventLine(e: SynthEvent, cpuColumn = false): string {
  const line = `${e.ts},${e.guest},${e.device},${e.cls},${e.op},${e.dir},0x${e.addr.toString(16)},${e.len},${e.handle},${e.unit < 0 ? '' : e.unit}`;
  return cpuColumn ? `${line},${e.cpu ?? 0}` : line;
}

export interface SynthSummary {
  workload: string;
  events: number;
  /** DMAs (a scatter-gather list counts once; its segments are `events` rows too). */
  dmas: number;
  duration_ns: number;
  guests: number;
  devices: string[];
}

/** Streams the trace as canonical CSV to `out`, honouring back-pressure. */
export async function writeSynth(out: NodeJS.WritableStream, workloadId: string, options: SynthOptions = {}): Promise<SynthSummary> {
  const cpuColumn = getWorkload(workloadId).cpuColumn === true;
  const lines: string[] = [cpuColumn ? CANONICAL_HEADER_WITH_CPU : CANONICAL_HEADER];
  let events = 0;
  let dmas = 0;
  let last = 0;
  let prev: SynthEvent | null = null;
  const devices = new Set<string>();
  const flush = async () => {
    const text = lines.join('\n') + '\n';
    lines.length = 0;
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  for (const e of synthesize(workloadId, options)) {
    lines.push(eventLine(e, cpuColumn));
    events++;
    // A map row continuing the previous one (same device and handle) is a further segment.
    if (e.op === 'map' && !(prev !== null && prev.op === 'map' && prev.handle === e.handle && prev.device === e.device && prev.guest === e.guest)) dmas++;
    prev = e;
    last = e.ts;
    devices.add(e.device);
    if (lines.length >= 4096) await flush();
  }
  if (lines.length > 0) await flush();
  return { workload: workloadId, events, dmas, duration_ns: last, guests: options.guests ?? 1, devices: [...devices].sort() };
}
