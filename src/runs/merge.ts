/**
 * `merge`: the outputs of sharded runs put back into one file, byte for byte what the
 * single-machine run writes in the same format, in its order (by task, then row order within the
 * task). A task present in two inputs is an error (overlapping shards); tasks missing below the
 * last one present are reported.
 *
 * What each shard output can give (every row must carry its task number):
 *
 *   sweep  -o x.json   full rows and the grid        -> merged .json, .csv or .arrow
 *   sweep/replay -o x.arrow  flat typed rows         -> merged .arrow or .csv
 *   sweep  -o x.csv    flat rows as text (no types)  -> merged .csv
 *   replay -o x.json / x.csv: no task numbers, so the shards' order cannot be recovered: refused.
 *
 * The merged file is written by the writers `sweep -o` and `replay -o` use (sweep-io.ts,
 * results-io.ts, arrow.ts). A file that is not one of the above is a usage error (exit 2); one
 * that cannot be read or is damaged, and overlapping or mismatched shards, are input errors (1).
 */
import { readFile } from 'node:fs/promises';
import { tableFromIPC } from '@uwdata/flechette';
import { parse as parseCsv } from 'csv-parse/sync';
import { InputError, UsageError } from '../util/errors.js';
import { flattenSweepRow, sweepToJson } from '../analysis/sweep-io.js';
import { flatRowsToCsv, resultProblem } from '../analysis/results-io.js';
import { rowsToArrowIpc } from '../analysis/arrow.js';
import type { GridAxis, SweepRow } from './sweep.js';

export type FlatRow = Record<string, string | number | null>;

export type MergeFormat = 'json' | 'csv' | 'arrow';

/** The formats merge reads and what each can be merged into: for help texts and errors. */
export const MERGE_INPUTS =
  'merge takes shards written by `sweep --shard i/N -o` (.arrow, .json or .csv) or `replay --shard i/N -o` (.arrow)';

/** One shard output, read. `full` only for a sweep .json (the rows and grid it was written from). */
export interface ShardFile {
  path: string;
  format: MergeFormat;
  columns: string[];
  rows: FlatRow[];
  full: { axes: GridAxis[]; rows: SweepRow[] } | null;
}

export interface Merged {
  /** Flat rows (task, trace, strategy, grid keys, result fields) in the single run's order. */
  rows: FlatRow[];
  columns: string[];
  /** The full rows and grid, when every input was a sweep .json; else null. */
  full: { axes: GridAxis[]; rows: SweepRow[] } | null;
  /** Formats of the inputs that had rows. */
  formats: MergeFormat[];
  /** Task numbers below the largest one that no file had (a shard's output is missing): the
   * first MISSING_LISTED of them; `missingTaskCount` counts them all. */
  missingTasks: number[];
  missingTaskCount: number;
}

/** Missing task numbers listed at most (the rest are counted). */
export const MISSING_LISTED = 1000;

/** Result columns every sweep/replay output has after its task column. */
const REQUIRED = ['task', 'trace', 'strategy', 'profile'];

function notAShard(path: string, why: string): UsageError {
  return new UsageError(`${path}: ${why}; ${MERGE_INPUTS}`);
}

export function mergeFormatOf(path: string): MergeFormat | null {
  const m = /\.(json|csv|arrow)$/.exec(path);
  return m ? (m[1] as MergeFormat) : null;
}

export async function readShard(path: string): Promise<ShardFile> {
  const format = mergeFormatOf(path);
  if (format === null) throw notAShard(path, 'not a .arrow, .json or .csv file');
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
  if (format === 'arrow') return readArrowShard(path, bytes);
  if (format === 'json') return readJsonShard(path, bytes);
  return readCsvShard(path, bytes);
}

/** An Arrow IPC file opens with ARROW1, a stream with a continuation marker (0xFFFFFFFF). */
function looksLikeArrow(bytes: Buffer): boolean {
  return bytes.subarray(0, 6).toString('latin1') === 'ARROW1' || (bytes.length >= 4 && bytes.readUInt32LE(0) === 0xffffffff);
}

function readArrowShard(path: string, bytes: Buffer): ShardFile {
  if (!looksLikeArrow(bytes)) throw notAShard(path, 'not an Arrow IPC file');
  let columns: string[];
  let rows: FlatRow[];
  try {
    const table = tableFromIPC(bytes);
    columns = table.schema.fields.map((f) => f.name);
    rows = (table.toArray() as FlatRow[]).map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
  } catch (e) {
    throw new InputError(`${path}: a damaged Arrow IPC file (${(e as Error).message})`);
  }
  // A shard with no rows is written as a table without columns.
  if (rows.length > 0) checkColumns(path, columns, 'Arrow');
  return { path, format: 'arrow', columns, rows: checkTasks(path, rows), full: null };
}

function readJsonShard(path: string, bytes: Buffer): ShardFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const o = (parsed ?? {}) as { grid?: unknown; rows?: unknown; results?: unknown };
  if (Array.isArray(o.results) && o.rows === undefined) {
    throw new UsageError(`${path}: a replay .json has no task numbers, so its shards cannot be put back in order; write replay shards with -o shard.arrow (${MERGE_INPUTS})`);
  }
  if (!Array.isArray(o.rows) || !Array.isArray(o.grid)) throw notAShard(path, 'not a sweep output (expected {"grid": [...], "rows": [...]})');
  const axes = o.grid as GridAxis[];
  const full = o.rows as SweepRow[];
  full.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || typeof r.task !== 'number' || typeof r.grid !== 'object') throw notAShard(path, 'its rows have no task number (written by an older version?)');
    const problem = resultProblem(r);
    if (problem) throw new InputError(`${path}: row ${i + 1} is not a sweep result (${problem})`);
  });
  const rows = full.map((r) => flattenSweepRow(r, axes));
  return { path, format: 'json', columns: rows.length > 0 ? Object.keys(rows[0]) : [], rows: checkTasks(path, rows), full: { axes, rows: full } };
}

function readCsvShard(path: string, bytes: Buffer): ShardFile {
  let records: string[][];
  try {
    records = parseCsv(bytes) as string[][];
  } catch (e) {
    throw new InputError(`${path}: not readable CSV (${(e as Error).message})`);
  }
  // A shard with no rows is written as an empty file.
  if (records.length === 0) return { path, format: 'csv', columns: [], rows: [], full: null };
  const [columns, ...body] = records;
  if (!columns.includes('task') && ['trace', 'strategy', 'profile'].every((c) => columns.includes(c))) {
    throw new UsageError(`${path}: a replay .csv has no task column, so its shards cannot be put back in order; write replay shards with -o shard.arrow (${MERGE_INPUTS})`);
  }
  checkColumns(path, columns, 'CSV');
  const rows = body.map((cells) => {
    const row: FlatRow = Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
    row.task = /^\d+$/.test(cells[columns.indexOf('task')]) ? Number(row.task) : (row.task as string);
    return row;
  });
  return { path, format: 'csv', columns, rows: checkTasks(path, rows), full: null };
}

function checkColumns(path: string, columns: readonly string[], what: string): void {
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw notAShard(path, `not a sweep or replay output (no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''} in the ${what} table)`);
}

/** Largest task number accepted: far beyond any run's tasks (a sweep has at most MAX_SWEEP_RUNS),
 * small enough that counting the tasks missing below it stays cheap. */
export const MAX_TASK = 2 ** 31 - 1;

function checkTasks(path: string, rows: FlatRow[]): FlatRow[] {
  for (const r of rows) {
    if (typeof r.task !== 'number' || !Number.isInteger(r.task) || r.task < 0 || r.task > MAX_TASK) throw new InputError(`${path}: task '${String(r.task)}' is not a whole number in 0..${MAX_TASK}`);
  }
  return rows;
}

/** The grid keys of flat rows' columns: those between `strategy` and `profile` (none for replay). */
function gridKeys(columns: readonly string[]): string[] {
  return columns.slice(columns.indexOf('strategy') + 1, columns.indexOf('profile'));
}

export async function mergeShards(paths: readonly string[]): Promise<Merged> {
  const files: ShardFile[] = [];
  for (const path of paths) files.push(await readShard(path));
  return mergeShardFiles(files);
}

export function mergeShardFiles(files: readonly ShardFile[]): Merged {
  const byTask = new Map<number, { file: number; rows: FlatRow[]; full: SweepRow[] }>();
  const withRows = files.filter((f) => f.rows.length > 0);
  const first = withRows[0];
  const firstJson = files.find((f) => f.full !== null);
  files.forEach((f, i) => {
    if (f.rows.length > 0 && f.columns.join(',') !== first.columns.join(',')) {
      throw new InputError(`${f.path}: its columns differ from ${first.path}'s (outputs of different grids, commands or versions cannot be merged)`);
    }
    if (f.full && JSON.stringify(f.full.axes) !== JSON.stringify(firstJson!.full!.axes)) {
      throw new InputError(`${f.path}: its grid differs from ${firstJson!.path}'s (shards of different sweeps cannot be merged)`);
    }
    f.rows.forEach((row, j) => {
      const task = row.task as number;
      let entry = byTask.get(task);
      if (entry && entry.file !== i) {
        const a = files[entry.file].path;
        throw new InputError(`task ${task} appears in both ${a} and ${f.path}: overlapping shards${a === f.path ? ' (the same file given twice)' : ''}`);
      }
      if (!entry) byTask.set(task, (entry = { file: i, rows: [], full: [] }));
      entry.rows.push(row);
      if (f.full) entry.full.push(f.full.rows[j]);
    });
  });
  const tasks = [...byTask.keys()].sort((a, b) => a - b);
  // The gaps below each present task, counted without enumerating them (task numbers go to 2^31).
  const missingTasks: number[] = [];
  let missingTaskCount = 0;
  let next = 0;
  for (const t of tasks) {
    for (let m = next; m < t && missingTasks.length < MISSING_LISTED; m++) missingTasks.push(m);
    missingTaskCount += t - next;
    next = t + 1;
  }
  const allJson = files.length > 0 && files.every((f) => f.full !== null);
  return {
    rows: tasks.flatMap((t) => byTask.get(t)!.rows),
    columns: first?.columns ?? [],
    full: allJson ? { axes: firstJson!.full!.axes, rows: tasks.flatMap((t) => byTask.get(t)!.full) } : null,
    formats: [...new Set(withRows.map((f) => f.format))],
    missingTasks,
    missingTaskCount,
  };
}

/**
 * The merged file in `format`, written as the single-machine run writes it: a sweep's rows as by
 * `sweep -o` (sweepToJson, or the flat rows sweepToCsv and sweepToArrow write), replay's as by
 * `replay -o` (flat rows with a task column in .arrow, without it in .csv). A usage error when
 * the inputs do not carry what the format needs.
 */
export function mergedOutput(m: Merged, format: MergeFormat): string | Uint8Array {
  if (format === 'json') {
    if (!m.full) {
      throw new UsageError(`a merged .json needs sweep .json shards (${m.formats.map((f) => `.${f}`).join(' and ')} shards hold flat rows, without the nested fields and counters of a .json): merge them to .arrow or .csv`);
    }
    return sweepToJson(m.full.rows, m.full.axes);
  }
  if (format === 'arrow') {
    if (m.formats.includes('csv')) throw new UsageError('a merged .arrow needs .arrow or .json shards (.csv shards carry no column types): merge .csv shards to .csv');
    return rowsToArrowIpc(m.rows);
  }
  // replay -o x.csv has no task column; sweep -o x.csv has one.
  const replay = m.columns.length > 0 && gridKeys(m.columns).length === 0;
  return flatRowsToCsv(replay ? m.rows.map(({ task: _task, ...rest }) => rest) : m.rows);
}
