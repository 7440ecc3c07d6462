/**
 * The fast path of the CSV reader, for files whose header is exactly the canonical one: each run
 * of lines is scanned once, fields parsed as they are met and written straight into the batch
 * (csv-line-scanner.ts). Any line the scanner does not take (a quote, a bad field, a non-numeric
 * id, a wrong field count, a buffer that may wrap past 2^64, ...) is handed to the same csv-parse
 * + CsvRowParser validation as the general path (csv-parse-path.ts), so both paths give the same
 * events and the same diagnostics.
 */
import { parse as parseSync } from 'csv-parse/sync';
import { CANONICAL_COLUMNS } from './canonical.js';
import { endsInsideQuotes, type ColumnIndex, type CsvRowParser, type RowCounts } from './csv-row.js';
import { CsvLineScanner, REJECTED } from './csv-line-scanner.js';
import { EventBatch } from '../types/event.js';
import { MAX_LINE_BYTES, OVERLONG } from '../ingest/line-reader.js';

const NL = 10;

/**
 * The batches of a canonical file's lines (runs of whole lines from `lineRuns`, line 1 the
 * header). Batches are reused: one is valid until the generator resumes.
 */
export async function* fastBatches(rows: CsvRowParser, counts: RowCounts, runs: AsyncIterable<Buffer | string | typeof OVERLONG>, withCpu: boolean, capacity?: number): AsyncGenerator<EventBatch> {
  const columns = rows.readHeader(withCpu ? [...CANONICAL_COLUMNS, 'cpu'] : [...CANONICAL_COLUMNS]);
  const batch = new EventBatch(capacity);
  const scanner = new CsvLineScanner(rows.devices, withCpu);
  let lineNo = 0;
  // Counted in locals and added to `counts` at each batch (a field write per row costs).
  let read = 0;
  let accepted = 0;
  for await (const item of runs) {
    if (item === OVERLONG) {
      lineNo++;
      read++;
      rows.reportLongLine(lineNo, MAX_LINE_BYTES);
      continue;
    }
    const run = typeof item === 'string' ? Buffer.from(item) : item;
    // Every line of a run ends in '\n' (lineRuns turned '\r\n' and lone '\r' into it).
    for (let pos = 0; pos < run.length; ) {
      lineNo++;
      if (lineNo === 1) {
        pos = run.indexOf(NL, pos) + 1; // the header, already read
        continue;
      }
      if (run[pos] === NL) {
        pos++; // an empty line is no row
        continue;
      }
      read++;
      const next = scanner.scan(run, pos, batch, lineNo);
      if (next !== REJECTED) {
        accepted++;
        pos = next;
      } else {
        const nl = scanner.lineEnd;
        if (slowLine(rows, run, pos, nl, lineNo, columns, batch)) accepted++;
        pos = nl + 1;
      }
      if (batch.length === batch.capacity) {
        counts.rowsRead += read;
        counts.rowsAccepted += accepted;
        read = accepted = 0;
        yield batch; // consumed before the generator resumes: the batch is reused
        batch.length = 0;
      }
    }
  }
  counts.rowsRead += read;
  counts.rowsAccepted += accepted;
  if (batch.length > 0) yield batch;
}

/** One line the scanner did not accept, through the general validation (and its messages). */
function slowLine(rows: CsvRowParser, b: Buffer, s: number, e: number, line: number, c: ColumnIndex, batch: EventBatch): boolean {
  if (endsInsideQuotes(b, s, e)) {
    rows.reportOpenQuote(line);
    return false;
  }
  let fields: string[];
  try {
    // The line holds no line end, so csv-parse finds at most one record in it.
    const records = parseSync(b.toString('utf8', s, e), { relax_quotes: true, relax_column_count: true, bom: false }) as string[][];
    fields = records[0] ?? [''];
  } catch (err) {
    rows.diagnostics.report(rows.path, line, 'malformed-csv', `malformed CSV (${(err as Error).message})`);
    return false;
  }
  return rows.parseRow(fields, line, c, batch);
}
