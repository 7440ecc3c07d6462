// `npm run bench -- --jobs`: issue #8's figure for `--jobs N` (whole traces or trace passes on
// worker threads): the same sweep and the same multi-trace replay with --jobs 1 and --jobs 2, and
// the machine's own ceiling for running two things at once (two separate processes started
// together, each doing half the work). Best of three each.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt } from './bench-stats.mjs';

const ROWS_PER_DMA = { 'netperf-rx': 2, 'netperf-tx': 2, 'disk-seq-read': 33, mixed: 2.066 };

const concurrently = async (argLists) => {
  const t0 = process.hrtime.bigint();
  await Promise.all(
    argLists.map(
      (args) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          child.stderr.on('data', (d) => (err += d));
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(err))));
        }),
    ),
  );
  return Number(process.hrtime.bigint() - t0) / 1e9;
};

const timed = (args) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout: r.stdout };
};

export async function runJobsComparison(traces, events) {
  const trace = traces.csv.path;
  const sweepArgs = (grid, jobs) => ['bin/run.js', 'sweep', trace, '--grid', `iotlb.entries=${grid}`, '-s', 'single-use,persistent', '--no-figures', '--jobs', String(jobs), '--json'];
  const best = (args) => Math.min(...[0, 1, 2].map(() => timed(args).seconds));
  const one = best(sweepArgs('16,32,64,128', 1));
  const two = best(sweepArgs('16,32,64,128', 2));
  const ceiling = Math.min(await concurrently([sweepArgs('16,32', 1), sweepArgs('64,128', 1)]), await concurrently([sweepArgs('16,32', 1), sweepArgs('64,128', 1)]));
  console.log(`\nsweep of 4 grid points: --jobs 1 ${fmt(one, 2)} s, --jobs 2 ${fmt(two, 2)} s (best of 3), speed-up ${fmt(one / two, 2)}x; machine ceiling (two processes, 2 points each) ${fmt(one / ceiling, 2)}x`);

  const { writeSynth } = await import('../dist/synth/index.js');
  const paths = [];
  for (const [k, w] of ['netperf-rx', 'netperf-tx', 'disk-seq-read', 'mixed'].entries()) {
    const p = join(traces.dir, `replay-${w}-${events / 4}.csv`);
    if (!existsSync(p)) {
      const out = createWriteStream(p);
      await writeSynth(out, w, { dmas: Math.ceil(events / 4 / ROWS_PER_DMA[w]), seed: 1 + k });
      await new Promise((r) => out.end(r));
    }
    paths.push(p);
  }
  const replayArgs = (jobs) => ['bin/run.js', 'replay', ...paths, '--jobs', String(jobs), '--json'];
  const runs1 = [0, 1, 2].map(() => timed(replayArgs(1)));
  const runs2 = [0, 1, 2].map(() => timed(replayArgs(2)));
  const same = [...runs1, ...runs2].every((r) => r.stdout === runs1[0].stdout);
  const r1 = Math.min(...runs1.map((r) => r.seconds));
  const r2 = Math.min(...runs2.map((r) => r.seconds));
  const half = (k) => ['bin/run.js', 'replay', ...paths.filter((_, i) => i % 2 === k), '--json'];
  const rc = Math.min(await concurrently([half(0), half(1)]), await concurrently([half(0), half(1)]));
  console.log(`replay of ${paths.length} traces (${fmt(events)} events, all strategies): --jobs 1 ${fmt(r1, 2)} s, --jobs 2 ${fmt(r2, 2)} s (best of 3), speed-up ${fmt(r1 / r2, 2)}x; output ${same ? 'identical' : 'DIFFERENT'}; machine ceiling ${fmt(r1 / rc, 2)}x`);
}
