/**
 * Disk workloads through a SATA/AHCI-class controller with scatter-gather requests. Each request
 * is one unit and one DMA: the block layer maps the request's pages with one dma_map_sg call at
 * issue (a segment per run of physically contiguous pages) and unmaps the list with one
 * dma_unmap_sg at completion. `--dmas` counts requests.
 *
 * `disk-seq-read`: a sequential file read with readahead: `req_kib` requests, `qd` in flight,
 * transferred at `bw_mbs`; the page-cache pages that receive the data are fresh pages taken at
 * random from the stream's memory region (reads fill the cache with new pages), so mapping
 * reuse is low.
 *
 * `disk-rand-write`: writeback of a randomly rewritten file: requests of 4-64 KiB (powers of
 * two), `qd` in flight (NCQ), each served in a random time between `service_min_ms` and
 * `service_max_ms` (a 7200 rpm disk seeking), completing out of order; the dirty pages belong to
 * a file working set of `working_set_mib` whose pages were placed at random once, so rewrites
 * reuse pages.
 */
import type { Knob, StreamContext, SynthEvent } from './types.js';
import { Poster } from './stream.js';
import { randInt } from '../util/prng.js';
import { MinHeap } from '../util/min-heap.js';

const PAGE = 4096;

export const SEQ_READ_KNOBS: readonly Knob[] = [
  { name: 'req_kib', default: 128, unit: 'KiB', why: 'Linux default readahead window (read_ahead_kb = 128)' },
  { name: 'qd', default: 2, unit: 'requests', why: 'assumption: synchronous readahead plus one asynchronous readahead request in flight' },
  { name: 'bw_mbs', default: 80, unit: 'MB/s', why: 'assumption: sequential transfer rate of a 2008 7200 rpm SATA disk (70-100 MB/s)' },
  { name: 'latency_us', default: 100, unit: 'us', why: 'assumption: command overhead of controller and disk per request' },
];

export const RAND_WRITE_KNOBS: readonly Knob[] = [
  { name: 'min_kib', default: 4, unit: 'KiB', why: 'one page: the smallest writeback unit' },
  { name: 'max_kib', default: 64, unit: 'KiB', why: 'assumption: writeback clusters of up to 16 dirty pages' },
  { name: 'qd', default: 32, unit: 'requests', why: 'AHCI NCQ: 32 command slots' },
  { name: 'service_min_ms', default: 2, unit: 'ms', why: 'assumption: short seeks plus rotation on a 7200 rpm disk' },
  { name: 'service_max_ms', default: 12, unit: 'ms', why: 'assumption: full-stroke seek plus a full rotation (8.3 ms at 7200 rpm)' },
  { name: 'working_set_mib', default: 64, unit: 'MiB', why: 'assumption: the file being rewritten' },
];

/** A page of the stream's region, at random. */
function randomPage(ctx: StreamContext): number {
  return ctx.regionBase + randInt(ctx.rand, 0, ctx.regionBytes / PAGE - 1) * PAGE;
}

export function* diskSeqRead(ctx: StreamContext): Generator<SynthEvent> {
  const k = ctx.knobs;
  const poster = new Poster(ctx);
  const pages = Math.max(1, Math.round((k.req_kib * 1024) / PAGE));
  const transferNs = (pages * PAGE * 1e9) / (k.bw_mbs * 1e6);
  // Issue times: qd requests at 0, then one at each completion; the disk serves them in order.
  const issues = new MinHeap<number>();
  for (let q = 0; q < k.qd; q++) issues.push(0, 0);
  let diskFree = 0;
  for (let r = 0; ; r++) {
    const issue = issues.pop()!;
    yield* poster.due(issue);
    if (!poster.canPost(issue)) break;
    const done = Math.round(Math.max(issue, diskFree) + k.latency_us * 1000 + transferNs);
    diskFree = done;
    const list: number[] = [];
    for (let p = 0; p < pages; p++) list.push(randomPage(ctx));
    yield* poster.postList(issue, done, 'from_device', 'disk', list, PAGE, r);
    issues.push(done, done);
  }
  yield* poster.due(Infinity);
}

export function* diskRandWrite(ctx: StreamContext): Generator<SynthEvent> {
  const k = ctx.knobs;
  const poster = new Poster(ctx);
  const setPages = Math.max(1, Math.round((k.working_set_mib * 1024 * 1024) / PAGE));
  // The file's pages were placed in memory once, at random.
  const file: number[] = [];
  for (let i = 0; i < setPages; i++) file.push(randomPage(ctx));
  const sizes: number[] = [];
  for (let s = k.min_kib; s <= k.max_kib; s *= 2) sizes.push(Math.max(1, Math.round((s * 1024) / PAGE)));
  const issues = new MinHeap<number>();
  for (let q = 0; q < k.qd; q++) issues.push(q * 1000, q * 1000);
  for (let r = 0; ; r++) {
    const issue = issues.pop()!;
    yield* poster.due(issue);
    if (!poster.canPost(issue)) break;
    const n = sizes[randInt(ctx.rand, 0, sizes.length - 1)];
    const first = randInt(ctx.rand, 0, setPages - n);
    const done = Math.round(issue + randInt(ctx.rand, k.service_min_ms * 1000, k.service_max_ms * 1000) * 1000);
    yield* poster.postList(issue, done, 'to_device', 'disk', file.slice(first, first + n), PAGE, r);
    issues.push(done, done);
  }
  yield* poster.due(Infinity);
}
