/**
 * `rx-100g`: a 100 Gb/s NIC receiving many TCP flows, as F&S measured it (Rubin et al., SOSP
 * 2024: ConnectX-5, mlx5 striding RQ, Linux 6.0 strict mode, iperf with 5-40 flows on 5 cores).
 *
 * Model: `flows` flows spread over `queues` receive queues (RSS; a queue per core, its CPU the
 * `cpu` of its rows); packets of `mtu` bytes arrive back to back at `rate_mbps`, round robin over
 * the queues that have a flow. Each queue keeps ring / wqe_pages multi-packet receive descriptors
 * posted; a descriptor is `wqe_pages` pages, each mapped by its own DMA (dma_map_page per page, as
 * mlx5 does), all with the descriptor as their unit, posted together. A packet lands in the next
 * page of its queue's current descriptor (an `access` row: the device writes it). When a
 * descriptor's last page is filled, `napi_us` later the driver unmaps its pages and posts a fresh
 * descriptor. Pages come from a per-queue page pool (page_pool) that recycles them last freed
 * first; it starts with `pool_pages` pages at random places of the region. For every data page the
 * receiver sends `acks_per_page` TCP ACKs of `ack_bytes` (one TX DMA each, no unit, unmapped
 * `ack_done_us` later).
 * Does not model: CQE writes per packet and the UMR descriptor carrying the page addresses (the
 * ring model's one read and one write per DMA stand in), GRO, header split, flow-dependent drops.
 */
import type { Knob, StreamContext, SynthEvent } from './types.js';
import { MinHeap } from '../util/min-heap.js';
import { randInt } from '../util/prng.js';

const PAGE = 4096;

export const RX100G_KNOBS: readonly Knob[] = [
  { name: 'flows', default: 5, unit: 'flows', why: 'F&S (SOSP 2024) Fig. 2: 5, 10, 20 and 40 iperf flows' },
  { name: 'queues', default: 5, unit: 'queues', why: 'F&S: 5 cores, the fewest that saturate 100 Gb/s, one receive queue each' },
  { name: 'rate_mbps', default: 100000, unit: 'Mb/s', why: 'a 100 Gb/s ConnectX-5, as in F&S' },
  { name: 'mtu', default: 4000, unit: 'bytes', why: 'F&S scripts set a 4000-byte MTU (one packet per 4 KiB page)' },
  { name: 'ring', default: 256, unit: 'packets', why: 'F&S: "256 MTU-sized packets worth of ring buffer" per queue (swept 256-2048)' },
  { name: 'wqe_pages', default: 64, unit: 'pages', why: 'Linux 6.0 mlx5: MLX5_MPWRQ_PAGES_PER_WQE = 64 pages per multi-packet receive descriptor' },
  { name: 'napi_us', default: 5, unit: 'us', why: 'assumption: a descriptor is released a few microseconds after its last packet (one NAPI poll)' },
  { name: 'pool_pages', default: 1024, unit: 'pages', why: 'assumption: a page_pool of 4 MiB per queue (4x the ring), recycling pages last freed first' },
  { name: 'acks_per_page', default: -1, unit: 'ACKs', why: 'F&S Fig. 2, read off the plot: 0.044, 0.067, 0.10 and 0.12 ACKs per received page at 5, 10, 20 and 40 flows; -1 (the default) takes that curve at `flows` (linear between its points, flat past its ends)' },
  { name: 'ack_bytes', default: 66, unit: 'bytes', why: 'a TCP ACK with timestamps: 14 + 20 + 32 bytes' },
  { name: 'ack_done_us', default: 3, unit: 'us', why: 'assumption: TX completion a few microseconds after the ACK is posted' },
];

/** Guest-physical region of ACK buffers (small skbs, recycled), below the page pool's. */
const ACK_REGION = 0x7000000;

/** F&S Fig. 2: TCP ACKs sent per page received, by flow count. */
const FS_ACKS: readonly [number, number][] = [
  [5, 0.044],
  [10, 0.067],
  [20, 0.1],
  [40, 0.12],
];

/** ACKs per page at `flows` flows, linear between F&S's measured points, flat past its ends. */
export function acksPerPage(flows: number): number {
  if (flows <= FS_ACKS[0][0]) return FS_ACKS[0][1];
  for (let j = 1; j < FS_ACKS.length; j++) {
    const [f1, a1] = FS_ACKS[j];
    if (flows <= f1) {
      const [f0, a0] = FS_ACKS[j - 1];
      return a0 + ((a1 - a0) * (flows - f0)) / (f1 - f0);
    }
  }
  return FS_ACKS[FS_ACKS.length - 1][1];
}

export function* rx100g(ctx: StreamContext): Generator<SynthEvent> {
  const k = ctx.knobs;
  const ackRate = k.acks_per_page >= 0 ? k.acks_per_page : acksPerPage(k.flows);
  const queues = Math.max(1, Math.min(Math.floor(k.queues), Math.floor(k.flows)));
  const perWqe = Math.max(1, Math.floor(k.wqe_pages));
  const wqesPerQueue = Math.max(1, Math.floor(k.ring / perWqe));
  const gapNs = (k.mtu * 8 * 1000) / k.rate_mbps;
  const napi = k.napi_us * 1000;
  // Events in time order; ties first in, first out (MinHeap keeps insertion order).
  const out = new MinHeap<SynthEvent>();
  const emit = (e: SynthEvent) => out.push(e.ts, e);
  let handle = ctx.handleBase;
  let unit = 0;
  const regionPages = ctx.regionBytes / PAGE;

  // Per queue: its page pool, its descriptors (pages and handles, oldest first), the page being filled.
  const pools: number[][] = [];
  const posted: { unit: number; pages: number[]; handles: number[] }[][] = [];
  const fill: number[] = [];
  const post = (q: number, ts: number): boolean => {
    if (ctx.budget.mapsLeft < perWqe || ts >= ctx.budget.endTs) return false;
    const w = { unit: unit++, pages: [] as number[], handles: [] as number[] };
    for (let p = 0; p < perWqe; p++) {
      const page = pools[q].pop() ?? ctx.regionBase + randInt(ctx.rand, 0, regionPages - 1) * PAGE;
      const h = handle++;
      w.pages.push(page);
      w.handles.push(h);
      ctx.budget.mapsLeft--;
      emit({ ts, guest: ctx.guest, device: ctx.device, cls: 'net', op: 'map', dir: 'from_device', addr: page, len: PAGE, handle: h, unit: w.unit, cpu: q });
    }
    posted[q].push(w);
    return true;
  };
  for (let q = 0; q < queues; q++) {
    pools.push([]);
    for (let p = 0; p < k.pool_pages; p++) pools[q].push(ctx.regionBase + randInt(ctx.rand, 0, regionPages - 1) * PAGE);
    posted.push([]);
    fill.push(0);
    for (let w = 0; w < wqesPerQueue; w++) post(q, 0);
  }
  // Packets, back to back, round robin over the queues; ACKs accrue per page received.
  let ackDebt = 0;
  let ackHandle = ctx.handleBase + 500_000_000_000;
  let ackSlot = 0;
  let live = true;
  let last = 0;
  for (let n = 0; live; n++) {
    const ts = Math.round((n + 1) * gapNs);
    const q = n % queues;
    const w = posted[q][0];
    if (w === undefined) {
      // No descriptor on this queue (the budget ran out): its packets are dropped; stop when no
      // queue has one.
      if (posted.every((d) => d.length === 0)) break;
      continue;
    }
    const slot = fill[q];
    emit({ ts, guest: ctx.guest, device: ctx.device, cls: 'net', op: 'access', dir: 'from_device', addr: w.pages[slot], len: Math.min(k.mtu, PAGE), handle: w.handles[slot], unit: w.unit, cpu: q });
    ackDebt += ackRate;
    while (ackDebt >= 1 && ctx.budget.mapsLeft > 0 && ts < ctx.budget.endTs) {
      ackDebt -= 1;
      const addr = ACK_REGION + (ackSlot++ % 256) * 256;
      const h = ackHandle++;
      ctx.budget.mapsLeft--;
      emit({ ts, guest: ctx.guest, device: ctx.device, cls: 'net', op: 'map', dir: 'to_device', addr, len: k.ack_bytes, handle: h, unit: -1, cpu: q });
      emit({ ts: ts + Math.round(k.ack_done_us * 1000), guest: ctx.guest, device: ctx.device, cls: 'net', op: 'unmap', dir: 'to_device', addr, len: k.ack_bytes, handle: h, unit: -1, cpu: q });
    }
    if (slot + 1 < perWqe) {
      fill[q] = slot + 1;
    } else {
      // The descriptor is full: released after the poll, its pages back to the pool, a new one posted.
      fill[q] = 0;
      posted[q].shift();
      const done = ts + napi;
      for (let p = 0; p < perWqe; p++) {
        emit({ ts: done, guest: ctx.guest, device: ctx.device, cls: 'net', op: 'unmap', dir: 'from_device', addr: w.pages[p], len: PAGE, handle: w.handles[p], unit: w.unit, cpu: q });
        pools[q].push(w.pages[p]);
      }
      post(q, done);
      if (posted.every((d) => d.length === 0)) live = false;
    }
    // Hand on everything before the next packet's time (later events may still be scheduled).
    const next = Math.round((n + 2) * gapNs);
    while (out.size > 0 && out.peekKey() < next) {
      const e = out.pop()!;
      last = e.ts;
      yield e;
    }
    // Past the budget, the last posted descriptors are filled and released; then the trace ends.
    if (ctx.budget.mapsLeft < perWqe && posted.every((d) => d.length === 0)) live = false;
  }
  while (out.size > 0) {
    const e = out.pop()!;
    last = e.ts;
    yield e;
  }
  // Descriptors still posted at the end (partly filled): released then.
  for (let q = 0; q < queues; q++) {
    for (const w of posted[q]) for (let p = 0; p < perWqe; p++) yield { ts: last, guest: ctx.guest, device: ctx.device, cls: 'net', op: 'unmap', dir: 'from_device', addr: w.pages[p], len: PAGE, handle: w.handles[p], unit: w.unit, cpu: q };
  }
}
