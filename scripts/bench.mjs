#!/usr/bin/env node
// `npm run bench`: speed and memory of reading and replaying, printed as tables beside the
// targets of issue #17 (never asserted in tests: these machines are shared and noisy).
//
//   npm run bench -- [--rounds N] [--1e8] [--jobs] [--no-per-strategy]
//   --rounds N          measured rounds after the warm-up round (default 3, at least 3)
//   --1e8               also stream 10^8 events through all strategies (minutes; the memory target)
//   --jobs              also time `sweep`/`replay --jobs 1` against `--jobs 2` (issue #8's figure)
//   --no-per-strategy   skip scripts/bench-strategies.mjs (each strategy's consume() alone)
//   BENCH_EVENTS        events in the file-based trace (default 2,000,000)
//   BENCH_STREAM        comma-separated event counts to stream instead (default 10^7)
//
// How it measures: every row is a child process (scripts/bench-worker.mjs) so its peak RSS is
// its own; each reports wall time and CPU time (all threads, user + system). A warm-up round runs
// every row once (page cache, disk, CPU frequency) and is printed apart; then N rounds run every
// row again, interleaved, and the tables give min and median. Ratios (x byte scan, --threads 2
// against 1) are computed within each round. The trace files are checked by content hash
// (bench-traces.mjs). `uptime` is printed before and after: on a loaded machine wall times
// say more about the neighbours than about the code, CPU times less so.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, cpus } from 'node:os';
import { benchTraces } from './bench-traces.mjs';
import { fmt, median, min, perRound, printTable } from './bench-stats.mjs';
import { runJobsComparison } from './bench-jobs.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const ROUNDS = Math.max(3, Number(argv[argv.indexOf('--rounds') + 1]) || 3);
const N = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const STREAMS = process.env.BENCH_STREAM ? process.env.BENCH_STREAM.split(',').map(Number) : flag('--1e8') ? [10_000_000, 100_000_000] : [10_000_000];
const { STRATEGY_IDS } = await import('../dist/strategies/index.js');
const OTHERS = STRATEGY_IDS.filter((id) => id !== 'native');
const ALL = STRATEGY_IDS.length;

const uptime = () => `load average ${loadavg().map((x) => x.toFixed(2)).join(', ')} on ${availableParallelism()} cores`;
const loadBefore = uptime();
const traces = await benchTraces(N);
const { csv, arrow, raw } = traces;

/** One measurement in a child process: { events, seconds, cpuSeconds, rssMB }. */
function worker(kind, arg, strategies, threads) {
  const args = ['scripts/bench-worker.mjs', kind, String(arg), ...(strategies !== undefined ? [String(strategies)] : []), ...(threads ? [String(threads)] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${kind} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** `dmareplay replay` itself, start-up and output included, timed by /usr/bin/time when present
 * (for the child's CPU time and peak RSS). */
function cliReplay(path) {
  const args = ['bin/run.js', 'replay', path, '--json'];
  const timed = existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = timed
    ? spawnSync('/usr/bin/time', ['-f', 'BENCH %e %U %S %M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`dmareplay replay failed: ${r.stderr}`);
  const events = csv.rows; // every row of the bench trace is accepted (the reader rows say so)
  const m = timed ? r.stderr.split('\n').find((l) => l.startsWith('BENCH ')) : null;
  if (!m) return { events, seconds, cpuSeconds: NaN, rssMB: NaN };
  const [, , user, sys, rssKB] = m.split(' ').map(Number);
  return { events, seconds, cpuSeconds: user + sys, rssMB: rssKB / 1024 };
}

// The rows: [id, label, strategies counted, measure].
const ROWS = [
  ['scan', 'bare byte scan (indexOf over 1 MiB chunks, bytes counted)', 0, () => worker('byte-scan', csv.path, csv.rows)],
  ['csv-parse', 'csv-parse alone (arrays)', 0, () => worker('csv-parse', csv.path)],
  ['reader', 'CSV reader (one-pass scanner)', 0, () => worker('reader', csv.path)],
  ['csv-native', 'CSV replay, native only', 1, () => worker('replay', csv.path, 'native')],
  ['csv-all-1', `CSV replay, all ${ALL} strategies, --threads 1`, ALL, () => worker('replay', csv.path, 'all', 1)],
  ['csv-all-2', `CSV replay, all ${ALL} strategies, --threads 2`, ALL, () => worker('replay', csv.path, 'all', 2)],
  ['cli', `dmareplay replay <csv> --json (whole command, start-up included)`, ALL, () => cliReplay(csv.path)],
  ['arrow-reader', 'Arrow reader', 0, () => worker('reader', arrow.path)],
  ['arrow-native', 'Arrow replay, native only', 1, () => worker('replay', arrow.path, 'native')],
  ...OTHERS.map((id) => [`arrow-${id}`, `Arrow replay, native + ${id}`, 2, () => worker('replay', arrow.path, `native,${id}`)]),
  ['arrow-all', `Arrow replay, all ${ALL} strategies`, ALL, () => worker('replay', arrow.path, 'all')],
  ['ingest', 'ingest of ftrace text, iommu: only (lines)', 0, () => worker('ingest', raw.iommu.path)],
  ['ingest-dma', 'ingest of ftrace text, dma: + iommu: (lines)', 0, () => worker('ingest', raw.dma.path)],
];

const rounds = [];
for (let round = 0; round <= ROUNDS; round++) {
  process.stderr.write(`${round === 0 ? 'warm-up round' : `round ${round}/${ROUNDS}`} (${uptime()}) ...\n`);
  const r = {};
  for (const [id, , , measure] of ROWS) r[id] = measure();
  rounds.push(r);
}
const [warmup, ...measured] = rounds;
const loadAfter = uptime();

console.log(`trace: ${csv.path} (${fmt(statSync(csv.path).size / 1e6, 1)} MB, ${fmt(csv.rows)} rows, sha256 ${csv.sha256.slice(0, 16)}); Arrow copy sha256 ${arrow.sha256.slice(0, 16)}`);
console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; ${loadBefore} before, ${loadAfter} after`);
console.log(`\nwarm-up round (not in the figures below)`);
printTable([['row', 'wall s', 'CPU s'], ...ROWS.map(([id, label]) => [label, fmt(warmup[id].seconds, 2), fmt(warmup[id].cpuSeconds, 2)])]);

console.log(`\n${ROUNDS} measured rounds: min and median; events/s from wall time (and from CPU time); x byte scan = wall time / the same round's byte scan`);
const head = ['row', 'events', 'strat.', 'wall s min', 'median', 'CPU s min', 'median', 'events/s (min wall)', '(median wall)', 'events/CPU-s', 'x byte scan min', 'median', 'peak RSS MB'];
const table = [head];
const stat = {};
for (const [id, label, strategies] of ROWS) {
  const xs = measured.map((r) => r[id]);
  const wall = xs.map((m) => m.seconds);
  const cpu = xs.map((m) => m.cpuSeconds);
  const events = xs[0].events;
  const ratio = perRound(measured, id, 'scan');
  stat[id] = { events, wallMin: min(wall), wallMedian: median(wall), cpuMin: min(cpu), rate: events / min(wall), rateMedian: events / median(wall), cpuRate: events / min(cpu), rss: Math.max(...xs.map((m) => m.rssMB)) };
  table.push([label, fmt(events), String(strategies), fmt(min(wall), 2), fmt(median(wall), 2), fmt(min(cpu), 2), fmt(median(cpu), 2), fmt(stat[id].rate), fmt(stat[id].rateMedian), fmt(stat[id].cpuRate), fmt(min(ratio), 2), fmt(median(ratio), 2), fmt(stat[id].rss)]);
}
printTable(table);
console.log(`byte scan: ${fmt(csv.rows ? statSync(csv.path).size / 1e6 / stat.scan.wallMin : 0)} MB/s at best`);

// Memory: synthetic traces generated and replayed in one stream (generation is in the time).
const streams = [];
for (const n of STREAMS) {
  process.stderr.write(`streaming ${fmt(n)} events through all strategies ...\n`);
  const m = worker('replay-stream', n, 'all');
  streams.push(m);
  console.log(`streamed replay of ${fmt(m.events)} events (generated in-process), all ${ALL} strategies: ${fmt(m.seconds, 1)} s wall, ${fmt(m.cpuSeconds, 1)} s CPU, ${fmt(m.events / m.seconds)} events/s, peak RSS ${fmt(m.rssMB)} MB`);
}

// Each strategy's consume() alone over pre-read batches (scripts/bench-strategies.mjs).
const perStrategy = new URL('./bench-strategies.mjs', import.meta.url);
let consume = null;
if (!flag('--no-per-strategy') && existsSync(perStrategy)) {
  console.log(`\nper strategy: consume() alone over the Arrow trace read and paired once (scripts/bench-strategies.mjs, 5 interleaved rounds, min):`);
  const r = spawnSync(process.execPath, [perStrategy.pathname, arrow.path, '--json', '--rounds', '5'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) console.log(`  failed: ${r.stderr.split('\n')[0]}`);
  else {
    consume = JSON.parse(r.stdout);
    printTable([['strategy', 'wall ms', 'CPU ms', 'ns/event (CPU)', 'counters'], ...consume.rows.map((row) => [row.id, fmt(row.ms), fmt(row.cpuMs), fmt((row.cpuMs * 1e6) / consume.events), row.hash])]);
  }
}

// The targets of issue #17, beside what this run measured.
const threadRatios = perRound(measured, 'csv-all-1', 'csv-all-2');
const singles = OTHERS.map((id) => [id, stat[`arrow-${id}`].rate]).sort((a, b) => a[1] - b[1]);
const verdict = (ok) => (ok ? 'met' : 'NOT met');
const M = (x) => `${fmt(x / 1e6, 2)} M`;
console.log(`\ntargets of issue #17 (from -> target: measured, best round; median in brackets)`);
const all1 = stat['csv-all-1'];
console.log(`  all strategies from CSV, one thread: 0.95 -> >= 1.6 M events/s: ${M(all1.rate)} (${M(all1.rateMedian)}; ${M(all1.cpuRate)} per CPU-second) ${verdict(all1.rate >= 1.6e6)}`);
console.log(`  Arrow, native + any one strategy: 2.9-3.8 -> >= 4.5 M events/s: slowest ${singles[0][0]} ${M(singles[0][1])}, fastest ${singles.at(-1)[0]} ${M(singles.at(-1)[1])}; ${singles.filter(([, r]) => r >= 4.5e6).length} of ${singles.length} at >= 4.5 M ${verdict(singles[0][1] >= 4.5e6)}`);
console.log(`  --threads 2, all strategies from CSV: >= 1.15x --threads 1: ${fmt(min(threadRatios), 2)}-${fmt(Math.max(...threadRatios), 2)}x per round, median ${fmt(median(threadRatios), 2)}x ${verdict(median(threadRatios) >= 1.15)}`);
if (consume) {
  const ms = (id) => consume.rows.find((row) => row.id === id)?.ms ?? NaN;
  const per2M = (x) => (x * 2e6) / consume.events; // the targets are per 2 M events
  const one = (id, target) => `${id} ${fmt(per2M(ms(id)))} ms (<= ${target}) ${verdict(per2M(ms(id)) <= target)}`;
  console.log(`  consume per 2 M events, wall, min of rounds: ${one('single-use', 110)}; ${one('linux-strict', 130)}; ${one('linux-lazy', 150)}; ${one('shared', 130)}`);
  const sum = consume.rows.reduce((t, row) => t + row.ms, 0); // native included, as in the 1,271
  console.log(`  sum of all strategies' consume: 1,271 -> <= 800 ms: ${fmt(per2M(sum))} ms ${verdict(per2M(sum) <= 800)}`);
}
const big = streams.find((m) => m.events >= 1e8);
console.log(`  peak RSS, 10^8 events, all strategies: < 300 MB: ${big ? `${fmt(big.rssMB)} MB ${verdict(big.rssMB < 300)}` : `not run (--1e8); ${fmt(streams[0].events)} events: ${fmt(streams[0].rssMB)} MB`}`);
console.log(`  (machine: ${loadBefore} before, ${loadAfter} after: with the load above the core count, wall times and the threads ratio are the neighbours' as much as ours)`);

if (flag('--jobs')) await runJobsComparison(traces, N);
