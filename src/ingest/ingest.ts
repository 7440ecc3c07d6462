/**
 * `ingest`: Linux trace text (ftrace's trace file, `trace-cmd report`, `perf script`) with
 * `iommu:` and `dma:` events -> canonical CSV rows, streamed.
 *
 *   raw text (.gz read transparently)
 *     1. pre-scan: does the file have dma: events? (then iommu: events are the same DMAs again)
 *     2. each line -> (ts, event, payload); unrelated events counted and skipped; bad lines
 *        reported as file:line. Lines are read in large runs of bytes (line-reader.ts); iommu:
 *        map/unmap lines and dma: single-buffer map/unmap lines, nearly all of a real trace, are
 *        parsed in place (fast-lines.ts); any other line, or one the fast path is unsure of,
 *        goes to the reference parsers (kernel-events.ts), so both give the same rows
 *     3. a reorder window puts events from several CPUs back in time order
 *     4. pair unmaps with maps by device + DMA address (dma:) or IOVA range (iommu:), in time
 *        order; an unmap covering several maps is split; unmaps of maps not in the file (a trace
 *        cut out of a longer run) are counted, not emitted
 *     5. canonical rows: addr = physical (guest-physical) address, handle = DMA address / IOVA
 */
import { createInterface } from 'node:readline';
import { parseLine, parsePayload, canonicalDir, KNOWN_EVENTS, type KernelEvent } from './kernel-events.js';
import { scanEventLine, parseIommuMapAt, parseIommuUnmapAt, parseDmaMapAt, parseDmaUnmapAt, newFastFields, IOMMU_MAP, IOMMU_UNMAP, DMA_MAP, DMA_UNMAP, UNSURE, type FastDir } from './fast-lines.js';
import { openBytes, lineRuns, lineText } from './line-reader.js';
import { isAscii } from 'node:buffer';
import { ReorderQueue } from './reorder.js';
import { CsvOut } from './csv-out.js';
import { Diagnostics } from '../trace/diagnostics.js';
import { CANONICAL_HEADER } from '../trace/canonical.js';
import { InputError, UsageError } from '../util/errors.js';
import { checkReadable } from '../trace/csv-reader.js';

export type TraceFormat = 'canonical' | 'ftrace' | 'perf';

export interface DeviceInfo {
  class: 'net' | 'disk';
  /** Name to use in canonical rows (default: the kernel's). */
  name?: string;
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
  maps: number;
  unmaps: number;
  skipped: Record<string, number>;
  devices: string[];
  unmatched_unmaps: number;
  /** Maps still live at the end of the file (normal for a window cut out of a longer run). */
  live_maps: number;
  reordered: number;
  notes: string[];
}

/** Reads the start of a file and says which format it is in. */
export async function detectFormat(path: string): Promise<TraceFormat | 'unknown'> {
  await checkReadable(path);
  const lines = createInterface({ input: openBytes(path), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      const line = raw.replace(/^\uFEFF/, '');
      if (line.trim() === '' || line.startsWith('#') || /^(cpus|CPU \d+ is empty|version)\b/i.test(line.trim())) continue;
      if (line.startsWith('ts_ns,') || line.includes('ts_ns')) return 'canonical';
      const p = parseLine(line);
      if (p) return p.group !== '' ? 'perf' : 'ftrace';
      if (++n > 200) break;
    }
  } finally {
    lines.close();
  }
  return 'unknown';
}

// How dma: events appear: `ts: dma_map_page:` (ftrace, trace-cmd) or `ts: dma:dma_map_page:` (perf).
const DMA_MARKS = [': dma_map_', ':dma_map_', ': dma_unmap_', ':dma_unmap_'].map((m) => Buffer.from(m));
// Searching a chunk for these is faster than for the marks ('_' is rare in trace text); each hit
// is then checked for a whole mark around it.
const MAP_TAIL = Buffer.from('_map_');
const UNMAP_TAIL = Buffer.from('_unmap_');

/** Whether the file has dma: map events (a byte scan of the whole file; cheap next to parsing). */
async function hasDmaEvents(path: string, chunkBytes: number = 1 << 20): Promise<boolean> {
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of openBytes(path, undefined, chunkBytes)) {
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
  device: string;
  cls: string;
}

/** iommu: events as the fast path reads them: addresses as numbers, the IOVA's page worked out. */
interface FastIommuMap {
  kind: 'fast-map';
  iova: number;
  page: number;
  paddr: number;
  size: number;
}
interface FastIommuUnmap {
  kind: 'fast-unmap';
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
type QueuedEvent = KernelEvent | FastIommuMap | FastIommuUnmap | FastDmaMap | FastDmaUnmap;

/**
 * A DMA address as the key of a device's live maps: the number the fast path reads when it is
 * exact (at most 13 hex digits, i.e. `0x` + 13 in hexText's form), else the text; so an address
 * has one key whichever path read it.
 */
function dmaKey(hex: string): Addr {
  return hex.length <= 15 ? Number(hex) : hex;
}

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
  Object.assign(s, { file: path, format: detected, lines: 0, events: 0, rows: 0, maps: 0, unmaps: 0, skipped: {}, devices: [], unmatched_unmaps: 0, live_maps: 0, reordered: 0, notes: [] });
  const skip = (why: string) => (s.skipped[why] = (s.skipped[why] ?? 0) + 1);
  const withDma = await hasDmaEvents(path, options.chunkBytes);
  const guest = options.guest ?? 0;
  const iommuDevice = options.device ?? 'iommu0';
  const devices = new Set<string>();
  const window = options.reorderWindowNs ?? 1_000_000;
  const queue = new ReorderQueue<QueuedEvent>();
  let newest = 0;
  let lastEmitted = -1;
  let t0 = -1;
  let sgCounter = 0;
  // Live maps: dma: per device (canonical name) by DMA address (`dmaKey`); sg entries also by
  // device + physical address; iommu: by IOVA page of the map's start.
  const liveDma = new Map<string, Map<Addr, Live>>();
  const liveSg = new Map<string, string[]>();
  const liveIova = new Map<number, Live>();
  const out = new CsvOut();
  out.line(CANONICAL_HEADER);
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
      if (!s.notes.some((n) => n.includes(`'${kernelName}'`))) s.notes.push(`device '${kernelName}': class unknown, taken as net (give --class or a --devices file)`);
    }
    let live = liveDma.get(name);
    if (!live) liveDma.set(name, (live = new Map()));
    const d = { name, cls, live };
    deviceCache.set(kernelName, d);
    return d;
  };
  const addr = (a: Addr) => (typeof a === 'number' ? out.hex(a) : out.str(a));
  const row = (ts: number, device: string, cls: string, op: string, dir: string, phys: Addr, len: number | '', handle: Addr, unit = '') => {
    // ts,guest,device,class,op,dir,addr,len,handle,unit
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
    out.str(unit);
    out.endLine();
    s.rows++;
    if (op === 'map') s.maps++;
    else s.unmaps++;
  };
  const pageOf = (hex: string) => parseInt(hex.length > 5 ? hex.slice(2, -3) : '0', 16);

  const iommuMap = (ts: number, page: number, iova: Addr, paddr: Addr, size: number) => {
    const d = deviceOf(iommuDevice);
    const old = liveIova.get(page);
    if (old) {
      row(ts, d.name, old.cls, 'unmap', '', '', '', old.handle);
      skip('remapped-without-unmap');
    }
    liveIova.set(page, { handle: iova, device: d.name, cls: d.cls });
    row(ts, d.name, d.cls, 'map', 'bidirectional', paddr, size, iova);
  };
  const iommuUnmap = (ts: number, first: number, size: number) => {
    // One unmap may cover several maps (a scatter-gather list): split it.
    const pages = Math.max(1, Math.ceil(size / 4096));
    let found = 0;
    const release = (p: number) => {
      const live = liveIova.get(p);
      if (!live) return;
      liveIova.delete(p);
      row(ts, live.device, live.cls, 'unmap', '', '', '', live.handle);
      found++;
    };
    if (pages <= liveIova.size) for (let p = first; p < first + pages; p++) release(p);
    else {
      // A range wider than the live maps (a whole-domain unmap, a bogus size): visit the live
      // maps in it instead of every page, in the same ascending order.
      const inRange = [...liveIova.keys()].filter((p) => p >= first && p < first + pages).sort((a, b) => a - b);
      for (const p of inRange) release(p);
    }
    if (found === 0) s.unmatched_unmaps++;
  };

  // dma: single-buffer maps and unmaps, paired by device + DMA address (`key`: see dmaKey).
  const dmaMap = (ts: number, kernelName: string, dir: FastDir, phys: Addr, size: number, handle: Addr, key: Addr, unit = '') => {
    if (dir === null) return skip('dir-none');
    const d = deviceOf(kernelName);
    const old = d.live.get(key);
    if (old) {
      // Mapped again without an unmap in the trace: close the old mapping first.
      row(ts, d.name, old.cls, 'unmap', '', '', '', old.handle);
      skip('remapped-without-unmap');
    }
    d.live.set(key, { handle, device: d.name, cls: d.cls });
    row(ts, d.name, d.cls, 'map', dir, phys, size, handle, unit);
  };
  const dmaUnmap = (ts: number, kernelName: string, key: Addr) => {
    const d = deviceOf(kernelName);
    const live = d.live.get(key);
    if (!live) {
      s.unmatched_unmaps++;
      return;
    }
    d.live.delete(key);
    row(ts, d.name, live.cls, 'unmap', '', '', '', live.handle);
  };

  const convert = (tsAbs: number, line: number, ev: QueuedEvent) => {
    if (t0 < 0) t0 = tsAbs;
    const ts = tsAbs - t0;
    switch (ev.kind) {
      case 'dma-map':
        return dmaMap(ts, ev.device, canonicalDir(ev.dir), ev.phys, ev.size, ev.dmaAddr, dmaKey(ev.dmaAddr));
      case 'fast-dma-map':
        return dmaMap(ts, ev.device, ev.dir, ev.phys, ev.size, ev.dmaAddr, ev.dmaAddr);
      case 'dma-unmap':
        return dmaUnmap(ts, ev.device, dmaKey(ev.dmaAddr));
      case 'fast-dma-unmap':
        return dmaUnmap(ts, ev.device, ev.dmaAddr);
      case 'dma-map-sg': {
        const dir = canonicalDir(ev.dir);
        if (dir === null) return skip('dir-none');
        const d = deviceOf(ev.device);
        if (ev.truncated) skip('sg-truncated');
        const unit = `sg${++sgCounter}`;
        const n = Math.min(ev.dmaAddrs.length, ev.sizes.length, ev.phys.length);
        for (let i = 0; i < n; i++) {
          if (ev.sizes[i] === 0) {
            diag.report(path, line, 'zero-size', `dma_map_sg entry ${i} of size 0`);
            continue;
          }
          dmaMap(ts, ev.device, dir, ev.phys[i], ev.sizes[i], ev.dmaAddrs[i], dmaKey(ev.dmaAddrs[i]), unit);
          // dma_unmap_sg names physical addresses only: remember which DMA address each maps.
          const pk = `${d.name}|${ev.phys[i]}`;
          liveSg.set(pk, [...(liveSg.get(pk) ?? []), ev.dmaAddrs[i]]);
        }
        return;
      }
      case 'dma-unmap-sg': {
        const d = deviceOf(ev.device);
        for (const phys of ev.phys) {
          const pk = `${d.name}|${phys}`;
          const handles = liveSg.get(pk);
          const handle = handles?.shift();
          if (handles && handles.length === 0) liveSg.delete(pk);
          if (handle === undefined) s.unmatched_unmaps++;
          else dmaUnmap(ts, ev.device, dmaKey(handle));
        }
        return;
      }
      case 'iommu-map':
        return iommuMap(ts, pageOf(ev.iova), ev.iova, ev.paddr, ev.size);
      case 'fast-map':
        return iommuMap(ts, ev.page, ev.iova, ev.paddr, ev.size);
      case 'iommu-unmap':
        return iommuUnmap(ts, pageOf(ev.iova), ev.size);
      case 'fast-unmap':
        return iommuUnmap(ts, ev.page, ev.size);
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
      convert(ts, queue.line, ev);
    }
  };

  const accept = (tsNs: number, line: number, ev: QueuedEvent) => {
    s.events++;
    queue.push(tsNs, line, ev);
    if (tsNs > newest) newest = tsNs;
    emitUpTo(newest - window);
  };

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
    if (withDma && (parts.event === 'map' || parts.event === 'unmap')) {
      skip('iommu-event-duplicating-dma-event');
      return;
    }
    const ev = parsePayload(parts.event, parts.payload);
    if (typeof ev === 'string') {
      diag.report(path, lineNo, 'bad-payload', ev);
      return;
    }
    // Zero-size maps are reported here, in file order, rather than after reordering.
    if ((ev.kind === 'iommu-map' || ev.kind === 'dma-map') && ev.size === 0) {
      diag.report(path, lineNo, 'zero-size', ev.kind === 'iommu-map' ? `iommu map of size 0 (iova=${ev.iova})` : `dma map of size 0 (${ev.device} dma_addr=${ev.dmaAddr})`);
      return;
    }
    accept(parts.tsNs, lineNo, ev);
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
    if (withDma && (kind === IOMMU_MAP || kind === IOMMU_UNMAP)) {
      // The same DMAs as the dma: events (slowLine skips these before reading the payload too).
      skip('iommu-event-duplicating-dma-event');
      return true;
    }
    switch (kind) {
      case IOMMU_MAP:
        if (!parseIommuMapAt(run, f.payload, end, f)) return false;
        accept(f.tsNs, lineNo, { kind: 'fast-map', iova: f.iova, page: f.page, paddr: f.paddr, size: f.size });
        return true;
      case IOMMU_UNMAP:
        if (!parseIommuUnmapAt(run, f.payload, end, f)) return false;
        accept(f.tsNs, lineNo, { kind: 'fast-unmap', page: f.page, size: f.size });
        return true;
      case DMA_MAP:
        if (!parseDmaMapAt(run, f.payload, end, f)) return false;
        accept(f.tsNs, lineNo, { kind: 'fast-dma-map', device: f.device, dir: f.dir, dmaAddr: f.dmaAddr, size: f.size, phys: f.phys });
        return true;
      case DMA_UNMAP:
        if (!parseDmaUnmapAt(run, f.payload, end, f)) return false;
        accept(f.tsNs, lineNo, { kind: 'fast-dma-unmap', device: f.device, dmaAddr: f.dmaAddr });
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

  for await (const lines of lineRuns(openBytes(path, options.onProgress, options.chunkBytes ?? 1 << 20) as AsyncIterable<Buffer>)) {
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
  s.live_maps = liveIova.size;
  for (const live of liveDma.values()) s.live_maps += live.size;
  s.devices = [...devices].sort();
  if (!withDma && s.maps > 0) s.notes.push(`iommu: events name no device: all of them were attributed to '${iommuDevice}' (--device); with several devices behind the IOMMU the attribution is ambiguous (KERNEL-TRACES.md)`);
  const duplicates = s.skipped['iommu-event-duplicating-dma-event'] ?? 0;
  if (withDma && duplicates > 0) {
    // Every iommu: event is dropped once the file has dma: events, matched or not: say so, since
    // mappings made without the DMA API (VFIO, some GPU drivers) have iommu: events only.
    s.notes.push(`the file has dma: events, so its ${duplicates} iommu: events were taken as the same DMAs again and skipped${options.device ? ` (--device ${options.device} applies to iommu: events only, so it was not used)` : ''}; if some devices were traced without dma: events, split those lines into a file of their own`);
  }
  if (s.skipped['sg-truncated']) s.notes.push('some dma_map_sg events were truncated to 128 entries by the kernel; the rest of those lists is missing');
  yield out.take();
}

/** Guesses a device's class from its kernel name (network drivers name their devices so). */
export function guessClass(name: string): 'net' | 'disk' | null {
  if (/^(eth|en|wl|nic|virtio.*net|mlx|ixgbe|i40e|e1000)/i.test(name)) return 'net';
  if (/^(nvme|sd[a-z]|vd[a-z]|ata|ahci|virtio.*blk)/i.test(name)) return 'disk';
  return null;
}

/** Reads a `--devices` mapping file: lines `kernel-name,class[,name]` (# comments allowed). */
export function parseDeviceMap(text: string, file: string): Record<string, DeviceInfo> {
  const out: Record<string, DeviceInfo> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [kernel, cls, name] = line.split(',').map((x) => x.trim());
    if (!kernel || (cls !== 'net' && cls !== 'disk')) throw new InputError(`${file}:${i + 1}: expected 'kernel-device-name,net|disk[,canonical-name]'`);
    out[kernel] = { class: cls, name: name || undefined };
  });
  return out;
}
