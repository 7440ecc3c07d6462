/**
 * Opens any trace for reading as canonical batches: canonical CSV as it is, raw Linux kernel
 * traces (ftrace, trace-cmd, perf script) ingested on the fly. Every command that reads traces
 * goes through here, so all of them accept both.
 *
 * A FIFO or device (`<(zcat t.csv.gz)`, /dev/stdin) can be read only once: its format is told
 * from its first bytes, kept, and the reader goes on from there with the same stream. Raw kernel
 * text needs two passes (a pre-scan for dma: events), so from such an input it is refused with a
 * line that says why, rather than waiting forever for bytes a second open will never get.
 */
import { CanonicalCsvReader, type ReadOptions } from './csv-reader.js';
import type { Diagnostics } from './diagnostics.js';
import { checkReadable, isRegularFile, readError } from './input-file.js';
import { DETECT_BYTES, detectFormat, formatOfStart, ingestToCsv, type IngestSummary } from '../ingest/ingest.js';
import { openBytes } from '../ingest/line-reader.js';
import { InputError } from '../util/errors.js';

export async function openTrace(path: string, diagnostics: Diagnostics, read?: ReadOptions): Promise<CanonicalCsvReader> {
  let options = read;
  if (!options?.source && !path.endsWith('.arrow')) {
    await checkReadable(path);
    if (!(await isRegularFile(path))) {
      options = { ...options, source: await readOnce(path, options?.onProgress) };
    } else if (!/\.csv(\.gz)?$/.test(path)) {
      const format = await detectFormat(path);
      if (format === 'ftrace' || format === 'perf') options = { ...options, source: withIngestNotes(path, diagnostics, format) };
    }
  }
  return new CanonicalCsvReader(path, diagnostics, options);
}

/**
 * Raw kernel text converted on the fly, its ingest notes (what was skipped and why, how devices
 * and directions were attributed) added to the whole-file warnings at the end: replay, inspect
 * and attack then say what `ingest` says about the same file. (Rejected lines are problems in
 * `diagnostics` already, as they are for ingest.)
 */
async function* withIngestNotes(path: string, diagnostics: Diagnostics, format: 'ftrace' | 'perf'): AsyncGenerator<string> {
  const summary = {} as IngestSummary;
  yield* ingestToCsv(path, { diagnostics, format }, summary);
  for (const note of summary.notes) diagnostics.warn(`${path}: ${note}`);
}

/** A FIFO or device as one stream: its start read to tell the format, then the rest of it. */
async function readOnce(path: string, onProgress?: (bytesRead: number) => void): Promise<AsyncIterable<Buffer>> {
  const stream = openBytes(path, onProgress, 1 << 20) as AsyncIterable<Buffer>;
  const it = stream[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let bytes = 0;
  try {
    while (bytes < DETECT_BYTES) {
      const n = await it.next();
      if (n.done) break;
      head.push(n.value);
      bytes += n.value.length;
    }
  } catch (e) {
    throw readError(path, e);
  }
  const format = await formatOfStart(head);
  if (format === 'ftrace' || format === 'perf') {
    await it.return?.();
    throw new InputError(`${path}: raw kernel trace text must be a regular file, not a FIFO or device (it is read twice); save it to a file first`);
  }
  return (async function* () {
    yield* head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  })();
}
