/**
 * Opens any trace for reading as canonical batches: canonical CSV as it is, raw Linux kernel
 * traces (ftrace, trace-cmd, perf script) ingested on the fly. Every command that reads traces
 * goes through here, so all of them accept both.
 */
import { CanonicalCsvReader, type ReadOptions } from './csv-reader.js';
import type { Diagnostics } from './diagnostics.js';
import { detectFormat, ingestToCsv } from '../ingest/ingest.js';

export async function openTrace(path: string, diagnostics: Diagnostics, read?: ReadOptions): Promise<CanonicalCsvReader> {
  let options = read;
  if (!options?.source && !/\.csv(\.gz)?$/.test(path)) {
    const format = await detectFormat(path);
    if (format === 'ftrace' || format === 'perf') options = { ...options, source: ingestToCsv(path, { diagnostics, format }) };
  }
  return new CanonicalCsvReader(path, diagnostics, options);
}
