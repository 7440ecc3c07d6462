/**
 * Results as files: JSON (the --json shape) and CSV (one flat row per trace x strategy).
 */
import { stringify } from 'csv-stringify/sync';
import type { ReplayReport, RunResult } from '../types/result.js';
import { flattenResult } from './results-table.js';

export function toResultsJson(report: ReplayReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

export function toResultsCsv(results: readonly RunResult[]): string {
  return flatRowsToCsv(results.map(flattenResult));
}

/** Flat rows as CSV, the columns those of the first row (nulls as empty cells); no rows, no
 * text. The one CSV writer of `replay -o`, `sweep -o` and `merge -o`. */
export function flatRowsToCsv(rows: readonly Record<string, string | number | null>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]);
  return stringify(rows.map((r) => columns.map((c) => r[c] ?? '')), { header: true, columns });
}
