/**
 * Results as files: JSON (the --json shape) and CSV (one flat row per trace x strategy), and
 * results files read back (diff, figures), each result checked before anything uses it.
 */
import { stringify } from 'csv-stringify/sync';
import { InputError } from '../util/errors.js';
import { readSmallFile } from '../util/small-file.js';
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

/**
 * The shape every result read back from a file must have (what `replay -o x.json` writes), field
 * by field: 'n' a finite number, 'n?' a finite number or null, 's' a string, '{n}' an object of
 * finite numbers; `segments` and `pages` may be missing (files written before they existed).
 */
const RESULT_SHAPE: Shape = {
  trace: 's',
  strategy: 's',
  profile: 's',
  dmas: 'n',
  units: 'n',
  duration_ns: 'n',
  cycles: { total: 'n', cpu: 'n', per_dma: 'n?', per_unit: 'n?', per_kib: 'n?', by_category: '{n}' },
  overhead_vs_native: 'n?',
  cpu_utilization: 'n?',
  hypercalls: 'n',
  pt_updates: 'n',
  iotlb: { hits: 'n', misses: 'n', miss_rate: 'n?', invalidations: 'n', evictions: 'n', waits: 'n' },
  reuse_rate: 'n?',
  mappings: { peak: 'n', avg: 'n' },
  faults: 'n',
  exposure: { avg_bytes: 'n', max_bytes: 'n' },
  setup: { cycles: 'n', pt_updates: 'n' },
  live_at_end: 'n',
  counters: '{n}',
};
const OPTIONAL = new Set(['segments', 'pages']);

type Shape = { [key: string]: 'n' | 'n?' | 's' | '{n}' | Shape };

/** Why `value` is not a result, as `field: what is wrong`; null when it is one. */
export function resultProblem(value: unknown, shape: Shape = RESULT_SHAPE, path = ''): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path || 'it'} is ${describe(value)}, not an object`;
  const o = value as Record<string, unknown>;
  for (const [key, kind] of Object.entries(shape)) {
    const v = o[key];
    const name = path ? `${path}.${key}` : key;
    if (typeof kind === 'object') {
      const inner = resultProblem(v, kind, name);
      if (inner) return inner;
    } else if (kind === 's' ? typeof v !== 'string' : kind === '{n}' ? !numberRecord(v) : !(finite(v) || (kind === 'n?' && v === null))) {
      return `${name} is ${describe(v)}, not ${kind === 's' ? 'a string' : kind === '{n}' ? 'an object of numbers' : kind === 'n' ? 'a number' : 'a number or null'}`;
    }
  }
  if (path === '') for (const key of OPTIONAL) if (o[key] !== undefined && !finite(o[key])) return `${key} is ${describe(o[key])}, not a number`;
  return null;
}

function finite(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

function numberRecord(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(finite);
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Bytes a results file may have: far more than any run writes, far less than fills memory. */
export const RESULTS_FILE_BYTES = 256 << 20;

/**
 * Reads the results of a `replay -o x.json` (or `--json`) file, every one checked.
 * @throws InputError naming the file and the first thing wrong with it.
 */
export function readResultsFile(path: string): RunResult[] {
  const text = readSmallFile(path, 'results', RESULTS_FILE_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const results = (parsed as { results?: unknown } | null)?.results;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(results)) throw new InputError(`${path}: not a results file (expected {"results": [...]} as written by replay -o x.json)`);
  results.forEach((r, i) => {
    const problem = resultProblem(r);
    if (problem) throw new InputError(`${path}: result ${i + 1} is not a replay result (${problem})`);
  });
  return results as RunResult[];
}
