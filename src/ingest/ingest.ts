/**
 * `ingest`: Linux trace text (ftrace's trace file, `trace-cmd report`, `perf script`) with
 * `iommu:` and `dma:` events -> canonical CSV rows, streamed. A DMA is one DMA API call: a
 * scatter-gather list is ONE DMA of several segments (consecutive `map` rows with one handle and
 * time), ended by one `unmap` row.
 *
 *   raw text (.gz read transparently)
 *     1. pre-scan: does the file have dma: events? (then iommu: events are the same DMAs again,
 *        except that the iommu:map lines of a dma_map_sg list give its segments' lengths)
 *     2. each line -> (ts, cpu, event, payload); unrelated events counted and skipped; bad lines
 *        reported as file:line. Lines are read in large runs of bytes (line-reader.ts); iommu:
 *        map/unmap lines and dma: single-buffer map/unmap lines, nearly all of a real trace, are
 *        parsed in place (fast-lines.ts); any other line, or one the fast path is unsure of,
 *        goes to the reference parsers (kernel-events.ts), so both give the same rows. A
 *        dma_map_sg line takes the iommu:map lines of its list from the same CPU (sg-lists.ts)
 *     3. a reorder window puts events from several CPUs back in time order
 *     4. dma: files: pair unmaps with maps by device + DMA address; dma_unmap_sg (which names
 *        physical addresses only) by device + the list's physical addresses. iommu:-only files:
 *        contiguous maps of one CPU released by one unmap are one DMA (iova-groups.ts). Unmaps of
 *        maps not in the file (a trace cut out of a longer run) are counted, not emitted
 *     5. canonical rows: addr = physical (guest-physical) address, handle = DMA address / first IOVA
 */
import { parseLine, parsePayload, canonicalDir, KNOWN_EVENTS, type DmaMap, type DmaMapSg, type DmaUnmap, type DmaUnmapSg } from './kernel-events.js';
import { scanEventLine, parseIommuMapAt, parseIommuUnmapAt, parseDmaMapAt, parseDmaUnmapAt, newFastFields, IOMMU_MAP, IOMMU_UNMAP, DMA_MAP, DMA_UNMAP, UNSURE, type FastDir } from './fast-lines.js';
import { openBytes, lineRuns, lineText, OVERLONG, MAX_LINE_BYTES } from './line-reader.js';
import { isAscii } from 'node:buffer';
import { ReorderQueue } from './reorder.js';
import { CsvOut } from './csv-out.js';
import { IovaGroups } from './iova-groups.js';
import { IommuMapStash, listRange, sgSegments } from './sg-lists.js';
import { Diagnostics } from '../trace/diagnostics.js';
import { CANONICAL_HEADER_WITH_CPU } from '../trace/canonical.js';
import { InputError, UsageError } from '../util/errors.js';
import { checkReadable, readError } from '../trace/input-file.js';
import { why } from '../trace/row-checks.js';

export type TraceFormat = 'canonical' | 'ftrace' | 'perf';

export interface DeviceInfo {
  /** Class; none when the devices file does not say (then --class, the name, net). */
  class?: 'net' | 'disk';
  /** Name to use in canonical rows (default: the kernel's). */
  name?: string;
  /** From a sysfs device list: the bound driver and the PCI class code (`0x030000`), for the summary. */
  driver?: string;
  pciClass?: string;
}

export interface IngestOptions {
  format?: TraceFormat | 'auto';
  /** Device name for iommu: events, which name none. */
  device?: string;
  /** Class for devices the mapping does not name. */
  cls?: 'net' | 'disk';
  /** Kernel device name -> class (and canonical name). */
  devices?: Record<string, DeviceInfo>;
  guest?: number;
  diagnostics?: Diagnostics;
  /** How far (ns) events may be out of order across CPUs before they are clamped. */
  reorderWindowNs?: number;
  /**
   * iommu:-only files: how long contiguous maps whose unmaps have not come yet are held back
   * before they are taken as one DMA (events, and ns of trace time; defaults 65,536 and 10 s).
   */
  groupHoldEvents?: number;
  groupHoldNs?: number;
  /** Called as the file is read, with the bytes read so far (compressed bytes for .gz). */
  onProgress?: (bytesRead: number) => void;
  /**
   * For tests: false sends every line through the reference parsers instead of the fast path
   * for iommu: and dma: map/unmap lines; `chunkBytes` sets the read size (small ones split
   * lines across chunks). The output is the same whatever these are.
   */
  fastPath?: boolean;
  chunkBytes?: number;
}

export interface IngestSummary {
  file: string;
  format: TraceFormat;
  lines: number;
  events: number;
  rows: number;
  /** DMAs (map operations); `maps` counts their rows (one per scatter-gather segment). */
  dmas: number;
  maps: number;
  unmaps: number;
  skipped: Record<string, number>;
  devices: string[];
  unmatched_unmaps: number;
  /** DMAs still live at the end of the file (normal for a window cut out of a longer run). */
  live_maps: number;
  reordered: number;
  notes: string[];
}

/** Bytes of a file's start that format detection reads at most (a FIFO's start is kept in memory). */
export const DETECT_BYTES = 4 << 20;

/** Reads the start of a file and says which format it is in. */
export async function detectFormat(path: string): Promise<TraceFormat | 'unknown'> {
  await checkReadable(path);
  const bytes = openBytes(path) as NodeJS.ReadableStream & { destroy(): void };
  try {
    return await formatOfStart(bytes as AsyncIterable<Buffer>);
  } catch (e) {
    throw readError(path, e);
  } finally {
    bytes.destroy();
  }
}

/**
 * The format of a trace from its first lines: the first that tells, after at most 200 lines that
 * do not, or DETECT_BYTES (so /dev/zero or a file without line ends is 'unknown', quickly).
 */
export async function formatOfStart(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<TraceFormat | 'unknown'> {
  let n = 0;
  for await (const run of lineRuns(firstBytes(chunks, DETECT_BYTES))) {
    if (run === OVERLONG) {
      if (++n > 200) break;
      continue;
    }
    for (const raw of (typeof run === 'string' ? run : run.toString('utf8')).split('\n')) {
      const line = raw.replace(/^\uFEFF/, '');
      if (line.trim() === '' || line.startsWith('#') || /^(cpus|CPU \d+ is empty|version)\b/i.test(line.trim())) continue;
      if (line.startsWith('ts_ns,') || line.includes('ts_ns')) return 'canonical';
      const p = parseLine(line);
      if (p) return p.group !== '' ? 'perf' : 'ftrace';
      if (++n > 200) return 'unknown';
    }
  }
  return 'unknown';
}

/** The first `limit` bytes of a stream of chunks. */
async function* firstBytes(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const c of chunks) {
    yield seen + c.length > limit ? c.subarray(0, limit - seen) : c;
    seen += c.length;
    if (seen >= limit) return;
  }
}

// How dma: events appear: `ts: dma_map_page:` (ftrace, trace-cmd) or `ts: dma:dma_map_page:` (perf).
const DMA_MARKS = [': dma_map_', ':dma_map_', ': dma_unmap_', ':dma_unmap_'].map((m) => Buffer.from(m));
// Searching a chunk for these is faster than for the marks ('_' is rare in trace text); each hit
// is then checked for a whole mark around it.
const MAP_TAIL = Buffer.from('_map_');
const UNMAP_TAIL = Buffer.from('_unmap_');

/** Whether the file has dma: map events (a byte scan of the whole file; cheap next to parsing). */
async function hasDmaEvents(path: string, chunkBytes: number = 1 << 20): Promise<boolean> {
  try {
    return await hasDmaMarks(openBytes(path, undefined, chunkBytes) as AsyncIterable<Buffer>);
  } catch (e) {
    throw readError(path, e);
  }
}

async function hasDmaMarks(chunks: AsyncIterable<Buffer>): Promise<boolean> {
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const b = chunk as Buffer;
    // A mark split across chunks: look in the last bytes of the previous chunk + the first of this.
    const seam = Buffer.concat([tail, b.subarray(0, 16)]);
    if (DMA_MARKS.some((m) => seam.indexOf(m) >= 0)) return true;
    // ': dma' + '_map_', ':dma' + '_map_', ...: a mark starts at most 5 bytes before its tail.
    if (hasMarkAround(b, MAP_TAIL, 5) || hasMarkAround(b, UNMAP_TAIL, 5)) return true;
    tail = b.length >= 16 ? b.subarray(b.length - 16) : Buffer.concat([tail, b]).subarray(-16);
  }
  return false;
}

/** Whether `b` holds, around some occurrence of `tail`, a DMA mark that starts up to `before` bytes earlier. */
function hasMarkAround(b: Buffer, tail: Buffer, before: number): boolean {
  for (let i = b.indexOf(tail); i >= 0; i = b.indexOf(tail, i + 1)) {
    const from = Math.max(0, i - before);
    const around = b.subarray(from, i + tail.length);
    if (DMA_MARKS.some((m) => around.indexOf(m) >= 0)) return true;
  }
  return false;
}

/** An address as canonical `0x...` text, or as the number the fast path read (written as that text). */
type Addr = string | number;

interface Live {
  handle: Addr;
  cls: string;
}

/** A live dma_map_sg DMA, found again by the physical addresses of its dma_unmap_sg. */
interface LiveSg {
  live: Live;
  key: Addr;
  phys: string[];
}

/** iommu:map, from either path: addresses as read (numbers from the fast path), the IOVA's page and exact value worked out. */
interface IommuMapEvent {
  kind: 'imap';
  cpu: number;
  iova: Addr;
  /** The IOVA as a number, NaN when not exact as a double. */
  iovaNum: number;
  page: number;
  paddr: Addr;
  size: number;
}
interface IommuUnmapEvent {
  kind: 'iunmap';
  page: number;
  size: number;
}
/** dma: single-buffer events as the fast path reads them: addresses as numbers, the device name interned. */
interface FastDmaMap {
  kind: 'fast-dma-map';
  device: string;
  dir: FastDir;
  dmaAddr: number;
  size: number;
  phys: number;
}
interface FastDmaUnmap {
  kind: 'fast-dma-unmap';
  device: string;
  dmaAddr: number;
}
/** dma_map_sg with its segments worked out (sg-lists.ts). */
interface SgMapEvent {
  kind: 'sg-map';
  device: string;
  dir: string;
  handle: string;
  phys: string[];
  addrs: string[];
  lens: number[];
}
type QueuedEvent = DmaMap | DmaUnmap | DmaUnmapSg | IommuMapEvent | IommuUnmapEvent | FastDmaMap | FastDmaUnmap | SgMapEvent;

/**
 * A DMA address as the key of a device's live maps: the number the fast path reads when it is
 * exact (at most 13 hex digits, i.e. `0x` + 13 in hexText's form), else the text; so an address
 * has one key whichever path read it.
 */
function dmaKey(hex: string): Addr {
  return hex.length <= 15 ? Number(hex) : hex;
}

/** The IOVA page of an address's text, as the fast path works it out (all hex digits but the last 3). */
const pageOf = (hex: string) => parseInt(hex.length > 5 ? hex.slice(2, -3) : '0', 16);

/**
 * Converts a raw kernel trace to canonical CSV text, yielded in chunks, and fills `summary`.
 * @throws InputError for a file that cannot be read or is not a kernel trace.
 */
export async function* ingestToCsv(path: string, options: IngestOptions = {}, summary?: IngestSummary): AsyncGenerator<string> {
  const detected = options.format && options.format !== 'auto' ? options.format : await detectFormat(path);
  if (detected === 'unknown') throw new InputError(`${path}: not a recognized trace (expected canonical CSV, ftrace/trace-cmd text or perf script output with iommu:/dma: events)`);
  if (detected === 'canonical') throw new UsageError(`${path}: already canonical CSV; nothing to ingest`);
  const diag = options.diagnostics ?? new Diagnostics();
  const s: IngestSummary = summary ?? ({} as IngestSummary);
  Object.assign(s, { file: path, format: detected, lines: 0, events: 0, rows: 0, dmas: 0, maps: 0, unmaps: 0, skipped: {}, devices: [], unmatched_unmaps: 0, live_maps: 0, reordered: 0, notes: [] });
  const skip = (why: string, n = 1) => {
    if (n > 0) s.skipped[why] = (s.skipped[why] ?? 0) + n;
  };
  const withDma = await hasDmaEvents(path, options.chunkBytes);
  const guest = options.guest ?? 0;
  const iommuDevice = options.device ?? 'iommu0';
  const devices = new Set<string>();
  const window = options.reorderWindowNs ?? 1_000_000;
  const queue = new ReorderQueue<QueuedEvent>();
  let newest = 0;
  let lastEmitted = -1;
  let t0 = -1;
  // Live DMAs: dma: per device (canonical name) by DMA address (`dmaKey`); dma_map_sg lists also
  // by device + first physical address. iommu:-only files: in `groups`.
  const liveDma = new Map<string, Map<Addr, Live>>();
  const liveSg = new Map<string, LiveSg[]>();
  // dma: files: the iommu:map lines waiting for the dma_map_sg of their list.
  const stash = new IommuMapStash();
  const sgHow = { iommu: 0, exact: 0, guessed: 0, rounded: 0, missing: 0 };
  const out = new CsvOut();
  out.line(CANONICAL_HEADER_WITH_CPU);
  const guestText = `${guest}`;

  // A device's name and class depend only on its kernel name and the options: work them out once,
  // with its live dma: maps (shared by kernel names given the same canonical name).
  type Device = { name: string; cls: string; live: Map<Addr, Live> };
  const deviceCache = new Map<string, Device>();
  const deviceOf = (kernelName: string): Device => deviceCache.get(kernelName) ?? newDevice(kernelName);
  const newDevice = (kernelName: string): Device => {
    const info = options.devices?.[kernelName];
    const name = info?.name ?? kernelName;
    devices.add(name);
    // Class: the mapping file, else --class, else what the name says, else net (and say so).
    let cls: string | null = info?.class ?? options.cls ?? guessClass(kernelName);
    if (cls === null) {
      cls = 'net';
      const known = info?.pciClass ? ` (driver ${info.driver ?? 'none'}, PCI class ${info.pciClass}: neither storage nor network)` : '';
      if (!s.notes.some((n) => n.includes(`'${kernelName}'`))) s.notes.push(`device '${kernelName}'${known}: class unknown, taken as net (give --class or a --devices file)`);
    }
    let live = liveDma.get(name);
    if (!live) liveDma.set(name, (live = new Map()));
    const d = { name, cls, live };
    deviceCache.set(kernelName, d);
    return d;
  };
  const addr = (a: Addr) => (typeof a === 'number' ? out.hex(a) : out.str(a));
  const row = (ts: number, device: string, cls: string, op: string, dir: string, phys: Addr, len: number | '', handle: Addr, cpu: number) => {
    // ts,guest,device,class,op,dir,addr,len,handle,unit,cpu (no unit: a DMA is its own request)
    out.num(ts);
    out.comma();
    out.str(guestText);
    out.comma();
    out.str(device);
    out.comma();
    out.str(cls);
    out.comma();
    out.str(op);
    out.comma();
    out.str(dir);
    out.comma();
    addr(phys);
    out.comma();
    if (len !== '') out.num(len);
    out.comma();
    addr(handle);
    out.comma();
    out.comma();
    out.num(cpu);
    out.endLine();
    s.rows++;
    if (op === 'map') s.maps++;
    else s.unmaps++;
  };

  // iommu:-only files: DMAs made of contiguous maps (iova-groups.ts), rows on the --device.
  let iommuDev: Device | null = null;
  const groups = new IovaGroups(
    {
      map: (ts, paddr, len, handle, segment, cpu) => {
        const d = (iommuDev ??= deviceOf(iommuDevice));
        if (segment === 0) s.dmas++;
        row(ts, d.name, d.cls, 'map', 'bidirectional', paddr, len, handle, cpu);
      },
      unmap: (ts, handle, cpu) => {
        const d = (iommuDev ??= deviceOf(iommuDevice));
        row(ts, d.name, d.cls, 'unmap', '', '', '', handle, cpu);
      },
    },
    options.groupHoldEvents,
    options.groupHoldNs,
  );

  // dma: maps and unmaps, paired by device + DMA address (`key`: see dmaKey). A map is one DMA:
  // one row per segment (`phys`/`size` one each, or arrays of them), all with the DMA's handle.
  const dmaMap = (ts: number, cpu: number, kernelName: string, dir: FastDir, phys: Addr | string[], size: number | number[], handle: Addr, key: Addr): Live | null => {
    if (dir === null) {
      skip('dir-none');
      return null;
    }
    const d = deviceOf(kernelName);
    const old = d.live.get(key);
    if (old) {
      // Mapped again without an unmap in the trace: close the old mapping first.
      row(ts, d.name, old.cls, 'unmap', '', '', '', old.handle, cpu);
      skip('remapped-without-unmap');
    }
    const live = { handle, cls: d.cls };
    d.live.set(key, live);
    s.dmas++;
    if (typeof size === 'number') row(ts, d.name, d.cls, 'map', dir, phys as Addr, size, handle, cpu);
    else for (let i = 0; i < size.length; i++) row(ts, d.name, d.cls, 'map', dir, (phys as string[])[i], size[i], handle, cpu);
    return live;
  };
  const dmaUnmap = (ts: number, cpu: number, kernelName: string, key: Addr) => {
    const d = deviceOf(kernelName);
    const live = d.live.get(key);
    if (!live) {
      s.unmatched_unmaps++;
      return;
    }
    d.live.delete(key);
    row(ts, d.name, live.cls, 'unmap', '', '', '', live.handle, cpu);
  };
  // A dma_unmap_sg names the list's physical addresses: the live list of the device with the same
  // first one (and, when several are live, the same addresses as far as both lists go).
  const sgUnmap = (ts: number, cpu: number, kernelName: string, phys: string[]) => {
    const d = deviceOf(kernelName);
    const pk = `${d.name}|${phys[0]}`;
    const lists = phys.length > 0 ? liveSg.get(pk) : undefined;
    // (lists whose DMA was closed since, by a remap or a dma_unmap_page of its handle, are dropped)
    const valid = lists?.filter((l) => d.live.get(l.key) === l.live) ?? [];
    const sameList = (l: LiveSg) => l.phys.every((p, i) => i >= phys.length || p === phys[i]);
    const found = valid.find(sameList) ?? valid[0];
    if (valid.length !== (lists?.length ?? 0) || found) {
      const left = valid.filter((l) => l !== found);
      if (left.length > 0) liveSg.set(pk, left);
      else liveSg.delete(pk);
    }
    if (!found) {
      s.unmatched_unmaps++;
      return;
    }
    dmaUnmap(ts, cpu, kernelName, found.key);
  };

  const convert = (tsAbs: number, cpu: number, ev: QueuedEvent) => {
    if (t0 < 0) t0 = tsAbs;
    const ts = tsAbs - t0;
    switch (ev.kind) {
      case 'dma-map':
        return void dmaMap(ts, cpu, ev.device, canonicalDir(ev.dir), ev.phys, ev.size, ev.dmaAddr, dmaKey(ev.dmaAddr));
      case 'fast-dma-map':
        return void dmaMap(ts, cpu, ev.device, ev.dir, ev.phys, ev.size, ev.dmaAddr, ev.dmaAddr);
      case 'dma-unmap':
        return dmaUnmap(ts, cpu, ev.device, dmaKey(ev.dmaAddr));
      case 'fast-dma-unmap':
        return dmaUnmap(ts, cpu, ev.device, ev.dmaAddr);
      case 'sg-map': {
        const key = dmaKey(ev.handle);
        const live = dmaMap(ts, cpu, ev.device, canonicalDir(ev.dir), ev.addrs, ev.lens, ev.handle, key);
        if (live === null || ev.phys.length === 0) return;
        const pk = `${deviceOf(ev.device).name}|${ev.phys[0]}`;
        const lists = liveSg.get(pk);
        if (lists) lists.push({ live, key, phys: ev.phys });
        else liveSg.set(pk, [{ live, key, phys: ev.phys }]);
        return;
      }
      case 'dma-unmap-sg':
        return sgUnmap(ts, cpu, ev.device, ev.phys);
      case 'imap':
        return groups.map(ts, cpu, ev.iova, ev.iovaNum, ev.page, ev.paddr, ev.size);
      case 'iunmap':
        return groups.unmap(ts, ev.page, ev.size, cpu);
    }
  };

  const emitUpTo = (limit: number) => {
    while (queue.size > 0 && queue.peekKey() <= limit) {
      let ts = queue.peekKey();
      const ev = queue.pop()!;
      if (ts < lastEmitted) {
        s.reordered++;
        ts = lastEmitted;
      }
      lastEmitted = ts;
      convert(ts, queue.tag, ev);
    }
  };

  /** An event of trace time `tsNs` made by `cpu` (ftrace's [cpu]). */
  const accept = (tsNs: number, cpu: number, ev: QueuedEvent) => {
    s.events++;
    queue.push(tsNs, cpu, ev);
    if (tsNs > newest) newest = tsNs;
    emitUpTo(newest - window);
  };

  /**
   * A dma_map_sg line: its segments from the event and the iommu:map lines of its list (taken
   * from the CPU's stash), then queued as one DMA.
   */
  const sgLine = (tsNs: number, cpu: number, lineNo: number, ev: DmaMapSg) => {
    const n = Math.min(ev.dmaAddrs.length, ev.sizes.length);
    if (n === 0 || ev.phys.length === 0) {
      diag.report(path, lineNo, 'bad-payload', 'dma:dma_map_sg with an empty list');
      return;
    }
    ev.sizes.forEach((size, i) => {
      if (size === 0) diag.report(path, lineNo, 'zero-size', `dma_map_sg entry ${i} of size 0`);
    });
    const list = {
      phys: ev.phys,
      dmaAddrs: ev.dmaAddrs.slice(0, n),
      sizes: ev.sizes.slice(0, n),
      physComplete: ev.fullNents !== null ? ev.phys.length >= ev.fullNents : !ev.truncated,
      dmaComplete: ev.fullEnts !== null ? n >= ev.fullEnts : !ev.truncated,
    };
    const { first, needEnd } = listRange(list);
    const segs = sgSegments(list, stash.claim(cpu, first, needEnd));
    sgHow[segs.how]++;
    if (segs.rounded) sgHow.rounded++;
    if (segs.missing) sgHow.missing++;
    accept(tsNs, cpu, { kind: 'sg-map', device: ev.device, dir: ev.dir, handle: ev.dmaAddrs[0], phys: ev.phys, addrs: segs.addrs, lens: segs.lens });
  };

  /** An iommu:map line read by either path. In a file with dma: events it waits for a dma_map_sg of its CPU (or is a duplicate). */
  const iommuMapLine = (tsNs: number, cpu: number, lineNo: number, iova: Addr, iovaNum: number, page: number, paddr: Addr, size: number) => {
    if (withDma) stash.push(cpu, iovaNum, paddr, size);
    else accept(tsNs, cpu, { kind: 'imap', cpu, iova, iovaNum, page, paddr, size });
  };

  /**
   * A dma: map with no direction (DMA_NONE, which the DMA API refuses): no DMA the device could
   * make, so the line is a problem, named file:line like any other rejected line (and --strict
   * stops at it), not a silent count.
   */
  const dirNone = (lineNo: number, device: string) => diag.report(path, lineNo, 'dir-none', `dma map of ${device} with dir=NONE: the DMA API maps no buffer without a direction`);

  /** One line through the reference parsers (kernel-events.ts). */
  const slowLine = (text: string, lineNo: number) => {
    const parts = parseLine(text);
    if (!parts) {
      // Blank lines, comments and trace-cmd's header lines are not problems.
      const trimmed = text.trim();
      if (trimmed === '' || trimmed.startsWith('#') || /^(cpus=|CPU \d+ is empty|version =)/.test(trimmed)) return;
      diag.report(path, lineNo, 'unparsed-line', `not a trace event line: '${text.length > 60 ? text.slice(0, 57) + '...' : text}'`);
      return;
    }
    if (!KNOWN_EVENTS.has(parts.event) || (parts.group !== '' && parts.group !== 'iommu' && parts.group !== 'dma')) {
      skip('other-event');
      return;
    }
    if (withDma && parts.event === 'unmap') {
      skip('iommu-event-duplicating-dma-event');
      return;
    }
    const ev = parsePayload(parts.event, parts.payload);
    if (withDma && parts.event === 'map' && (typeof ev === 'string' || ev.kind !== 'iommu-map' || ev.size === 0)) {
      // (as the dma: events' duplicate, an iommu:map line is not checked further)
      skip('iommu-event-duplicating-dma-event');
      return;
    }
    if (typeof ev === 'string') {
      diag.report(path, lineNo, 'bad-payload', ev);
      return;
    }
    // Zero-size maps are reported here, in file order, rather than after reordering.
    if ((ev.kind === 'iommu-map' || ev.kind === 'dma-map') && ev.size === 0) {
      diag.report(path, lineNo, 'zero-size', ev.kind === 'iommu-map' ? `iommu map of size 0 (iova=${ev.iova})` : `dma map of size 0 (${ev.device} dma_addr=${ev.dmaAddr})`);
      return;
    }
    if ((ev.kind === 'dma-map' || ev.kind === 'dma-map-sg') && canonicalDir(ev.dir) === null) return dirNone(lineNo, ev.device);
    switch (ev.kind) {
      case 'iommu-map':
        return iommuMapLine(parts.tsNs, parts.cpu, lineNo, ev.iova, ev.iova.length <= 15 ? Number(ev.iova) : NaN, pageOf(ev.iova), ev.paddr, ev.size);
      case 'iommu-unmap':
        return accept(parts.tsNs, parts.cpu, { kind: 'iunmap', page: pageOf(ev.iova), size: ev.size });
      case 'dma-map-sg':
        return sgLine(parts.tsNs, parts.cpu, lineNo, ev);
      default:
        return accept(parts.tsNs, parts.cpu, ev);
    }
  };

  const fast = newFastFields();
  const useFastPath = options.fastPath !== false;
  /** One line, `run[start, end)`: read in place when the fast path knows it (ASCII runs), else the reference path. */
  const oneLine = (run: Buffer, start: number, end: number, ascii: boolean, lineNo: number) => {
    const kind = ascii && useFastPath ? scanEventLine(run, start, end, fast) : UNSURE;
    if (kind !== UNSURE && fastLine(kind, run, end, lineNo)) return;
    slowLine(lineText(run, start, end, ascii), lineNo);
  };

  /**
   * A line `scanEventLine` recognised as `kind`: its payload read in place and the event handled
   * as slowLine would handle it; false when the payload parser is unsure (then slowLine reads it).
   */
  const fastLine = (kind: number, run: Buffer, end: number, lineNo: number): boolean => {
    const f = fast;
    if (withDma && kind === IOMMU_UNMAP) {
      // The same DMAs as the dma: events (slowLine skips these before reading the payload too).
      skip('iommu-event-duplicating-dma-event');
      return true;
    }
    switch (kind) {
      case IOMMU_MAP:
        if (!parseIommuMapAt(run, f.payload, end, f)) return false;
        iommuMapLine(f.tsNs, f.cpu, lineNo, f.iova, f.iova, f.page, f.paddr, f.size);
        return true;
      case IOMMU_UNMAP:
        if (!parseIommuUnmapAt(run, f.payload, end, f)) return false;
        accept(f.tsNs, f.cpu, { kind: 'iunmap', page: f.page, size: f.size });
        return true;
      case DMA_MAP:
        if (!parseDmaMapAt(run, f.payload, end, f)) return false;
        if (f.dir === null) return (dirNone(lineNo, f.device), true);
        accept(f.tsNs, f.cpu, { kind: 'fast-dma-map', device: f.device, dir: f.dir, dmaAddr: f.dmaAddr, size: f.size, phys: f.phys });
        return true;
      case DMA_UNMAP:
        if (!parseDmaUnmapAt(run, f.payload, end, f)) return false;
        accept(f.tsNs, f.cpu, { kind: 'fast-dma-unmap', device: f.device, dmaAddr: f.dmaAddr });
        return true;
    }
    return false;
  };

  /**
   * The lines of `run` from `pos` on, until `out` is due to be handed on (then: where to go on
   * from) or the run ends (-1). The checks are those of a loop over single lines, so the chunks
   * given to the caller are the same whatever the read size.
   */
  let lineNo = 0;
  const someLines = (run: Buffer, pos: number, ascii: boolean): number => {
    while (pos < run.length) {
      const end = run.indexOf(10, pos);
      lineNo++;
      s.lines++;
      oneLine(run, pos, end, ascii, lineNo);
      pos = end + 1;
      if (out.lines >= 4096) return pos;
    }
    return -1;
  };

  const runs = lineRuns(openBytes(path, options.onProgress, options.chunkBytes ?? 1 << 20) as AsyncIterable<Buffer>);
  for await (const lines of readingOf(path, runs)) {
    if (lines === OVERLONG) {
      lineNo++;
      s.lines++;
      diag.report(path, lineNo, 'long-line', why.longLine(MAX_LINE_BYTES));
      continue;
    }
    if (typeof lines === 'string') {
      // A last line given as text (not ASCII, no line end).
      lineNo++;
      s.lines++;
      slowLine(lines.slice(0, -1), lineNo);
      if (out.lines >= 4096) yield out.take();
      continue;
    }
    // Only ASCII runs go through the fast path: there byte k of a line is character k.
    const ascii = isAscii(lines);
    for (let pos = someLines(lines, 0, ascii); pos >= 0; pos = someLines(lines, pos, ascii)) {
      yield out.take();
    }
  }
  emitUpTo(Infinity);
  groups.finish();
  stash.finish();
  s.unmatched_unmaps += groups.unmatched;
  skip('remapped-without-unmap', groups.remapped);
  s.live_maps = groups.liveDmas();
  for (const live of liveDma.values()) s.live_maps += live.size;
  s.devices = [...devices].sort();
  skip('iommu-event-duplicating-dma-event', stash.duplicates);
  notes(s, options, withDma, iommuDevice, groups, stash, sgHow);
  yield out.take();
}

/** The items of `source`, with a read error (I/O, damaged gzip) turned into one line naming `path`. */
async function* readingOf<T>(path: string, source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (e) {
    throw readError(path, e);
  }
}

/** The summary's notes: what the user should know about how the rows were made. */
function notes(s: IngestSummary, options: IngestOptions, withDma: boolean, iommuDevice: string, groups: IovaGroups, stash: IommuMapStash, sg: { iommu: number; exact: number; guessed: number; rounded: number; missing: number }): void {
  const n = (v: number) => v.toLocaleString('en-US');
  if (!withDma && s.maps > 0) {
    s.notes.push(`iommu: events name no device: all of them were attributed to '${iommuDevice}' (--device); with several devices behind the IOMMU the attribution is ambiguous (docs/trace-formats.md)`);
    s.notes.push(
      'direction and byte length are unknown (no dma: events, Linux < 6.12), so rows are bidirectional with whole-page lengths: ' +
        "the 'shadow' strategy then copies whole pages both ways (overstating its copy cost) and the attack matrix's wrong-direction scenario has nothing to test",
    );
  }
  if (groups.forcedGroups > 0) {
    s.notes.push(
      `${n(groups.forcedGroups)} runs of contiguous iommu:map events were still waiting for their unmaps after ${n(options.groupHoldEvents ?? 65_536)} events or ${(options.groupHoldNs ?? 10e9) / 1e9} s of trace time and were taken as one DMA each` +
        (groups.forcedSplits > 0 ? `; ${n(groups.forcedSplits)} later unmaps released only part of such a DMA and were taken to unmap all of it` : ''),
    );
  }
  // Every kind of skipped line has its note, so a replay of the raw text (which shows the notes,
  // not this summary) says what ingest says.
  const other = s.skipped['other-event'] ?? 0;
  if (other > 0) s.notes.push(`${n(other)} line${other === 1 ? '' : 's'} of other events (not an iommu: or dma: map or unmap) skipped`);
  const remapped = s.skipped['remapped-without-unmap'] ?? 0;
  if (remapped > 0) {
    s.notes.push(`${n(remapped)} map${remapped === 1 ? '' : 's'} reused an address still mapped on its device with no unmap in the trace between (an unmap event lost?): the earlier DMA was taken as unmapped there`);
  }
  const duplicates = s.skipped['iommu-event-duplicating-dma-event'] ?? 0;
  if (withDma && duplicates > 0) {
    // Every iommu: event is dropped once the file has dma: events, matched or not: say so, since
    // mappings made without the DMA API (VFIO, some GPU drivers) have iommu: events only.
    s.notes.push(`the file has dma: events, so its ${duplicates} iommu: events were taken as the same DMAs again and skipped${options.device ? ` (--device ${options.device} applies to iommu: events only, so it was not used)` : ''}; if some devices were traced without dma: events, split those lines into a file of their own`);
  }
  if (sg.iommu > 0) s.notes.push(`${n(stash.used)} iommu:map events gave the segment lengths of ${n(sg.iommu)} dma_map_sg lists`);
  if (sg.guessed > 0) {
    s.notes.push(
      `${n(sg.guessed)} dma_map_sg lists merged entries and the file has no iommu:map lines for them, so their entries' byte lengths were guessed: ` +
        'each entry runs to the end of its page and the last makes up the list total (record with -e iommu too for exact lengths)',
    );
  }
  if (sg.rounded > 0) s.notes.push(`${n(sg.rounded)} dma_map_sg lists had more than 128 DMA segments, which the kernel does not show: their entries past the 128th segment have whole-page lengths (from the iommu:map lines)`);
  if (sg.missing > 0) s.notes.push(`${n(sg.missing)} dma_map_sg lists were cut at 128 entries by the kernel and the file has no iommu:map lines for the rest: those DMAs lack the pages after the 128th entry`);
}

/** Guesses a device's class from its kernel name (network drivers name their devices so). */
export function guessClass(name: string): 'net' | 'disk' | null {
  if (/^(eth|en|wl|nic|virtio.*net|mlx|ixgbe|i40e|e1000)/i.test(name)) return 'net';
  if (/^(nvme|sd[a-z]|vd[a-z]|ata|ahci|virtio.*blk)/i.test(name)) return 'disk';
  return null;
}

/**
 * Reads a `--devices` file, in either of two formats:
 *   - a mapping, lines `kernel-name,net|disk[,canonical-name]` (# comments allowed);
 *   - the capture's device list from the guest's sysfs: CSV with the header
 *     `device,driver,pci_class`, one row per PCI device (`0000:00:04.0,nvme,0x010802`). PCI base
 *     class 0x01 (mass storage) is disk, 0x02 (network) net; other devices get no class here (then
 *     --class or the name decide). Names stay the kernel's (the PCI address).
 */
export function parseDeviceMap(text: string, file: string): Record<string, DeviceInfo> {
  const out: Record<string, DeviceInfo> = {};
  let sysfs: boolean | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(',').map((x) => x.trim());
    if (sysfs === null) {
      sysfs = fields.length >= 3 && fields.slice(0, 3).join(',').toLowerCase() === 'device,driver,pci_class';
      if (sysfs) return;
    }
    if (sysfs) {
      const [device, driver, pciClass] = fields;
      if (!device || pciClass === undefined || !/^(0x)?[0-9a-f]{1,6}$/i.test(pciClass)) throw new InputError(`${file}:${i + 1}: expected 'device,driver,pci_class' with a hex PCI class such as 0x010802`);
      const base = parseInt(pciClass.replace(/^0x/i, ''), 16) >> 16;
      out[device] = { class: base === 0x01 ? 'disk' : base === 0x02 ? 'net' : undefined, driver: driver || undefined, pciClass: pciClass.toLowerCase() };
      return;
    }
    const [kernel, cls, name] = fields;
    if (!kernel || (cls !== 'net' && cls !== 'disk')) throw new InputError(`${file}:${i + 1}: expected 'kernel-device-name,net|disk[,canonical-name]' (or a sysfs device list with the header 'device,driver,pci_class')`);
    out[kernel] = { class: cls, name: name || undefined };
  });
  return out;
}
