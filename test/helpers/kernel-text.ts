/** Test inputs in the formats users bring: raw ftrace text and canonical CSV of any size. */
import { CANONICAL_HEADER } from '../../src/trace/canonical.js';

const hex16 = (n: number) => '0x' + n.toString(16).padStart(16, '0');

/**
 * `/sys/kernel/tracing/trace` text with iommu: events only: `dmas` one-page maps, each unmapped
 * by the next line, 1 us apart (ingest makes one DMA of each).
 */
export function ftraceText(dmas: number): string {
  const lines = ['# tracer: nop', '#'];
  for (let i = 0; i < dmas; i++) {
    const iova = 0xfff00000 + (i % 256) * 4096;
    const t = (8 + i / 1e6).toFixed(6);
    lines.push(`          wget-435     [000] b..1. ${t.padStart(12)}: map: IOMMU: iova=${hex16(iova)} - ${hex16(iova + 4096)} paddr=${hex16(0x2000000 + i * 4096)} size=4096`);
    lines.push(`          wget-435     [000] b..1. ${t.padStart(12)}: unmap: IOMMU: iova=${hex16(iova)} - ${hex16(iova + 4096)} size=4096 unmapped_size=4096`);
  }
  return lines.join('\n') + '\n';
}

/** Canonical CSV: `dmas` map/unmap pairs on nic0 (handles 1..dmas), 10 ns apart. */
export function canonicalRows(dmas: number, first = 0): string[] {
  const rows: string[] = [];
  for (let i = first; i < first + dmas; i++) {
    rows.push(`${i * 20},0,nic0,net,map,from_device,0x${(0x200000 + (i % 512) * 0x1000).toString(16)},2048,${i + 1},`);
    rows.push(`${i * 20 + 10},0,nic0,net,unmap,,,,${i + 1},`);
  }
  return rows;
}

export function canonicalText(dmas: number): string {
  return [CANONICAL_HEADER, ...canonicalRows(dmas)].join('\n') + '\n';
}
