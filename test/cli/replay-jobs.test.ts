/**
 * `replay --jobs N`: traces replayed on worker threads give byte for byte what one thread gives
 * (stdout, -o files and stderr), bad rows are still reported as file:line while the other traces
 * replay, and --strict still stops at the first bad row in input order.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { trace } from '../helpers/replay-text.js';
import { cli, scratchDir } from '../helpers/cli.js';

const { dir, file } = scratchDir('dmareplay-jobs-');

/** The first `lines` lines of a bundled trace (header included): the same kind of input, small. */
const head = (path: string, lines: number) => (path.endsWith('.gz') ? gunzipSync(readFileSync(path)) : readFileSync(path)).toString('utf8').split('\n').slice(0, lines).join('\n') + '\n';

// Traces of different sizes and kinds (plain and gzipped, net and disk, with warnings), small
// enough that six CLI runs over them stay short on a loaded machine.
const BUNDLED = [
  'traces/scenario-rx-ring8.csv',
  file('disk-seq-read-head.csv', head('traces/disk-seq-read.csv', 800)),
  'traces/scenario-two-guests-shared.csv',
  'traces/qemu-nvme-strict.csv.gz',
  file('qemu-e1000-lazy-head.csv.gz', gzipSync(head('traces/qemu-e1000-lazy.csv.gz', 800))),
  'traces/scenario-disk-qd4.csv',
];
const STRATEGIES = 'single-use,persistent,linux-lazy,shadow';

const good = file('good.csv', trace('0,0,nic0,net,map,from_device,0x2000000,2048,1,1', '10,0,nic0,net,map,from_device,0x2000800,2048,2,2', '20,0,nic0,net,unmap,,,,1,1', '40,0,nic0,net,unmap,,,,2,2'));
const bad = file(
  'bad.csv',
  trace('0,0,nic0,net,map,from_device,0xnothex,2048,1,', '5,0,nic0,net,map,from_device,0x3000,64,2,', '7,0,nic0,net,frob,from_device,0x3000,64,3,', '9,0,nic0,net,unmap,,,,2,'),
);
const bad2 = file('bad2.csv', trace('zzz,0,nic0,net,map,from_device,0x3000,64,2,', '9,0,nic0,net,unmap,,,,2,'));

// End to end over the bundled traces: minutes on a loaded machine, not the default minute.
describe('dmareplay replay --jobs', { timeout: 600_000 }, () => {
  it('--jobs 2 over several bundled traces: the same --json, -o files and stderr as --jobs 1', () => {
    const out = (jobs: number) => {
      const json = join(dir, `r${jobs}.json`);
      const csv = join(dir, `r${jobs}.csv`);
      const arrow = join(dir, `r${jobs}.arrow`);
      const a = cli('replay', ...BUNDLED, '-s', STRATEGIES, '--jobs', String(jobs), '--json', '-o', json);
      const b = cli('replay', ...BUNDLED, '-s', STRATEGIES, '-j', String(jobs), '-o', csv);
      const c = cli('replay', ...BUNDLED, '-s', STRATEGIES, '--jobs', String(jobs), '--format', 'csv', '-o', arrow);
      for (const r of [a, b, c]) expect(r.code).toBe(0);
      return {
        stdout: [a.stdout, b.stdout, c.stdout],
        stderr: [a.stderr, b.stderr, c.stderr].map((s) => s.replaceAll(`r${jobs}.`, 'r.')),
        files: [readFileSync(json), readFileSync(csv), readFileSync(arrow)],
      };
    };
    const one = out(1);
    const two = out(2);
    const json = JSON.parse(one.stdout[0]);
    expect(json.results.map((r: { trace: string }) => r.trace)).toEqual(BUNDLED.flatMap((t) => Array(4).fill(t)));
    expect(json.warnings.length).toBeGreaterThan(1); // ring overflows, live buffers: order matters too
    expect(two.stdout).toEqual(one.stdout);
    expect(two.stderr).toEqual(one.stderr);
    for (let k = 0; k < one.files.length; k++) expect(Buffer.compare(two.files[k], one.files[k])).toBe(0);
    // more threads than traces is fine
    expect(cli('replay', ...BUNDLED.slice(0, 2), '-s', STRATEGIES, '--jobs', '8', '--json').stdout).toBe(cli('replay', ...BUNDLED.slice(0, 2), '-s', STRATEGIES, '--json').stdout);
  });

  it('--jobs 2 with --threads 2 (each job spreads its strategies over two threads): the same --json and stderr as one thread', () => {
    const traces = BUNDLED.slice(0, 3);
    const plain = cli('replay', ...traces, '-s', STRATEGIES, '--json');
    const both = cli('replay', ...traces, '-s', STRATEGIES, '--jobs', '2', '--threads', '2', '--json');
    expect(plain.code).toBe(0);
    expect(both.code).toBe(0);
    expect(JSON.parse(plain.stdout).results).toHaveLength(traces.length * 4);
    expect(both.stdout).toBe(plain.stdout);
    expect(both.stderr).toBe(plain.stderr);
  });

  it('bad rows in one trace are reported as file:line, the other traces replay, exit 0, as with one thread', () => {
    const args = ['replay', good, bad, 'traces/scenario-rx-ring8.csv', bad2, '-s', 'native,single-use', '--json'];
    const r = cli(...args, '--jobs', '2');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${bad}:2: address '0xnothex' is not hex (expected 0x...)`);
    expect(r.stderr).toContain(`${bad}:4: op 'frob' is not one of map, unmap, access`);
    expect(r.stderr).toContain(`${bad2}:2: ts_ns 'zzz' is not a non-negative integer of nanoseconds`);
    expect(r.stderr).toContain(`${bad2}:3: unmap of handle 0x2 on nic0 with no live map`);
    expect(r.stderr).toContain('4 problems (rows skipped): 1 bad-address, 1 bad-op, 1 bad-timestamp, 1 unmatched-unmap');
    const out = JSON.parse(r.stdout);
    expect(out.results.map((x: { trace: string }) => x.trace)).toEqual([good, good, bad, bad, 'traces/scenario-rx-ring8.csv', 'traces/scenario-rx-ring8.csv', bad2, bad2]);
    expect(out.results[2].dmas).toBe(1);
    const seq = cli(...args, '--jobs', '1');
    expect(r.stdout).toBe(seq.stdout);
    expect(r.stderr).toBe(seq.stderr);
  });

  it('--strict stops at the first bad row in input order, whichever thread finds one first', () => {
    // the big trace first keeps one thread busy while the other meets bad2 (later in input order) and bad
    const r = cli('replay', 'traces/disk-seq-read.csv', bad, bad2, good, '-s', 'native', '--strict', '--jobs', '2');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${bad}:2: address '0xnothex' is not hex (expected 0x...)`);
    const s = cli('replay', good, bad2, bad, '-s', 'native', '--strict', '--jobs', '3');
    expect(s.code).toBe(1);
    expect(s.stderr.trim()).toBe(`error: ${bad2}:2: ts_ns 'zzz' is not a non-negative integer of nanoseconds`);
  });

  it('a missing trace fails the run (exit 1) while the others replay', () => {
    const missing = join(dir, 'missing.csv');
    const r = cli('replay', good, missing, 'traces/scenario-rx-ring8.csv', '-s', 'native', '--json', '--jobs', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${missing}: no such file`);
    expect(JSON.parse(r.stdout).results.map((x: { trace: string }) => x.trace)).toEqual([good, 'traces/scenario-rx-ring8.csv']);
  });

  it('--jobs must be a whole number, 1 or more: one line, exit 2', () => {
    for (const v of ['0', '-2', '1.5', 'two', '']) {
      const r = cli('replay', good, `--jobs=${v}`);
      expect(r.code, v).toBe(2);
      expect(r.stderr.trim()).toMatch(new RegExp(`^error: --jobs '${v.replace('.', '\\.')}': expected a whole number of worker threads, 1 or more \\(this machine has \\d+ cores\\)$`));
    }
    expect(cli('replay', '--help').stdout).toMatch(/-j, --jobs=N\s+\[default: 1\] traces replayed at a time/);
  });
});
