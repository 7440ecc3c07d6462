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
  const rows = results.map(flattenResult);
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]);
  return stringify(rows.map((r) => columns.map((c) => r[c] ?? '')), { header: true, columns });
}
