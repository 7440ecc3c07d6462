/**
 * Time and memory follow the work a trace describes, not what a small hostile file can ask for
 * (issue 16). Each case runs the CLI in a child with a generous time limit (hang detection only:
 * on a loaded 2-core machine every one of them takes a few seconds) and checks the peak RSS the
 * child measured itself. Values no run needs (a 10^8-point grid, an IOTLB of 2^30 entries, task
 * number 1e15) are usage errors that say what the limit is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cliChild, scratchDir, stackTraceLines } from '../helpers/cli.js';
import { canonicalRows, ftraceText } from '../helpers/kernel-text.js';
import { CANONICAL_HEADER } from '../../src/trace/canonical.js';

const scratch = scratchDir('dmareplay-limits-');
afterAll(() => scratch.remove());
const { dir, file } = scratch;

/** 50 MB with no line end: compressed, 50 KB on disk. */
const LONG_LINE = 'x'.repeat(50 << 20);

/** Runs the CLI; asserts no hang and no stack trace, and returns the run. */
async function run(args: string[], limitMb = 300) {
  const r = await cliChild(args, { timeoutMs: 60_000 });
  expect(r.timedOut, `${args.join(' ')} hung`).toBe(false);
  expect(stackTraceLines(r.stdout + r.stderr)).toEqual([]);
  expect(r.maxRssMb, `${args.join(' ')}: peak RSS`).toBeLessThan(limitMb);
  return r;
}

describe('a line with no end costs a pass over its bytes, and is reported', () => {
  it('given a .csv.gz with a 50 MB line between two DMAs, then replay reports line 4 and replays both DMAs', async () => {
    const rows = canonicalRows(2);
    const t = file('long.csv.gz', gzipSync([CANONICAL_HEADER, rows[0], rows[1], LONG_LINE, rows[2], rows[3]].join('\n') + '\n'));
    const r = await run(['replay', t, '-s', 'native', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(`${t}:4: line longer than 1 MiB: skipped up to its end`);
    expect(JSON.parse(r.stdout).results[0].dmas).toBe(2);
  });

  it('given the same line on the csv-parse path (a BOM before the header), then the same report', async () => {
    const rows = canonicalRows(2);
    const t = file('long-bom.csv.gz', gzipSync(['\ufeff' + CANONICAL_HEADER, rows[0], rows[1], LONG_LINE, rows[2], rows[3]].join('\n') + '\n'));
    const r = await run(['replay', t, '-s', 'native', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(`${t}:4: line longer than 1 MiB: skipped up to its end`);
    expect(JSON.parse(r.stdout).results[0].dmas).toBe(2);
  });

  it('given raw kernel text with a 50 MB line after its first event, then ingest reports it and keeps the events after it', async () => {
    const lines = ftraceText(3).split('\n');
    const t = file('long.txt.gz', gzipSync([...lines.slice(0, 4), LONG_LINE, ...lines.slice(4)].join('\n')));
    const out = join(dir, 'long-ingested.csv');
    const r = await run(['ingest', t, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(`${t}:5: line longer than 1 MiB: skipped up to its end`);
    expect(readFileSync(out, 'utf8').trim().split('\n').length).toBe(1 + 6);
  });

  it('given a .txt.gz that is one 50 MB line, then inspect says it is no trace, in one line', async () => {
    const t = file('oneline.txt.gz', gzipSync(LONG_LINE));
    const r = await run(['inspect', t]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${t}:1: header line longer than 1 MiB (not a trace?); the header must be: ${CANONICAL_HEADER}\n`);
  });

  const devZero: [string, string[], string][] = [
    ['inspect', ['inspect', '/dev/zero'], `error: /dev/zero:1: header line longer than 1 MiB (not a trace?); the header must be: ${CANONICAL_HEADER}\n`],
    ['ingest', ['ingest', '/dev/zero', '-o', join(dir, 'zero.csv')], 'error: /dev/zero: not a recognized trace (expected canonical CSV, ftrace/trace-cmd text or perf script output with iommu:/dma: events)\n'],
  ];
  for (const [name, argv, line] of devZero) {
    it(`given ${name} of /dev/zero, then one line, exit 1, in bounded memory`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(line);
    });
  }
});

describe('direct-map sets up what the trace touches', () => {
  it('given a valid 1,024-guest trace (one DMA each), then replay -s direct-map stays under 300 MB and counts each guest\'s 1 GiB as set up', async () => {
    const rows: string[] = [];
    for (let g = 0; g < 1024; g++) rows.push(`${g * 10},${g},nic${g},net,map,from_device,0x200000,2048,1,`, `${g * 10 + 5},${g},nic${g},net,unmap,,,,1,`);
    const t = file('guests.csv', [CANONICAL_HEADER, ...rows].join('\n') + '\n');
    const r = await run(['replay', t, '-s', 'direct-map', '--json']);
    expect(r.code).toBe(0);
    const dm = JSON.parse(r.stdout).results[0];
    // Per guest, as a full mapping writes them: 262,144 4 KiB leaves and 514 tables linked in.
    expect(dm.setup.pt_updates).toBe(1024 * 262_658);
    expect(dm.mappings.peak).toBe(1024 * 262_144);
    expect([dm.dmas, dm.faults]).toEqual([1024, 0]);
  });
});

describe('values no run needs are usage errors naming the limit', () => {
  const trace = () => file('small.csv', [CANONICAL_HEADER, ...canonicalRows(4)].join('\n') + '\n');

  it('given a sweep grid of 102,400,000 points, then exit 2 at once', async () => {
    const values = Array.from({ length: 40 }, (_, i) => i).join(',');
    const keys = ['driver.map_cycles', 'driver.unmap_cycles', 'hypercall.cycles', 'validate.page_cycles', 'refcount.update_cycles'];
    const r = await run(['sweep', trace(), '--no-figures', ...keys.flatMap((k) => ['--grid', `${k}=${values}`])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --grid: 102,400,000 grid points x 1 trace = 102,400,000 runs; at most 100,000 (split the sweep)\n');
  });

  const sets: [string, string][] = [
    ['iotlb.entries=1073741824', "error: --set 'iotlb.entries' must be <= 65536 (entries)\n"],
    ['guest.memory_mib=4194304', "error: --set 'guest.memory_mib' must be <= 1048576 (MiB)\n"],
    ['linux.fq_size=1e15', "error: --set 'linux.fq_size' must be <= 65536 (entries)\n"],
  ];
  for (const [set, line] of sets) {
    it(`given --set ${set}, then exit 2`, async () => {
      const r = await run(['replay', trace(), '--set', set]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(line);
    });
  }

  it('given a profile file with iotlb.entries 2^30, then exit 1 naming the file', async () => {
    const profile = JSON.parse(readFileSync('src/cost/profiles/xen-2008.json', 'utf8'));
    profile.params['iotlb.entries'].value = 2 ** 30;
    const p = file('big-iotlb.json', JSON.stringify(profile));
    const r = await run(['replay', trace(), '-p', p]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${p}: 'iotlb.entries' must be <= 65536 (entries)\n`);
  });

  it('given -p /dev/zero, then one line, exit 1', async () => {
    const r = await run(['replay', trace(), '-p', '/dev/zero']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: /dev/zero: too long for a profile file (more than 1 MiB)\n');
  });

  it('given a merge shard with task 1e15, then exit 1 naming the file and the limit', async () => {
    const s = file('task-huge.csv', 'task,trace,strategy,profile\n1000000000000000,t.csv,native,xen-2008\n');
    const r = await run(['merge', s, '-o', join(dir, 'merged.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${s}: task '1000000000000000' is not a whole number in 0..2147483647\n`);
  });

  it('given merge shards whose tasks leave 29,999,999 missing, then one short warning line and the count in --json', async () => {
    const s = file('task-gap.csv', 'task,trace,strategy,profile\n0,t.csv,native,xen-2008\n30000000,t.csv,native,xen-2008\n');
    const out = join(dir, 'gap.csv');
    const r = await run(['merge', s, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('warning: 29,999,999 tasks missing from the inputs (a shard\'s output?): 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 and 29,999,979 more');
    const j = await run(['merge', s, '-o', out, '--json']);
    const summary = JSON.parse(j.stdout);
    expect(summary.missing_task_count).toBe(29_999_999);
    expect(summary.missing_tasks.length).toBe(1000);
  });

  it('given --jobs 1000 for 40 traces, then at most one thread per core: memory of that many, not of 40', async () => {
    const t = trace();
    const cores = availableParallelism();
    const r = await run(['replay', ...Array.from({ length: 40 }, () => t), '-s', 'native', '--jobs', '1000'], 300 + 100 * (Math.min(cores, 40) - 1));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('200,000 devices', () => {
  it('given a trace of 200,000 devices, then inspect lists them all (no stack overflow, no quadratic lookup)', async () => {
    const rows: string[] = [];
    for (let d = 0; d < 200_000; d++) rows.push(`${d},0,d${d},net,map,from_device,0x${(0x200000 + d * 0x1000).toString(16)},64,${d + 1},`);
    const t = file('devices.csv', [CANONICAL_HEADER, ...rows].join('\n') + '\n');
    const r = await run(['inspect', t], 600);
    expect(r.code).toBe(0);
    const table = r.stdout.split('\n').filter((l) => /^d\d+\s+net\s/.test(l));
    expect(table.length).toBe(200_000);
  });
});
