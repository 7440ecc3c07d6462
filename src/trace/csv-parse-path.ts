/**
 * The general path of the CSV reader: csv-parse, for any header that is not exactly the canonical
 * one (a BOM, columns in another order, extra columns, quoting). Lines come from `lineRuns`, so a
 * row is one line here as on the fast path: a line whose quoted field is not closed on it is
 * reported and replaced by an empty line before csv-parse sees it, and reading goes on at the
 * next line (csv-parse alone would take the rest of the file as one field, and hold it in memory).
 * Lines too long to keep are reported the same way.
 */
import { parse, type CsvError, type InfoRecord, type Options as CsvOptions, type Parser } from 'csv-parse';
import { CANONICAL_COLUMNS } from './canonical.js';
import { endsInsideQuotes, type ColumnIndex, type CsvRowParser, type RowCounts } from './csv-row.js';
import { EventBatch } from '../types/event.js';
import { InputError } from '../util/errors.js';
import { MAX_LINE_BYTES, OVERLONG } from '../ingest/line-reader.js';

const NEWLINE = Buffer.from('\n');

/**
 * The batches of a file's lines through csv-parse (line 1, or the first non-empty line, the
 * header). Batches come from a small pool and are reused once the consumer resumes.
 */
export async function* csvParseBatches(rows: CsvRowParser, counts: RowCounts, runs: AsyncIterable<Buffer | string | typeof OVERLONG>, capacity?: number): AsyncGenerator<EventBatch> {
  const pool: EventBatch[] = [];
  const ready: EventBatch[] = [];
  let current = new EventBatch(capacity);
  let columns: ColumnIndex | null = null;
  let headerSeen = false;
  const file = rows.path;

  // Errors thrown inside csv-parse callbacks would be swallowed by it: keep the first here.
  let fatal: Error | null = null;
  const onRecord = (fields: string[], line: number): void => {
    if (fatal) return;
    if (!headerSeen) {
      headerSeen = true;
      try {
        columns = rows.readHeader(fields);
      } catch (e) {
        fatal = e as Error;
      }
      return;
    }
    counts.rowsRead++;
    let accepted = false;
    try {
      accepted = rows.parseRow(fields, line, columns!, current);
    } catch (e) {
      fatal = e as Error; // --strict: the first problem ends the read
      return;
    }
    if (accepted) {
      counts.rowsAccepted++;
      if (current.length === current.capacity) {
        ready.push(current);
        current = pool.pop() ?? new EventBatch(capacity);
        current.length = 0;
      }
    }
  };
  /** A problem found here rather than by csv-parse; under --strict it ends the read. */
  const report = (what: () => void) => {
    if (fatal) return;
    try {
      what();
    } catch (e) {
      fatal = e as Error;
    }
  };

  const csvOptions: CsvOptions = {
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (record: string[], ctx: InfoRecord) => {
      onRecord(record, ctx.lines);
      return null; // nothing is pushed downstream: rows go straight into batches
    },
    on_skip: (err: CsvError | undefined) => {
      if (fatal) return undefined;
      if (!headerSeen) {
        headerSeen = true;
        fatal = new InputError(`${file}:1: unreadable header line (${err?.message ?? 'malformed CSV'}); the header must be: ${CANONICAL_COLUMNS.join(',')}`);
        return undefined;
      }
      counts.rowsRead++;
      const line = (err as { lines?: number } | undefined)?.lines ?? 0;
      report(() => rows.diagnostics.report(file, line, 'malformed-csv', `malformed CSV (${err?.message ?? 'unreadable record'})`));
      return undefined;
    },
  };
  const parser: Parser = parse(csvOptions);
  let parseError: Error | null = null;
  parser.on('error', (e) => (parseError = e));
  parser.resume();

  // Lines handed to csv-parse so far: its own count, which problems found here must agree with.
  let lineNo = 0;
  /** A line csv-parse must not see: an empty line takes its place, so its line count stays right. */
  const replaceLine = (problem: () => void) => {
    parser.write(NEWLINE);
    if (!headerSeen && lineNo === 1) {
      fatal ??= new InputError(`${file}:1: unreadable header line (a quoted field is not closed, or the line is longer than ${MAX_LINE_BYTES / 1048576} MiB); the header must be: ${CANONICAL_COLUMNS.join(',')}`);
      return;
    }
    counts.rowsRead++;
    report(problem);
  };

  for await (const item of runs) {
    if (item === OVERLONG) {
      lineNo++;
      replaceLine(() => rows.reportLongLine(lineNo, MAX_LINE_BYTES));
    } else {
      const run = typeof item === 'string' ? Buffer.from(item) : item;
      if (run.indexOf(34) < 0) {
        parser.write(run);
        lineNo += countLines(run);
      } else {
        // Lines with a quote: each is checked; one left open is cut out of what csv-parse sees.
        let from = 0;
        for (let s = 0; s < run.length && !fatal; ) {
          const nl = run.indexOf(10, s);
          lineNo++;
          if (endsInsideQuotes(run, s, nl)) {
            if (s > from) parser.write(run.subarray(from, s));
            const line = lineNo;
            replaceLine(() => rows.reportOpenQuote(line));
            from = nl + 1;
          }
          s = nl + 1;
        }
        if (from < run.length && !fatal) parser.write(run.subarray(from));
      }
    }
    if (fatal) throw fatal;
    if (parseError) throw parseError;
    while (ready.length > 0) {
      const b = ready.shift()!;
      yield b;
      b.length = 0;
      pool.push(b);
    }
  }
  parser.end();
  if (fatal) throw fatal;
  if (parseError) throw parseError;
  if (!headerSeen) throw new InputError(`${file}: empty file (no header line; expected: ${CANONICAL_COLUMNS.join(',')})`);
  while (ready.length > 0) yield ready.shift()!;
  if (current.length > 0) yield current;
}

/** Lines in a run (each ends in '\n'). */
function countLines(run: Buffer): number {
  let n = 0;
  for (let i = run.indexOf(10); i >= 0; i = run.indexOf(10, i + 1)) n++;
  return n;
}
