/**
 * Scenarios for the contract's promises on failure and on stderr (DESIGN section 6): an error is
 * ONE line, `error: ...`, naming the file; exit codes 0 ok, 1 failure, 2 usage; progress only on
 * a terminal. Each runs the built CLI as a user would, with stderr a pipe (not a terminal).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, scratchDir } from '../helpers/cli.js';

const { dir } = scratchDir('dmareplay-errors-');
const TRACE = 'traces/scenario-disk-sg.csv';
/** A regular file: any path under it cannot be written, even by root. */
const notADir = join(dir, 'plain-file');
writeFileSync(notADir, 'not a directory\n');

describe('a bad command line: one line naming the problem and the help, exit 2', () => {
  const cases: { name: string; argv: string[]; line: string }[] = [
    { name: 'no trace given', argv: ['replay'], line: 'error: missing 1 required argument: TRACES; see dmareplay replay --help' },
    { name: 'an unknown flag', argv: ['replay', TRACE, '--bogus'], line: 'error: nonexistent flag: --bogus; see dmareplay replay --help' },
    { name: 'a value outside the options', argv: ['replay', TRACE, '--format', 'yaml'], line: 'error: expected --format=yaml to be one of: text, csv, json, markdown; see dmareplay replay --help' },
    { name: 'a required flag missing', argv: ['sweep', TRACE], line: 'error: missing required flag --grid; see dmareplay sweep --help' },
    { name: 'an integer below its minimum', argv: ['attack', '--samples', '0'], line: 'error: --samples: expected an integer greater than or equal to 1 but received: 0; see dmareplay attack --help' },
    { name: 'an extra argument', argv: ['inspect', TRACE, 'other.csv'], line: 'error: unexpected argument: other.csv; see dmareplay inspect --help' },
  ];
  for (const c of cases) {
    it(`given ${c.name} (${c.argv.join(' ')}), then exactly that line on stderr, nothing on stdout`, () => {
      const r = cli(...c.argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`${c.line}\n`);
      expect(r.stdout).toBe('');
    });
  }

  it('given --json, then the error is the JSON error object on stdout', () => {
    const r = cli('sweep', TRACE, '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { kind: 'usage', message: 'missing required flag --grid; see dmareplay sweep --help', file: null } });
    expect(r.stderr).toBe('');
  });
});

describe('an output that cannot be written: one line naming the path, exit 1', () => {
  const cases: { name: string; argv: (bad: string) => string[]; target: (bad: string) => string }[] = [
    { name: 'replay -o', argv: (bad) => ['replay', TRACE, '-s', 'native', '-o', join(bad, 'x.json')], target: (bad) => join(bad, 'x.json') },
    { name: 'sweep -o', argv: (bad) => ['sweep', TRACE, '-s', 'native', '--grid', 'iotlb.entries=8', '--no-figures', '-o', join(bad, 'x.csv')], target: (bad) => join(bad, 'x.csv') },
    { name: 'sweep --figures-dir', argv: (bad) => ['sweep', TRACE, '-s', 'native', '--grid', 'iotlb.entries=8,16', '--figures-dir', join(bad, 'figs')], target: (bad) => join(bad, 'figs') },
    { name: 'attack --figures-dir', argv: (bad) => ['attack', '--trace', TRACE, '-s', 'native', '--samples', '1', '--figures-dir', join(bad, 'figs')], target: (bad) => join(bad, 'figs') },
    { name: 'figures -o', argv: (bad) => ['figures', TRACE, '-o', join(bad, 'figs')], target: (bad) => join(bad, 'figs') },
    { name: 'ingest -o (CSV)', argv: (bad) => ['ingest', 'test/fixtures/kernel/perf-script.txt', '-o', join(bad, 'x.csv')], target: (bad) => join(bad, 'x.csv') },
    { name: 'ingest -o (Arrow)', argv: (bad) => ['ingest', 'test/fixtures/kernel/perf-script.txt', '-o', join(bad, 'x.arrow')], target: (bad) => join(bad, 'x.arrow') },
    { name: 'ingest -o DIR (several inputs)', argv: (bad) => ['ingest', 'test/fixtures/kernel/perf-script.txt', 'test/fixtures/kernel/ftrace-iommu.txt', '--device', 'eth0', '-o', join(bad, 'out')], target: (bad) => join(bad, 'out') },
    { name: 'synth -o', argv: (bad) => ['synth', 'netperf-rx', '--dmas', '10', '-o', join(bad, 'x.csv')], target: (bad) => join(bad, 'x.csv') },
  ];
  for (const c of cases) {
    it(`given ${c.name} under a plain file, then one line: <path>: cannot write (a parent is not a directory)`, () => {
      const r = cli(...c.argv(notADir));
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('error') || l.startsWith(' ') || /^\s*Code:/.test(l))).toEqual([`error: ${c.target(notADir)}: cannot write (a parent is not a directory)`]);
    });
  }

  it('given replay -o in a directory that does not exist, then "no such directory"', () => {
    const target = join(dir, 'no-such-dir', 'x.json');
    const r = cli('replay', TRACE, '-s', 'native', '-o', target);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${target}: cannot write (no such directory)\n`);
  });

  it('given synth -o naming a directory, then "it is a directory" (no crash from the stream)', () => {
    const r = cli('synth', 'netperf-rx', '--dmas', '10', '-o', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${dir}: cannot write (it is a directory)\n`);
  });
});

describe('figures with a trace that does not exist', () => {
  it('given only a missing trace, then one line naming it, exit 1, and no output directory', () => {
    const out = join(dir, 'figs-missing');
    const r = cli('figures', 'nope.csv', '-o', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: nope.csv: no such file\n');
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('given a missing results file, then one line naming it, exit 1', () => {
    const r = cli('figures', 'nope.json', '-o', join(dir, 'figs-missing-json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: nope.json: no such file\n');
  });
});

describe('figures with a trace whose rows are all rejected', () => {
  const allBad = join(dir, 'all-bad.csv');
  writeFileSync(allBad, 'ts_ns,guest,device,class,op,dir,addr,len,handle,unit\n0,0,nic0,net,map,from_device,0xzz,2048,1,\n');

  it('given only that trace, then one line naming it and its first problem, exit 1, and no output directory', () => {
    const out = join(dir, 'figs-all-bad');
    const r = cli('figures', allBad, '-o', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${allBad}: no DMA to plot (every row was rejected; first: line 2: address '0xzz' is not hex (expected 0x...))\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('given it beside a good trace, then the figures of the good one, its rows reported as file:line, exit 1', () => {
    const out = join(dir, 'figs-half-bad');
    const r = cli('figures', allBad, TRACE, '-o', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [`${allBad}:2: address '0xzz' is not hex (expected 0x...)`, '1 problem (rows skipped): 1 bad-address', `error: ${allBad}: no DMA to plot (every row was rejected; first: line 2: address '0xzz' is not hex (expected 0x...))`, ''].join('\n'),
    );
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
});

describe('progress only on a terminal', () => {
  it('given figures with stderr not a terminal, then no "replaying..." step lines on stderr', () => {
    const out = join(dir, 'figs-quiet');
    const r = cli('figures', TRACE, '-o', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`report: ${join(out, 'report.html')}`);
  });
});

describe('diff with a metric undefined for a strategy', () => {
  it('given iotlb_miss_rate for native vs software, then "-" in every column, never NaN', () => {
    const r = cli('diff', 'native', 'software', '--trace', 'traces/netperf-rx.csv', '-m', 'iotlb_miss_rate');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('NaN');
    const rows = r.stdout.trim().split('\n').slice(3);
    expect(rows.map((l) => l.split(/\s+/))).toEqual([
      ['traces/netperf-rx.csv', 'iotlb_miss_rate', '-', '-', '-', '-', '-'],
      ['overall', 'iotlb_miss_rate', '-', '-', '-', '-', '-'],
    ]);
  });

  it('given --json, then null for the undefined values', () => {
    const r = cli('diff', 'native', 'software', '--trace', 'traces/netperf-rx.csv', '-m', 'iotlb_miss_rate', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows[0]).toEqual({ trace: 'traces/netperf-rx.csv', metric: 'iotlb_miss_rate', a: null, b: null, delta: null, ratio: null, worse_pct: null });
  });

  it('given an unknown strategy, then the valid choices do not include "all"', () => {
    const r = cli('diff', 'native', 'softwar', '--trace', 'traces/netperf-rx.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown strategy 'softwar' (did you mean 'software'?); valid: native, direct-map, single-use, shared, persistent, software, linux-strict, linux-lazy, shadow, fands\n");
  });

  it('given "all" as a strategy, then a usage error: diff compares two single strategies', () => {
    const r = cli('diff', 'native', 'all', '--trace', 'traces/netperf-rx.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown strategy 'all'; diff compares two single strategies; valid: native, direct-map, single-use, shared, persistent, software, linux-strict, linux-lazy, shadow, fands\n");
  });
});

describe('help and text output', () => {
  it('given --help of a command with --set, then no empty [default: ]', () => {
    for (const cmd of ['replay', 'sweep', 'attack', 'figures', 'diff', 'synth']) {
      const r = cli(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('[default: ]');
    }
  });

  it('given a trace with one map and one unmap, then inspect says "1 DMA mapped, 1 unmap"', () => {
    const one = join(dir, 'one.csv');
    mkdirSync(dir, { recursive: true });
    writeFileSync(one, 'ts_ns,guest,device,class,op,dir,addr,len,handle,unit\n0,0,nic0,net,map,from_device,0x2000,2048,1,\n10,0,nic0,net,unmap,,,,1,\n');
    const r = cli('inspect', one);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  events        2 (1 DMA mapped, 1 unmap, 0 accesses) from 2 rows');
    expect(r.stdout).toContain('  buffers       1 page mapped, 0 DMAs span several pages');
  });

  it('given replay with no IOTLB for any selected strategy, then its "-" cells are right-aligned', () => {
    const r = cli('replay', 'traces/netperf-rx.csv', '-s', 'native,software');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    const header = lines[1];
    const end = header.indexOf('IOTLB miss') + 'IOTLB miss'.length;
    for (const row of lines.slice(3)) expect(row.slice(end - 1, end)).toBe('-');
  });
});
