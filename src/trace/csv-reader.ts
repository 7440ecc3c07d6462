/**
 * Streaming reader of canonical traces: bytes -> lines -> validated rows in reusable
 * EventBatches. The file is read once, in chunks; memory is a few batches and one line. Every
 * rejected row becomes a `file:line: reason` problem and the reading goes on.
 *
 *   file (.csv, .csv.gz decompressed on the fly; .arrow: arrow-trace.ts)
 *     1. lines (ingest/line-reader.ts): '\n', '\r\n' and a lone '\r' end a line; a line over
 *        1 MiB is reported and skipped, so no input makes a line cost more than that
 *     2. header: exactly canonical -> the byte scanner (csv-fast-path.ts); anything else (a
 *        BOM, other column orders, extra columns) -> csv-parse (csv-parse-path.ts)
 *     3. each row checked by the same rules (csv-row.ts, row-checks.ts) into an EventBatch
 *     4. batches regrouped so a scatter-gather DMA's rows share one (dma-groups.ts)
 *
 * A row is one line on both paths: a quoted field cannot span lines.
 */
import { CANONICAL_HEADER, CANONICAL_HEADER_WITH_CPU, CANONICAL_COLUMNS } from './canonical.js';
import { alignDmaGroups } from './dma-groups.js';
import { CsvRowParser } from './csv-row.js';
import { fastBatches } from './csv-fast-path.js';
import { csvParseBatches } from './csv-parse-path.js';
import { checkReadable, readError } from './input-file.js';
import { Diagnostics } from './diagnostics.js';
import { DeviceTable, EventBatch } from '../types/event.js';
import { InputError } from '../util/errors.js';
import { lineRuns, MAX_LINE_BYTES, OVERLONG, openBytes } from '../ingest/line-reader.js';

export interface ReadOptions {
  batchCapacity?: number;
  /** Read from this instead of the file (tests, stdin); `path` then only names it in messages. */
  source?: AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  /** Called after each chunk with the bytes read so far. */
  onProgress?: (bytesRead: number) => void;
  /** Use the purpose-built scanner for exactly-canonical files (default true; false forces
   * csv-parse, which the equivalence tests compare against). */
  fast?: boolean;
}

/**
 * Reads one canonical CSV file as a stream of batches. Batches are reused: a batch is only valid
 * until the generator is resumed.
 * @throws InputError when the file cannot be read at all (missing, a directory, no header).
 */
export class CanonicalCsvReader {
  readonly devices = new DeviceTable();
  /** Data rows seen (good and rejected). */
  rowsRead = 0;
  rowsAccepted = 0;

  constructor(
    readonly path: string,
    readonly diagnostics: Diagnostics,
    private readonly options: ReadOptions = {},
  ) {}

  /** The trace's rows in batches; the segment rows of one scatter-gather DMA always share a
   * batch (dma-groups.ts). */
  batches(): AsyncGenerator<EventBatch> {
    return alignDmaGroups(this.readBatches());
  }

  private async *readBatches(): AsyncGenerator<EventBatch> {
    const path = this.path;
    if (!this.options.source) await checkReadable(path);
    // The binary path: Arrow IPC traces come in typed record batches, nothing to parse.
    if (!this.options.source && path.endsWith('.arrow')) {
      // The Arrow reader is loaded only for Arrow traces: CSV readers start without it.
      const { readArrowTrace } = await import('./arrow-reader.js');
      yield* readArrowTrace(path, this.devices, this.diagnostics, this);
      return;
    }
    // 1 MiB reads: with the default 64 KiB, syscalls and chunk handling cost as much as parsing.
    // (Not more: the line length cap is exact only for lines spanning chunks.)
    const bytes = this.options.source ? sourceBytes(this.options.source, this.options.onProgress) : (openBytes(path, this.options.onProgress, MAX_LINE_BYTES) as AsyncIterable<Buffer>);
    const lines = lineRuns(bytes)[Symbol.asyncIterator]();
    try {
      // The first line says which path reads the file.
      const first = await lines.next();
      if (first.done) throw new InputError(`${path}: empty file (no header line; expected: ${CANONICAL_COLUMNS.join(',')})`);
      if (first.value === OVERLONG) throw new InputError(`${path}:1: header line longer than ${MAX_LINE_BYTES / 1048576} MiB (not a trace?); the header must be: ${CANONICAL_COLUMNS.join(',')}`);
      const run = typeof first.value === 'string' ? Buffer.from(first.value) : first.value;
      const all = prepend(run, lines);
      const rows = new CsvRowParser(path, this.diagnostics, this.devices);
      const capacity = this.options.batchCapacity;
      const fastHeader = this.options.fast === false ? null : canonicalHeaderOf(run);
      yield* fastHeader !== null ? fastBatches(rows, this, all, fastHeader.withCpu, capacity) : csvParseBatches(rows, this, all, capacity);
    } catch (e) {
      throw readError(path, e);
    }
  }
}

/** The given chunks as Buffers, with their bytes counted for `onProgress`. */
async function* sourceBytes(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, onProgress?: (bytesRead: number) => void): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of source) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += b.length;
    onProgress?.(bytes);
    yield b;
  }
}

/** `first`, then the rest of `rest`. */
async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield first;
  for (;;) {
    const n = await rest.next();
    if (n.done) return;
    yield n.value;
  }
}

const CANONICAL_HEADER_BYTES = Buffer.from(CANONICAL_HEADER + '\n');
const CANONICAL_HEADER_WITH_CPU_BYTES = Buffer.from(CANONICAL_HEADER_WITH_CPU + '\n');

/** Whether a run of lines starts with exactly the canonical header line, with or without the
 * `cpu` column (no BOM, no other columns); null when it does not. */
function canonicalHeaderOf(run: Buffer): { withCpu: boolean } | null {
  const starts = (h: Buffer) => run.length >= h.length && run.subarray(0, h.length).equals(h);
  if (starts(CANONICAL_HEADER_BYTES)) return { withCpu: false };
  if (starts(CANONICAL_HEADER_WITH_CPU_BYTES)) return { withCpu: true };
  return null;
}
