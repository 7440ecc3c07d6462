/**
 * `inspect`: what a trace holds, read in one streaming pass through the same reader and
 * buffer tracker the replay uses, so the problems it lists are exactly those a replay would
 * report.
 */
import { openTrace } from '../trace/open.js';
import { Diagnostics, formatProblem } from '../trace/diagnostics.js';
import { BufferTracker } from '../replay/buffer-tracker.js';
import { resolveProfileByName } from '../cost/profile.js';
import { CLASS_NAMES, Dir, DIR_NAMES, Op, PAGE_SIZE, MAX_GUESTS } from '../types/event.js';

/** Buffer-size buckets: upper bounds in bytes (last bucket: anything larger). */
export const SIZE_BUCKETS = [64, 256, 1024, 2048, 4096, 8192, 16384, 65536, 262144, 1048576] as const;

export interface DeviceSummary {
  name: string;
  class: string;
  /** DMAs mapped (a scatter-gather list counts once). */
  maps: number;
  /** Bytes of all their segments. */
  bytes: number;
  by_dir: Record<string, number>;
  /** Most descriptors in flight at once in each of its queues. */
  peak_queue: { tx_or_disk: number; rx: number };
}

export interface TraceSummary {
  trace: string;
  rows: number;
  events: number;
  /** DMAs mapped: DMA API calls (a scatter-gather list counts once). */
  maps: number;
  /** Segments of those DMAs (map rows accepted). */
  segments: number;
  /** DMAs of more than one segment. */
  scatter_gather_dmas: number;
  unmaps: number;
  accesses: number;
  /** Accesses naming a handle that was not mapped at the time (replayed as raw device addresses). */
  accesses_to_unmapped_handles: number;
  duration_ns: number;
  first_ts_ns: number | null;
  last_ts_ns: number | null;
  guests: number[];
  devices: DeviceSummary[];
  units: number;
  pages_mapped: number;
  /** DMAs whose segments cover more than one page. */
  multi_page_buffers: number;
  buffer_sizes: { le_bytes: number | null; count: number }[];
  peak_in_flight: number;
  live_at_end: number;
  problems: { total: number; by_kind: Record<string, number>; first: string[] };
  warnings: string[];
  /** What the trace cannot say, and what that does to the results. */
  notes: string[];
}

export async function inspectTrace(path: string, options: { strict?: boolean; profile?: string; set?: string[]; diagnostics?: Diagnostics; onProgress?: (bytesRead: number) => void } = {}): Promise<TraceSummary> {
  const params = resolveProfileByName(options.profile, options.set ?? []).params;
  const diagnostics = options.diagnostics ?? new Diagnostics(options.strict ?? false);
  const reader = await openTrace(path, diagnostics, { onProgress: options.onProgress });
  const tracker = new BufferTracker(path, diagnostics, reader.devices, {
    txRing: params['nic.tx_ring'],
    rxRing: params['nic.rx_ring'],
    diskQueue: params['disk.queue_depth'],
  });
  const guestSeen = new Uint8Array(MAX_GUESTS);
  const sizeCounts = new Array<number>(SIZE_BUCKETS.length + 1).fill(0);
  const devMaps: number[] = [];
  const devBytes: number[] = [];
  const devDir: number[][] = [];
  let multiPage = 0;
  let sgDmas = 0;
  // Whether every DMA is bidirectional with page-aligned whole-page segments: what ingest writes
  // for captures without dma: events (no direction, page-rounded sizes).
  let allPageBidirectional = true;
  const note = (d: number, dir: number, len: number) => {
    while (devMaps.length <= d) {
      devMaps.push(0);
      devBytes.push(0);
      devDir.push([0, 0, 0]);
    }
    devMaps[d]++;
    devDir[d][dir]++;
    let k = 0;
    while (k < SIZE_BUCKETS.length && len > SIZE_BUCKETS[k]) k++;
    sizeCounts[k]++;
  };
  for await (const b of reader.batches()) {
    tracker.process(b);
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i];
      if (op === Op.skip) continue;
      guestSeen[b.guest[i]] = 1;
      if (op !== Op.map && op !== Op.segment) continue;
      devBytes[b.device[i]] = (devBytes[b.device[i]] ?? 0) + b.len[i];
      if (b.dir[i] !== Dir.bidirectional || b.offset[i] !== 0 || b.len[i] % PAGE_SIZE !== 0) allPageBidirectional = false;
      if (op === Op.segment) continue;
      // A DMA's first row: its whole length is the tracker's (segments follow in this batch).
      const len = tracker.dmaLenOfSlot(b.slot[i]);
      note(b.device[i], b.dir[i], len);
      if (b.segs[i] > 1) sgDmas++;
      if (b.segs[i] > 1 || b.offset[i] + len > PAGE_SIZE) multiPage++;
    }
  }
  const devices: DeviceSummary[] = reader.devices.names.map((name, d) => ({
    name,
    class: CLASS_NAMES[reader.devices.classes[d]],
    maps: devMaps[d] ?? 0,
    bytes: devBytes[d] ?? 0,
    by_dir: Object.fromEntries(DIR_NAMES.map((n, j) => [n, devDir[d]?.[j] ?? 0])),
    peak_queue: { tx_or_disk: tracker.queues.peak(d * 2), rx: tracker.queues.peak(d * 2 + 1) },
  }));
  const guests: number[] = [];
  for (let g = 0; g < MAX_GUESTS; g++) if (guestSeen[g]) guests.push(g);
  const hasEvents = tracker.firstTs >= 0;
  return {
    trace: path,
    rows: reader.rowsRead,
    events: tracker.maps + tracker.unmaps + tracker.accesses,
    maps: tracker.maps,
    segments: tracker.segments,
    scatter_gather_dmas: sgDmas,
    unmaps: tracker.unmaps,
    accesses: tracker.accesses,
    accesses_to_unmapped_handles: tracker.accessesToUnmappedHandles,
    duration_ns: hasEvents ? tracker.lastTs - tracker.firstTs : 0,
    first_ts_ns: hasEvents ? tracker.firstTs : null,
    last_ts_ns: hasEvents ? tracker.lastTs : null,
    guests,
    devices,
    units: tracker.units,
    pages_mapped: tracker.pagesMapped,
    multi_page_buffers: multiPage,
    buffer_sizes: sizeCounts.map((count, k) => ({ le_bytes: k < SIZE_BUCKETS.length ? SIZE_BUCKETS[k] : null, count })),
    peak_in_flight: tracker.peakInFlight,
    live_at_end: tracker.liveAtEnd,
    problems: { total: diagnostics.total, by_kind: Object.fromEntries(diagnostics.countsByKind), first: diagnostics.problems.slice(0, 20).map(formatProblem) },
    warnings: [...diagnostics.warnings],
    notes:
      allPageBidirectional && tracker.maps > 0
        ? [
            'every buffer is bidirectional with whole, page-aligned pages, as ingest writes a capture without dma: events (Linux < 6.12): direction and byte length are unknown, so shadow copies whole pages both ways (overstating its copy cost) and the attack matrix\'s wrong-direction scenario has nothing to test',
          ]
        : [],
  };
}
