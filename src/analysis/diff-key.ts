/**
 * How `diff` pairs the rows of two results files: by a key of row fields (`--by`). A trace is
 * keyed by its file name without directory, so runs made from different directories pair up.
 *
 * The default key drops every field that has one value on each side: such a field describes a
 * whole run (its profile, its one trace), and is usually what the two runs differ in. xen-2008
 * against modern-vtd on the same traces pairs by trace + strategy; a strict capture against a
 * lazy one pairs by strategy; two sweeps pair by trace + strategy + their grid point.
 */
import { basename } from 'node:path';
import { UsageError } from '../util/errors.js';
import type { ResultRow } from './results-read.js';

export const BASE_KEY_FIELDS = ['trace', 'strategy', 'profile'];

/** The fields a key may use for these rows: trace, strategy, profile and any swept key. */
export function keyFields(gridKeys: readonly string[]): string[] {
  return [...new Set([...BASE_KEY_FIELDS, ...gridKeys])];
}

export function fieldValue(r: ResultRow, field: string): string {
  if (field === 'trace') return basename(r.trace);
  if (field === 'strategy' || field === 'profile') return r[field];
  const v = r.grid?.[field];
  return v === undefined ? '-' : String(v);
}

export function defaultKey(a: readonly ResultRow[], b: readonly ResultRow[], fields: readonly string[]): string[] {
  const distinct = (rows: readonly ResultRow[], f: string) => new Set(rows.map((r) => fieldValue(r, f))).size;
  return fields.filter((f) => distinct(a, f) > 1 || distinct(b, f) > 1);
}

/** Parses --by: comma-separated fields, each one `fields` offers. @throws UsageError. */
export function parseKey(text: string, fields: readonly string[]): string[] {
  const by = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (by.length === 0) throw new UsageError(`--by '${text}': name at least one field of ${fields.join(', ')}`);
  for (const f of by) if (!fields.includes(f)) throw new UsageError(`--by: unknown field '${f}'; valid: ${fields.join(', ')}`);
  return by;
}

/** A row's key as text: trace, strategy and profile by value, swept keys as key=value
 * (`netperf-rx.csv persistent iotlb.entries=64`); `all` for the empty key. */
export function keyText(r: ResultRow, by: readonly string[]): string {
  return by.length === 0 ? 'all' : by.map((f) => (BASE_KEY_FIELDS.includes(f) ? fieldValue(r, f) : `${f}=${fieldValue(r, f)}`)).join(' ');
}

/**
 * Checks that the key names one row per side.
 * @throws UsageError naming the side, the key shared by several rows, and the fields to add.
 */
export function checkUnique(label: string, rows: readonly ResultRow[], by: readonly string[], fields: readonly string[]): void {
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(keyText(r, by), (seen.get(keyText(r, by)) ?? 0) + 1);
  for (const [k, n] of seen) {
    if (n < 2) continue;
    const more = fields.filter((f) => !by.includes(f));
    const key = by.length === 0 ? 'the same (empty) key' : `the key '${k}'`;
    throw new UsageError(`${label}: ${n} rows have ${key}: --by ${by.join(',') || '(none)'} does not tell them apart${more.length ? `; add one of ${more.join(', ')}` : ''}`, label);
  }
}
