/**
 * Parsers for the Linux DMA trace events (formats: the TP_printk of include/trace/events/iommu.h and dma.h, in every variant Linux has printed): one function per
 * payload format, each taking the text after `event: ` and returning a plain record, or null
 * when the payload does not parse. Hex numbers are kept as BigInt-free text halves: addresses go
 * to canonical rows as `0x...` text, so 64-bit values are never rounded.
 */

export interface LineParts {
  /** Nanoseconds, exact (seconds.fraction scaled without floating point). */
  tsNs: number;
  cpu: number;
  /** Event name without its group, e.g. `map`, `dma_map_page`. */
  event: string;
  /** Group when the line names it (`perf script` does: `iommu:map:`), else ''. */
  group: string;
  payload: string;
}

// task-pid [cpu] flags? secs.frac: event: payload      (/sys/kernel/tracing/trace, trace-cmd report)
const FTRACE = /^\s*.+?-\d+\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:[\w.]{4,6}\s+)?(\d+)\.(\d+):\s+(?:(\w+):)?(\w+):\s?(.*)$/;
// task pid [cpu] secs.frac: group:event: payload        (perf script)
// The task name (a comm: at most 15 characters, TASK_COMM_LEN) is matched to 64 at most: with no
// bound, a long run of spaces in a line that is no event made the match quadratic (a 1 MiB line:
// half an hour).
const PERF = /^\s*\S.{0,63}?\s+\d+\s+\[(\d+)\]\s+(\d+)\.(\d+):\s+(\w+):(\w+):\s?(.*)$/;

/** Splits a trace line into its parts, or null for lines that are not events (headers, blanks). */
export function parseLine(line: string): LineParts | null {
  if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) return null;
  return scanLine(line) ?? parseLineByRegex(line);
}

/** The reference parser: the two regular expressions (slow: they backtrack over the task name). */
export function parseLineByRegex(line: string): LineParts | null {
  if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) return null;
  const m = FTRACE.exec(line) ?? PERF.exec(line);
  if (!m) return null;
  const frac = m[3].padEnd(9, '0').slice(0, 9);
  const tsNs = Number(m[2]) * 1e9 + Number(frac);
  if (!Number.isSafeInteger(tsNs)) return null;
  return { tsNs, cpu: Number(m[1]), group: m[4] ?? '', event: m[5], payload: m[6].trimStart() };
}

/** `0x...` or bare hex -> canonical `0x...` text (leading zeros dropped), or null. */
function hexText(s: string | undefined): string | null {
  if (s === undefined) return null;
  const t = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s;
  if (t.length === 0 || t.length > 16 || !/^[0-9a-fA-F]+$/.test(t)) return null;
  const trimmed = t.replace(/^0+(?=.)/, '').toLowerCase();
  return '0x' + trimmed;
}

export interface IommuMap {
  kind: 'iommu-map';
  iova: string;
  paddr: string;
  size: number;
}
export interface IommuUnmap {
  kind: 'iommu-unmap';
  iova: string;
  size: number;
  unmapped: number;
}
export interface DmaMap {
  kind: 'dma-map';
  device: string;
  dir: string;
  dmaAddr: string;
  size: number;
  phys: string;
}
export interface DmaUnmap {
  kind: 'dma-unmap';
  device: string;
  dir: string;
  dmaAddr: string;
  size: number;
}
export interface DmaMapSg {
  kind: 'dma-map-sg';
  device: string;
  dir: string;
  dmaAddrs: string[];
  sizes: number[];
  phys: string[];
  truncated: boolean;
  /**
   * The list's full lengths, from `nents=shown/full ents=shown/full` (kernels that truncate the
   * arrays at 128 entries print them); null when the line has no counts.
   */
  fullNents: number | null;
  fullEnts: number | null;
}
export interface DmaUnmapSg {
  kind: 'dma-unmap-sg';
  device: string;
  dir: string;
  phys: string[];
}
export type KernelEvent = IommuMap | IommuUnmap | DmaMap | DmaUnmap | DmaMapSg | DmaUnmapSg;

/** Events this reader understands, by name. */
export const KNOWN_EVENTS = new Set(['map', 'unmap', 'dma_map_page', 'dma_map_phys', 'dma_map_resource', 'dma_unmap_page', 'dma_unmap_phys', 'dma_unmap_resource', 'dma_map_sg', 'dma_unmap_sg']);

const IOMMU_MAP = /^IOMMU: iova=(0x[0-9a-fA-F]+)(?: - 0x[0-9a-fA-F]+)? paddr=(0x[0-9a-fA-F]+) size=(\d+)/;
const IOMMU_UNMAP = /^IOMMU: iova=(0x[0-9a-fA-F]+)(?: - 0x[0-9a-fA-F]+)? size=(\d+) unmapped_size=(\d+)/;
const DMA_MAP = /^(\S+) dir=(\w+) dma_addr=([0-9a-fA-Fx]+) size=(\d+) phys_addr=([0-9a-fA-Fx]+)/;
const DMA_UNMAP = /^(\S+) dir=(\w+) dma_addr=([0-9a-fA-Fx]+) size=(\d+)/;
// `nents=%d/%d ents=%d/%d%s` (shown/full counts, then ` [TRUNCATED]` when an array was cut at 128)
// is printed by the kernels that truncate; the first 6.12 releases print neither.
const DMA_MAP_SG = /^(\S+) dir=(\w+)(?: nents=\d+\/(\d+) ents=\d+\/(\d+))?( \[TRUNCATED\])? dma_addrs=\{([^}]*)\} sizes=\{([^}]*)\} phys_addrs=\{([^}]*)\}/;
const DMA_UNMAP_SG = /^(\S+) dir=(\w+) phys_addrs=\{([^}]*)\}/;

const list = (s: string) => (s.trim() === '' ? [] : s.split(',').map((x) => x.trim()));

/**
 * Parses the payload of a known event.
 * @returns the event, or a string saying why it was rejected.
 */
export function parsePayload(event: string, payload: string): KernelEvent | string {
  if (event === 'map') {
    const m = IOMMU_MAP.exec(payload);
    if (!m) return 'iommu:map payload not understood';
    const iova = hexText(m[1]);
    const paddr = hexText(m[2]);
    if (iova === null || paddr === null) return 'iommu:map address wider than 64 bits';
    return { kind: 'iommu-map', iova, paddr, size: Number(m[3]) };
  }
  if (event === 'unmap') {
    const m = IOMMU_UNMAP.exec(payload);
    if (!m) return 'iommu:unmap payload not understood';
    const iova = hexText(m[1]);
    if (iova === null) return 'iommu:unmap address wider than 64 bits';
    return { kind: 'iommu-unmap', iova, size: Number(m[2]), unmapped: Number(m[3]) };
  }
  if (event === 'dma_map_page' || event === 'dma_map_phys' || event === 'dma_map_resource') {
    const m = DMA_MAP.exec(payload);
    const dma = hexText(m?.[3]);
    const phys = hexText(m?.[5]);
    if (!m || !dma || !phys) return `dma:${event} payload not understood`;
    return { kind: 'dma-map', device: m[1], dir: m[2], dmaAddr: dma, size: Number(m[4]), phys };
  }
  if (event === 'dma_unmap_page' || event === 'dma_unmap_phys' || event === 'dma_unmap_resource') {
    const m = DMA_UNMAP.exec(payload);
    const dma = hexText(m?.[3]);
    if (!m || !dma) return `dma:${event} payload not understood`;
    return { kind: 'dma-unmap', device: m[1], dir: m[2], dmaAddr: dma, size: Number(m[4]) };
  }
  if (event === 'dma_map_sg') {
    const m = DMA_MAP_SG.exec(payload);
    if (!m) return 'dma:dma_map_sg payload not understood';
    const dmaAddrs = list(m[6]).map(hexText);
    const phys = list(m[8]).map(hexText);
    const sizes = list(m[7]).map(Number);
    if (dmaAddrs.some((x) => !x) || phys.some((x) => !x) || sizes.some((x) => !Number.isInteger(x) || x < 0)) return 'dma:dma_map_sg arrays not understood';
    const count = (c: string | undefined) => (c === undefined ? null : Number(c));
    return { kind: 'dma-map-sg', device: m[1], dir: m[2], dmaAddrs: dmaAddrs as string[], sizes, phys: phys as string[], truncated: m[5] !== undefined || payload.includes('[TRUNCATED]'), fullNents: count(m[3]), fullEnts: count(m[4]) };
  }
  if (event === 'dma_unmap_sg') {
    const m = DMA_UNMAP_SG.exec(payload);
    if (!m) return 'dma:dma_unmap_sg payload not understood';
    const phys = list(m[3]).map(hexText);
    if (phys.some((x) => !x)) return 'dma:dma_unmap_sg arrays not understood';
    return { kind: 'dma-unmap-sg', device: m[1], dir: m[2], phys: phys as string[] };
  }
  return `event ${event} not handled`;
}

/** Kernel direction names -> canonical ones (NONE has no canonical meaning: null). */
export function canonicalDir(dir: string): 'to_device' | 'from_device' | 'bidirectional' | null {
  switch (dir) {
    case 'TO_DEVICE':
      return 'to_device';
    case 'FROM_DEVICE':
      return 'from_device';
    case 'BIDIRECTIONAL':
      return 'bidirectional';
    default:
      return null;
  }
}

/**
 * The fast parser for the common line shapes: `task-pid [cpu] flags secs.frac: event: payload`
 * and `task pid [cpu] secs.frac: group:event: payload`. It scans from the `[cpu]` field; for
 * anything it is not sure of it returns null and the regular expressions decide (tests check the
 * two agree whenever this one answers).
 */
export function scanLine(line: string): LineParts | null {
  const n = line.length;
  // [cpu]: the first '[' followed by digits and ']' and a space.
  let i = line.indexOf('[');
  let cpu = -1;
  while (i >= 0) {
    let j = i + 1;
    let v = 0;
    while (j < n && line.charCodeAt(j) >= 48 && line.charCodeAt(j) <= 57) v = v * 10 + line.charCodeAt(j++) - 48;
    if (j > i + 1 && j < n - 1 && line.charCodeAt(j) === 93 && line.charCodeAt(j + 1) === 32 && i > 0 && line.charCodeAt(i - 1) === 32) {
      cpu = v;
      i = j + 1;
      break;
    }
    i = line.indexOf('[', i + 1);
  }
  if (cpu < 0 || line.indexOf('\r') >= 0) return null;
  // Before [cpu]: `task-pid` (ftrace) or `task pid` (perf), the task not empty.
  let k0 = line.lastIndexOf('[', i) - 1;
  while (k0 >= 0 && line.charCodeAt(k0) === 32) k0--;
  let d = k0;
  while (d >= 0 && line.charCodeAt(d) >= 48 && line.charCodeAt(d) <= 57) d--;
  if (d === k0 || d < 1) return null;
  const sep = line.charCodeAt(d);
  const perfShape = sep === 32;
  if (sep !== 45 /* - */ && !perfShape) return null;
  let t = d - 1;
  while (t >= 0 && line.charCodeAt(t) === 32) t--;
  if (t < 0) return null;
  // Then one or two tokens: optional flags, then secs.frac:
  for (let token = 0; token < 2; token++) {
    while (i < n && line.charCodeAt(i) === 32) i++;
    const start = i;
    while (i < n && line.charCodeAt(i) !== 32) i++;
    const end = i; // [start, end) is the token
    if (end - start >= 4 && line.charCodeAt(end - 1) === 58 /* : */) {
      const dot = line.indexOf('.', start);
      if (dot < 0 || dot >= end - 1) return null;
      let secs = 0;
      for (let k = start; k < dot; k++) {
        const c = line.charCodeAt(k);
        if (c < 48 || c > 57) return null;
        secs = secs * 10 + c - 48;
      }
      let frac = 0;
      let digits = 0;
      for (let k = dot + 1; k < end - 1; k++) {
        const c = line.charCodeAt(k);
        if (c < 48 || c > 57) return null;
        if (digits < 9) {
          frac = frac * 10 + c - 48;
          digits++;
        }
      }
      if (dot === start || digits === 0) return null;
      for (; digits < 9; digits++) frac *= 10;
      const tsNs = secs * 1e9 + frac;
      if (!Number.isSafeInteger(tsNs)) return null;
      // event, or group:event, then ':' and the payload
      let k = end;
      if (k >= n || line.charCodeAt(k) !== 32) return null;
      k++;
      const a = k;
      while (k < n && isWord(line.charCodeAt(k))) k++;
      if (k === a || k >= n || line.charCodeAt(k) !== 58) return null;
      let group = '';
      let event = line.slice(a, k);
      k++;
      if (k < n && line.charCodeAt(k) !== 32) {
        const b = k;
        while (k < n && isWord(line.charCodeAt(k))) k++;
        if (k === b || k >= n || line.charCodeAt(k) !== 58) return null;
        group = event;
        event = line.slice(b, k);
        k++;
      }
      if (k < n && line.charCodeAt(k) !== 32) return null;
      if (perfShape && (group === '' || token === 1)) return null; // perf lines name the group, have no flags
      return { tsNs, cpu, group, event, payload: line.slice(k).trimStart() };
    }
    // a flags field like "b..1." or "d.h1." comes first (ftrace); anything else: unsure
    if (token === 1 || end - start < 4 || end - start > 6) return null;
    for (let k = start; k < end; k++) if (!isWord(line.charCodeAt(k)) && line.charCodeAt(k) !== 46) return null;
  }
  return null;
}

function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
