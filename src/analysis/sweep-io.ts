/**
 * Sweep rows as files and text: flat rows (trace, strategy, the grid keys, then every result
 * field as in `replay -o x.csv`), written as CSV, JSON or Arrow, and an aligned summary table.
 */
import type { SweepRow, GridAxis } from '../runs/sweep.js';
import { flattenResult } from './results-table.js';
import { flatRowsToCsv } from './results-io.js';
import { rowsToArrowIpc } from './arrow.js';
import { textTable, type Column } from './text-table.js';
import { shortTraceNames } from './trace-names.js';
import type { Provenance } from './provenance.js';

/** Schema metadata key of an .arrow results file holding its provenance as JSON. */
export const PROVENANCE_KEY = 'dmareplay.provenance';

/** Arrow schema metadata for a run's provenance (none without one). */
export function provenanceMetadata(p: Provenance | null | undefined): Record<string, string> | undefined {
  return p ? { [PROVENANCE_KEY]: JSON.stringify(p) } : undefined;
}

export function flattenSweepRow(r: SweepRow, axes: readonly GridAxis[]): Record<string, string | number | null> {
  const { trace, strategy, ...rest } = flattenResult(r);
  const grid = Object.fromEntries(axes.map((a) => [a.key, r.grid[a.key]]));
  return { task: r.task, trace, strategy, ...grid, ...rest };
}

export function sweepToCsv(rows: readonly SweepRow[], axes: readonly GridAxis[]): string {
  return flatRowsToCsv(rows.map((r) => flattenSweepRow(r, axes)));
}

export function sweepToJson(rows: readonly SweepRow[], axes: readonly GridAxis[], provenance?: Provenance | null): string {
  return JSON.stringify(provenance ? { provenance, grid: axes, rows } : { grid: axes, rows }, null, 2) + '\n';
}

export function sweepToArrow(rows: readonly SweepRow[], axes: readonly GridAxis[], provenance?: Provenance | null): Uint8Array {
  return rowsToArrowIpc(rows.map((r) => flattenSweepRow(r, axes)), provenanceMetadata(provenance));
}

/** The aligned summary: cost and protection, or (perPage) the IOMMU's work per 4 KiB page. */
export function sweepTable(rows: readonly SweepRow[], axes: readonly GridAxis[], perPage = false): string {
  const names = shortTraceNames(rows.map((r) => r.trace));
  const lead: Column<SweepRow>[] = [
    { title: 'trace', value: (r) => names.get(r.trace) ?? r.trace },
    ...axes.map((a) => ({ title: a.key, value: (r: SweepRow) => r.grid[a.key] })),
    { title: 'strategy', value: (r) => r.strategy },
  ];
  const cost: Column<SweepRow>[] = [
    { title: 'cycles/DMA', value: (r) => r.cycles.per_dma },
    { title: 'CPU cyc/DMA', value: (r) => r.cycles.cpu_per_dma ?? (r.dmas > 0 ? r.cycles.cpu / r.dmas : null) },
    { title: 'IOTLB miss %', value: (r) => r.iotlb.miss_rate, digits: 1, percent: true },
    { title: 'reuse %', value: (r) => r.reuse_rate, digits: 1, percent: true },
    { title: 'exposed KiB', value: (r) => r.exposure.avg_bytes / 1024, digits: 1 },
    { title: 'stale hits', value: (r) => r.counters.iotlb_stale_hits },
  ];
  const pages: Column<SweepRow>[] = [
    { title: 'IOTLB miss/pg', value: (r) => r.per_page?.iotlb_misses ?? null, digits: 3 },
    { title: 'L1 miss/pg', value: (r) => r.per_page?.walk_misses.pml4e ?? null, digits: 3 },
    { title: 'L2 miss/pg', value: (r) => r.per_page?.walk_misses.pdpte ?? null, digits: 3 },
    { title: 'L3 miss/pg', value: (r) => r.per_page?.walk_misses.pde ?? null, digits: 3 },
    { title: 'reads/pg', value: (r) => r.per_page?.iommu_reads ?? null, digits: 3 },
    { title: 'IOMMU Gb/s', value: (r) => r.per_page?.iommu_gbps ?? null, digits: 1 },
    { title: 'cores/100G', value: (r) => r.per_page?.cores_per_100g ?? null, digits: 2 },
  ];
  return textTable(rows, [...lead, ...(perPage ? pages : cost)]);
}
