/**
 * Parsers for the Linux DMA trace events (see ../shared/KERNEL-TRACES.md): one function per
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
const PERF = /^\s*\S.*?\s+\d+\s+\[(\d+)\]\s+(\d+)\.(\d+):\s+(\w+):(\w+):\s?(.*)$/;

/** Splits a trace line into its parts, or null for lines that are not events (headers, blanks). */
export function parseLine(line: string): LineParts | null {
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
const DMA_MAP_SG = /^(\S+) dir=(\w+)(?: nents=\d+\/\d+ ents=\d+\/\d+)? dma_addrs=\{([^}]*)\} sizes=\{([^}]*)\} phys_addrs=\{([^}]*)\}/;
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
    return { kind: 'iommu-map', iova: hexText(m[1])!, paddr: hexText(m[2])!, size: Number(m[3]) };
  }
  if (event === 'unmap') {
    const m = IOMMU_UNMAP.exec(payload);
    if (!m) return 'iommu:unmap payload not understood';
    return { kind: 'iommu-unmap', iova: hexText(m[1])!, size: Number(m[2]), unmapped: Number(m[3]) };
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
    const dmaAddrs = list(m[3]).map(hexText);
    const phys = list(m[5]).map(hexText);
    const sizes = list(m[4]).map(Number);
    if (dmaAddrs.some((x) => !x) || phys.some((x) => !x) || sizes.some((x) => !Number.isInteger(x))) return 'dma:dma_map_sg arrays not understood';
    return { kind: 'dma-map-sg', device: m[1], dir: m[2], dmaAddrs: dmaAddrs as string[], sizes, phys: phys as string[], truncated: payload.includes('[TRUNCATED]') };
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
