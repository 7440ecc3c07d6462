/**
 * Flat result rows as an Arrow IPC file (flechette), for DuckDB, arquero, pandas or polars.
 * Numeric columns become float64 (nulls kept), text columns utf8 dictionaries.
 */
import { tableFromArrays, tableToIPC } from '@uwdata/flechette';

export function rowsToArrowIpc(rows: readonly Record<string, string | number | null>[]): Uint8Array {
  const columns = rows.length > 0 ? Object.keys(rows[0]) : [];
  const arrays: Record<string, (string | number | null)[]> = {};
  for (const c of columns) arrays[c] = rows.map((r) => r[c] ?? null);
  const table = tableFromArrays(arrays);
  return tableToIPC(table, { format: 'file' })!;
}
