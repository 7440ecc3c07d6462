/**
 * Any results file any command writes, read back as results: `replay -o x.json` (or --json),
 * `sweep -o x.json` and merged .json ({"grid", "rows"}), and the flat rows of every .csv and
 * .arrow that replay, sweep and merge write. `diff` and `figures` read through here, so every
 * output is an input.
 *
 * Flat rows (.csv, .arrow) carry every field of the tables but not the raw counters (see
 * unflattenResult). Sweep rows keep their grid values. The provenance is read from a .json's
 * `provenance` field or an .arrow's schema metadata; a .csv has none.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { tableFromIPC } from '@uwdata/flechette';
import { parse as parseCsv } from 'csv-parse/sync';
import { InputError } from '../util/errors.js';
import { readSmallFileBytes } from '../util/small-file.js';
import { RESULTS_FILE_BYTES, resultProblem } from './results-io.js';
import { unflattenResult } from './results-table.js';
import { asProvenance, type Provenance } from './provenance.js';
import { PROVENANCE_KEY } from './sweep-io.js';
import type { RunResult } from '../types/result.js';


export interface ResultRow extends RunResult {
  /** A sweep row's grid point, by key (empty for replay rows). */
  grid: Record<string, number>;
}

export interface ResultsFile {
  path: string;
  rows: ResultRow[];
  /** The swept keys, in column order (none for a replay). */
  gridKeys: string[];
  provenance: Provenance | null;
}

/** Columns that precede the grid keys and results in a flat row. */
const LEAD = ['task', 'trace', 'strategy'];

/** Whether a .csv or .arrow file holds results (not a trace): judged by its first bytes. */
export function looksLikeResults(path: string, head: Uint8Array): boolean {
  if (path.endsWith('.json')) return true;
  if (path.endsWith('.csv')) {
    const line = Buffer.from(head).toString('utf8').split(/\r?\n/, 1)[0];
    return /^(task,)?trace,strategy,/.test(line);
  }
  if (path.endsWith('.arrow')) {
    // A results table has trace, strategy and profile columns; a trace has ts_ns and op.
    const text = Buffer.from(head).toString('latin1');
    return text.includes('strategy') && text.includes('profile') && !text.includes('ts_ns');
  }
  return false;
}

export function readResults(path: string): ResultsFile {
  const bytes = readSmallFileBytes(path, 'results', RESULTS_FILE_BYTES);
  if (path.endsWith('.csv')) return fromFlat(path, csvRows(path, bytes), null);
  if (path.endsWith('.arrow')) return arrowRows(path, bytes);
  return jsonRows(path, bytes);
}

function jsonRows(path: string, bytes: Buffer): ResultsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { results?: unknown; rows?: unknown; grid?: unknown; provenance?: unknown };
  const list = Array.isArray(o.results) ? o.results : Array.isArray(o.rows) ? o.rows : null;
  if (list === null) throw new InputError(`${path}: not a results file (expected {"results": [...]} from replay or {"grid": [...], "rows": [...]} from sweep or merge)`);
  const gridKeys = Array.isArray(o.grid) ? (o.grid as { key?: unknown }[]).map((a) => String(a?.key)) : [];
  const rows = list.map((r, i) => {
    const problem = resultProblem(r);
    if (problem) throw new InputError(`${path}: result ${i + 1} is not a replay result (${problem})`);
    const grid = (r as { grid?: Record<string, number> }).grid;
    return { ...(r as RunResult), grid: typeof grid === 'object' && grid !== null ? grid : {} };
  });
  return { path, rows, gridKeys, provenance: asProvenance(o.provenance) };
}

function csvRows(path: string, bytes: Buffer): Record<string, unknown>[] {
  let records: string[][];
  try {
    records = parseCsv(bytes) as string[][];
  } catch (e) {
    throw new InputError(`${path}: not readable CSV (${(e as Error).message})`);
  }
  if (records.length === 0) return [];
  const [columns, ...body] = records;
  // Text columns stay text; every other cell is a number, an empty cell null.
  const text = new Set(['trace', 'strategy', 'profile']);
  return body.map((cells) => Object.fromEntries(columns.map((c, i) => [c, text.has(c) ? cells[i] : cells[i] === '' || cells[i] === undefined ? null : Number(cells[i])])));
}

function arrowRows(path: string, bytes: Buffer): ResultsFile {
  let rows: Record<string, unknown>[];
  let meta: string | undefined;
  try {
    const table = tableFromIPC(bytes);
    const columns = table.schema.fields.map((f) => f.name);
    rows = (table.toArray() as Record<string, unknown>[]).map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
    meta = table.schema.metadata?.get(PROVENANCE_KEY);
  } catch (e) {
    throw new InputError(`${path}: not a readable Arrow file (${(e as Error).message})`);
  }
  let provenance: Provenance | null = null;
  try {
    provenance = meta ? asProvenance(JSON.parse(meta)) : null;
  } catch {
    provenance = null;
  }
  return fromFlat(path, rows, provenance);
}

function fromFlat(path: string, flat: Record<string, unknown>[], provenance: Provenance | null): ResultsFile {
  if (flat.length === 0) return { path, rows: [], gridKeys: [], provenance };
  const columns = Object.keys(flat[0]);
  if (!columns.includes('trace') || !columns.includes('strategy') || !columns.includes('profile')) {
    throw new InputError(`${path}: not a results file (no trace, strategy and profile columns, as replay, sweep and merge write)`);
  }
  const gridKeys = columns.slice(columns.indexOf('strategy') + 1, columns.indexOf('profile')).filter((c) => !LEAD.includes(c));
  const rows = flat.map((f, i) => {
    try {
      const r = unflattenResult(f);
      const grid: Record<string, number> = {};
      for (const k of gridKeys) grid[k] = f[k] as number;
      return { ...r, grid };
    } catch (e) {
      throw new InputError(`${path}: row ${i + 1} is not a result (${(e as Error).message})`);
    }
  });
  return { path, rows, gridKeys, provenance };
}

/**
 * Whether `path` names a results file rather than a trace: every .json; a .csv or .arrow whose
 * first bytes are those of a results table. Unreadable files are left to the trace reader,
 * which reports them.
 */
export function isResultsPath(path: string): boolean {
  if (path.endsWith('.json')) return true;
  if (!path.endsWith('.csv') && !path.endsWith('.arrow')) return false;
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    if (!fstatSync(fd).isFile()) return false;
    const head = Buffer.alloc(8192);
    const n = readSync(fd, head, 0, head.length, 0);
    return looksLikeResults(path, head.subarray(0, n));
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Results for figures: a sweep's grid point joins the trace name (`netperf-rx.csv
 * [iotlb.entries=64]`), so every point is a workload of its own rather than a duplicate.
 */
export function resultsForFigures(file: ResultsFile): RunResult[] {
  return file.rows.map(({ grid, ...r }) => {
    const point = Object.entries(grid ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
    return point ? { ...r, trace: `${r.trace} [${point}]` } : r;
  });
}
