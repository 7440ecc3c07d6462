#!/usr/bin/env node
// One measurement of `npm run bench`, in its own process so its peak RSS is its own.
// Usage: bench-worker.mjs <kind> <file|events> [strategies] [threads]; prints one JSON line with
// the wall time, the CPU time of the process (every thread: user + system) and the peak RSS.
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { CanonicalCsvReader } from '../dist/trace/csv-reader.js';
import { Diagnostics } from '../dist/trace/diagnostics.js';
import { replayTrace } from '../dist/replay/replay.js';
import { parseStrategyList } from '../dist/strategies/index.js';
import { resolveProfileByName } from '../dist/cost/profile.js';
import { synthesize, eventLine } from '../dist/synth/index.js';
import { CANONICAL_HEADER } from '../dist/trace/canonical.js';
import { ingestToCsv } from '../dist/ingest/ingest.js';

const [kind, arg, strategies = 'all', threadsArg = '1'] = process.argv.slice(2);
const threads = Number(threadsArg);
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let cpu1 = null;
let t1 = 0n;
const stopClock = () => {
  t1 = process.hrtime.bigint();
  cpu1 = process.cpuUsage(cpu0);
};
let events = 0;

let bytes = 0;
if (kind === 'byte-scan') {
  // The floor under any reader: read the file and look at every byte once, one native scan per
  // 1 MiB chunk (indexOf of a byte no trace holds), counting bytes. (It used to call indexOf once
  // per line, which measured a per-call cost no reader pays twice.) Its `events` are the file's
  // rows, given by the caller, so that its rate compares with the readers'.
  for await (const chunk of createReadStream(arg, { highWaterMark: 1 << 20 })) {
    if (chunk.indexOf(0) >= 0) throw new Error('a NUL byte in a CSV trace');
    bytes += chunk.length;
  }
  events = Number(strategies);
} else if (kind === 'csv-parse') {
  const parser = createReadStream(arg, { highWaterMark: 1 << 20 }).pipe(parse({ from_line: 2 }));
  for await (const _ of parser) events++;
} else if (kind === 'reader') {
  const reader = new CanonicalCsvReader(arg, new Diagnostics());
  for await (const b of reader.batches()) events += b.length;
} else if (kind === 'replay') {
  const r = await replayTrace(arg, { strategies: parseStrategyList(strategies), profile: resolveProfileByName(), threads });
  events = r.rowsAccepted;
} else if (kind === 'replay-stream') {
  // A synthetic trace of `arg` events generated and replayed in one stream: no file, so memory
  // can be measured for traces far larger than the disk should hold.
  // The mixed workload writes about 2.07 rows per DMA (a disk request is one DMA of several rows).
  const maps = Math.ceil(Number(arg) / 2.066);
  async function* text() {
    let lines = [CANONICAL_HEADER];
    for (const e of synthesize('mixed', { dmas: maps, guests: 2, seed: 1 })) {
      lines.push(eventLine(e));
      if (lines.length === 8192) {
        yield Buffer.from(lines.join('\n') + '\n');
        lines = [];
      }
    }
    yield Buffer.from(lines.join('\n') + '\n');
  }
  const r = await replayTrace('stream', { strategies: parseStrategyList(strategies), profile: resolveProfileByName(), read: { source: text() } });
  events = r.rowsAccepted;
} else if (kind === 'ingest') {
  // The rate of ingest is in input lines: the output is drained, the input's lines counted after.
  for await (const _ of ingestToCsv(arg, { device: 'eth0', cls: 'net' }));
  stopClock();
  for await (const chunk of createReadStream(arg, { highWaterMark: 1 << 20 })) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) events++;
} else {
  console.error(`unknown kind ${kind}`);
  process.exit(2);
}
const seconds = Number((t1 || process.hrtime.bigint()) - t0) / 1e9;
const cpu = cpu1 ?? process.cpuUsage(cpu0);
console.log(JSON.stringify({ kind, events, bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssMB: process.resourceUsage().maxRSS / 1024 }));
