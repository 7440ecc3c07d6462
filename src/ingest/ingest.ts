/**
 * `ingest`: Linux trace text (ftrace's trace file, `trace-cmd report`, `perf script`) with
 * `iommu:` and `dma:` events -> canonical CSV rows, streamed.
 *
 *   raw text (.gz read transparently)
 *     1. pre-scan: does the file have dma: events? (then iommu: events are the same DMAs again)
 *     2. each line -> (ts, event, payload); unrelated events counted and skipped; bad lines
 *        reported as file:line
 *     3. a reorder window puts events from several CPUs back in time order
 *     4. pair unmaps with maps by device + DMA address (dma:) or IOVA range (iommu:), in time
 *        order; an unmap covering several maps is split; unmaps of maps not in the file (a trace
 *        cut out of a longer run) are counted, not emitted
 *     5. canonical rows: addr = physical (guest-physical) address, handle = DMA address / IOVA
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { parseLine, parsePayload, canonicalDir, KNOWN_EVENTS, type KernelEvent } from './kernel-events.js';
import { Diagnostics } from '../trace/diagnostics.js';
import { MinHeap } from '../util/min-heap.js';
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

/** Opens a file (gunzipping .gz) as a stream of text chunks. */
function open(path: string, onProgress?: (bytesRead: number) => void): NodeJS.ReadableStream {
  const raw = createReadStream(path);
  if (onProgress) {
    let bytes = 0;
    raw.on('data', (c: Buffer | string) => onProgress((bytes += c.length)));
  }
  return path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
}

/** Reads the start of a file and says which format it is in. */
export async function detectFormat(path: string): Promise<TraceFormat | 'unknown'> {
  await checkReadable(path);
  const lines = createInterface({ input: open(path), crlfDelay: Infinity });
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

/** Whether the file has dma: map events (a byte scan of the whole file; cheap next to parsing). */
async function hasDmaEvents(path: string): Promise<boolean> {
  let tail = Buffer.alloc(0);
  for await (const chunk of open(path)) {
    // Keep the last bytes of the previous chunk so a name split across chunks is still seen.
    const b = Buffer.concat([tail, chunk as Buffer]);
    if (DMA_MARKS.some((m) => b.indexOf(m) >= 0)) return true;
    tail = b.subarray(Math.max(0, b.length - 16));
  }
  return false;
}

interface Live {
  handle: string;
  device: string;
  cls: string;
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
  const withDma = await hasDmaEvents(path);
  const guest = options.guest ?? 0;
  const iommuDevice = options.device ?? 'iommu0';
  const devices = new Set<string>();
  const window = options.reorderWindowNs ?? 1_000_000;
  const heap = new MinHeap<{ ts: number; line: number; ev: KernelEvent }>();
  let newest = 0;
  let lastEmitted = -1;
  let t0 = -1;
  let sgCounter = 0;
  // Live maps: dma: by device + DMA address; sg entries also by device + physical address;
  // iommu: by IOVA page of the map's start.
  const liveDma = new Map<string, Live & { phys: string }>();
  const liveSg = new Map<string, string[]>();
  const liveIova = new Map<number, Live>();
  const out: string[] = [CANONICAL_HEADER];

  const deviceOf = (kernelName: string): { name: string; cls: string } => {
    const info = options.devices?.[kernelName];
    const name = info?.name ?? kernelName;
    devices.add(name);
    // Class: the mapping file, else --class, else what the name says, else net (and say so).
    let cls: string | null = info?.class ?? options.cls ?? guessClass(kernelName);
    if (cls === null) {
      cls = 'net';
      if (!s.notes.some((n) => n.includes(`'${kernelName}'`))) s.notes.push(`device '${kernelName}': class unknown, taken as net (give --class or a --devices file)`);
    }
    return { name, cls };
  };
  const row = (ts: number, device: string, cls: string, op: string, dir: string, addr: string, len: number | '', handle: string, unit = '') => {
    out.push(`${ts},${guest},${device},${cls},${op},${dir},${addr},${len},${handle},${unit}`);
    s.rows++;
    if (op === 'map') s.maps++;
    else s.unmaps++;
  };
  const pageOf = (hex: string) => parseInt(hex.length > 5 ? hex.slice(2, -3) : '0', 16);

  const convert = (tsAbs: number, line: number, ev: KernelEvent) => {
    if (t0 < 0) t0 = tsAbs;
    const ts = tsAbs - t0;
    switch (ev.kind) {
      case 'dma-map': {
        const dir = canonicalDir(ev.dir);
        if (dir === null) return skip('dir-none');
        const d = deviceOf(ev.device);
        const key = `${d.name}|${ev.dmaAddr}`;
        const old = liveDma.get(key);
        if (old) {
          // Mapped again without an unmap in the trace: close the old mapping first.
          row(ts, d.name, old.cls, 'unmap', '', '', '', old.handle);
          skip('remapped-without-unmap');
        }
        liveDma.set(key, { handle: ev.dmaAddr, device: d.name, cls: d.cls, phys: ev.phys });
        return row(ts, d.name, d.cls, 'map', dir, ev.phys, ev.size, ev.dmaAddr);
      }
      case 'dma-unmap': {
        const d = deviceOf(ev.device);
        const key = `${d.name}|${ev.dmaAddr}`;
        const live = liveDma.get(key);
        if (!live) {
          s.unmatched_unmaps++;
          return;
        }
        liveDma.delete(key);
        return row(ts, d.name, live.cls, 'unmap', '', '', '', live.handle);
      }
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
          const key = `${d.name}|${ev.dmaAddrs[i]}`;
          if (liveDma.has(key)) {
            row(ts, d.name, d.cls, 'unmap', '', '', '', liveDma.get(key)!.handle);
            skip('remapped-without-unmap');
          }
          liveDma.set(key, { handle: ev.dmaAddrs[i], device: d.name, cls: d.cls, phys: ev.phys[i] });
          const pk = `${d.name}|${ev.phys[i]}`;
          liveSg.set(pk, [...(liveSg.get(pk) ?? []), ev.dmaAddrs[i]]);
          row(ts, d.name, d.cls, 'map', dir, ev.phys[i], ev.sizes[i], ev.dmaAddrs[i], unit);
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
          const live = handle === undefined ? undefined : liveDma.get(`${d.name}|${handle}`);
          if (!live) {
            s.unmatched_unmaps++;
            continue;
          }
          liveDma.delete(`${d.name}|${handle}`);
          row(ts, d.name, live.cls, 'unmap', '', '', '', live.handle);
        }
        return;
      }
      case 'iommu-map': {
        const d = deviceOf(iommuDevice);
        const page = pageOf(ev.iova);
        const old = liveIova.get(page);
        if (old) {
          row(ts, d.name, old.cls, 'unmap', '', '', '', old.handle);
          skip('remapped-without-unmap');
        }
        liveIova.set(page, { handle: ev.iova, device: d.name, cls: d.cls });
        return row(ts, d.name, d.cls, 'map', 'bidirectional', ev.paddr, ev.size, ev.iova);
      }
      case 'iommu-unmap': {
        // One unmap may cover several maps (a scatter-gather list): split it.
        const first = pageOf(ev.iova);
        const pages = Math.max(1, Math.ceil(ev.size / 4096));
        let found = 0;
        for (let p = first; p < first + pages; p++) {
          const live = liveIova.get(p);
          if (!live) continue;
          liveIova.delete(p);
          row(ts, live.device, live.cls, 'unmap', '', '', '', live.handle);
          found++;
        }
        if (found === 0) s.unmatched_unmaps++;
        return;
      }
    }
  };

  const emitUpTo = (limit: number) => {
    while (heap.size > 0 && heap.peekKey() <= limit) {
      const e = heap.pop()!;
      let ts = e.ts;
      if (ts < lastEmitted) {
        s.reordered++;
        ts = lastEmitted;
      }
      lastEmitted = ts;
      convert(ts, e.line, e.ev);
    }
  };

  const lines = createInterface({ input: open(path, options.onProgress), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const text of lines) {
    lineNo++;
    s.lines++;
    const parts = parseLine(text);
    if (!parts) {
      // Blank lines, comments and trace-cmd's header lines are not problems.
      const trimmed = text.trim();
      if (trimmed === '' || trimmed.startsWith('#') || /^(cpus=|CPU \d+ is empty|version =)/.test(trimmed)) continue;
      diag.report(path, lineNo, 'unparsed-line', `not a trace event line: '${text.length > 60 ? text.slice(0, 57) + '...' : text}'`);
      continue;
    }
    if (!KNOWN_EVENTS.has(parts.event) || (parts.group !== '' && parts.group !== 'iommu' && parts.group !== 'dma')) {
      skip('other-event');
      continue;
    }
    if (withDma && (parts.event === 'map' || parts.event === 'unmap')) {
      skip('iommu-event-duplicating-dma-event');
      continue;
    }
    const ev = parsePayload(parts.event, parts.payload);
    if (typeof ev === 'string') {
      diag.report(path, lineNo, 'bad-payload', ev);
      continue;
    }
    // Zero-size maps are reported here, in file order, rather than after reordering.
    if ((ev.kind === 'iommu-map' || ev.kind === 'dma-map') && ev.size === 0) {
      diag.report(path, lineNo, 'zero-size', ev.kind === 'iommu-map' ? `iommu map of size 0 (iova=${ev.iova})` : `dma map of size 0 (${ev.device} dma_addr=${ev.dmaAddr})`);
      continue;
    }
    s.events++;
    heap.push(parts.tsNs, { ts: parts.tsNs, line: lineNo, ev });
    if (parts.tsNs > newest) newest = parts.tsNs;
    emitUpTo(newest - window);
    if (out.length >= 4096) {
      yield out.join('\n') + '\n';
      out.length = 0;
    }
  }
  emitUpTo(Infinity);
  s.live_maps = liveDma.size + liveIova.size;
  s.devices = [...devices].sort();
  if (!withDma && s.maps > 0) s.notes.push(`iommu: events name no device: all of them were attributed to '${iommuDevice}' (--device); with several devices behind the IOMMU the attribution is ambiguous (KERNEL-TRACES.md)`);
  if (s.skipped['sg-truncated']) s.notes.push('some dma_map_sg events were truncated to 128 entries by the kernel; the rest of those lists is missing');
  yield out.join('\n') + (out.length > 0 ? '\n' : '');
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
