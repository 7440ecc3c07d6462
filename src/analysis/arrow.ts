/**
 * Flat result rows as an Arrow IPC file (flechette), for DuckDB, arquero, pandas or polars.
 * Numeric columns are always float64 (nulls kept) so every file has the same schema whatever its
 * values; text columns are utf8 dictionaries.
 */
import { float64, tableFromArrays, tableToIPC, type DataType } from '@uwdata/flechette';

export function rowsToArrowIpc(rows: readonly Record<string, string | number | null>[], metadata?: Record<string, string>): Uint8Array {
  const columns = rows.length > 0 ? Object.keys(rows[0]) : [];
  const arrays: Record<string, (string | number | null)[]> = {};
  const types: Record<string, DataType> = {};
  for (const c of columns) {
    arrays[c] = rows.map((r) => r[c] ?? null);
    if (arrays[c].every((v) => v === null || typeof v === 'number')) types[c] = float64();
  }
  const table = tableFromArrays(arrays, { types });
  // Schema metadata (the run's provenance) travels with the rows, for DuckDB and pandas too.
  if (metadata && Object.keys(metadata).length > 0) table.schema.metadata = new Map(Object.entries(metadata));
  return tableToIPC(table, { format: 'file' })!;
}
