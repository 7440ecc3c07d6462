/**
 * `merge`: the outputs of sharded runs (Arrow IPC or JSON rows from `sweep -o`), put back into
 * one table in the order a single-machine run would have written it (by task, then row order
 * within the task). Tasks present twice are an error; missing tasks are reported.
 */
import { readFile } from 'node:fs/promises';
import { tableFromIPC } from '@uwdata/flechette';
import { InputError } from '../util/errors.js';
import { flattenSweepRow } from './sweep-io.js';
import type { GridAxis, SweepRow } from './sweep.js';

export type FlatRow = Record<string, string | number | null>;

export interface Merged {
  rows: FlatRow[];
  columns: string[];
  /** Task numbers below the largest one that no file had (a shard's output is missing). */
  missingTasks: number[];
}

export async function readShardRows(path: string): Promise<FlatRow[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new InputError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (path.endsWith('.arrow')) {
    try {
      return tableFromIPC(bytes).toArray() as FlatRow[];
    } catch (e) {
      throw new InputError(`${path}: not an Arrow IPC file (${(e as Error).message})`);
    }
  }
  if (path.endsWith('.json')) {
    let parsed: { grid?: GridAxis[]; rows?: SweepRow[] };
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(parsed.rows) || !Array.isArray(parsed.grid)) throw new InputError(`${path}: not a sweep output (expected {"grid": [...], "rows": [...]})`);
    return parsed.rows.map((r) => flattenSweepRow(r, parsed.grid!));
  }
  throw new InputError(`${path}: merge reads .arrow or .json shard outputs`);
}

export async function mergeShards(paths: readonly string[]): Promise<Merged> {
  const byTask = new Map<number, { file: string; rows: FlatRow[] }>();
  let columns: string[] | null = null;
  for (const path of paths) {
    const rows = await readShardRows(path);
    for (const row of rows) {
      const cols = Object.keys(row);
      if (columns === null) columns = cols;
      else if (cols.join(',') !== columns.join(',')) throw new InputError(`${path}: its columns differ from ${paths[0]}'s (different grids or versions cannot be merged)`);
      const task = row.task;
      if (typeof task !== 'number') throw new InputError(`${path}: rows have no task column (written by an older version?)`);
      const entry = byTask.get(task);
      if (entry && entry.file !== path) throw new InputError(`task ${task} appears in both ${entry.file} and ${path}: overlapping shards`);
      if (entry) entry.rows.push(row);
      else byTask.set(task, { file: path, rows: [row] });
    }
  }
  const tasks = [...byTask.keys()].sort((a, b) => a - b);
  const max = tasks.length > 0 ? tasks[tasks.length - 1] : -1;
  const missingTasks: number[] = [];
  for (let t = 0; t <= max; t++) if (!byTask.has(t)) missingTasks.push(t);
  return { rows: tasks.flatMap((t) => byTask.get(t)!.rows), columns: columns ?? [], missingTasks };
}
