/**
 * diff of two runs whose rows do not match one to one (issue 15, "Comparing runs"): xen-2008
 * against modern-vtd, a strict capture against a lazy one, runs of different strategies, sweeps.
 * Rows pair by a key (--by, default the fields that vary within a file), sides are named with
 * --label, rows on one side only are listed, and settings that differ are named one per line.
 * Before, every such diff compared nothing (or failed inside arquero).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';

const RX = 'traces/scenario-rx-recycle.csv';
const TX = 'traces/scenario-tx-pool.csv';
let dir = '';
const at = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dmareplay-diff-runs-'));
  expect(cli('replay', RX, TX, '-o', at('xen.json')).code).toBe(0);
  expect(cli('replay', RX, TX, '-p', 'modern-vtd', '--set', 'iotlb.entries=128', '-o', at('vtd.json')).code).toBe(0);
  expect(cli('replay', RX, TX, '-p', 'modern-vtd', '-s', 'native,linux-strict,fands', '-o', at('vtd-few.csv')).code).toBe(0);
  expect(cli('replay', 'traces/qemu612-e1000-strict.csv.gz', '-p', 'modern-vtd', '-s', 'native,linux-strict,linux-lazy', '-o', at('strict.json')).code).toBe(0);
  expect(cli('replay', 'traces/qemu612-e1000-lazy.csv.gz', '-p', 'modern-vtd', '-s', 'native,linux-strict,linux-lazy', '-o', at('lazy.arrow')).code).toBe(0);
  expect(cli('sweep', RX, '-s', 'native,persistent', '-g', 'iotlb.entries=8,16', '--no-figures', '-o', at('sweep8.json')).code).toBe(0);
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('diff of two runs whose rows differ in profile or trace', () => {
  it('given xen-2008 against modern-vtd results of the same traces, then every trace x strategy is compared and nothing is left over', () => {
    const r = cli('diff', at('xen.json'), at('vtd.json'), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.by).toEqual(['trace', 'strategy']);
    expect(out.only_a).toEqual([]);
    expect(out.only_b).toEqual([]);
    const cycles = out.rows.filter((x: { metric: string }) => x.metric === 'cycles_per_dma').map((x: { trace: string }) => x.trace);
    expect(cycles).toHaveLength(2 * 10 + 1);
    expect(cycles).toContain('scenario-rx-recycle.csv single-use');
    expect(cycles.at(-1)).toBe('overall');
  });

  it('given a strict capture against a lazy one, then rows pair by strategy', () => {
    const r = cli('diff', at('strict.json'), at('lazy.arrow'), '--json', '-m', 'invalidations_per_dma');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.by).toEqual(['strategy']);
    expect(out.rows.map((x: { trace: string }) => x.trace)).toEqual(['native', 'linux-strict', 'linux-lazy', 'overall']);
    expect(out.rows.every((x: { a: number | null; b: number | null }) => x.a !== null && x.b !== null)).toBe(true);
  });

  it('given --label xen,vtd, then the sides are named so in the header and the columns', () => {
    const r = cli('diff', at('xen.json'), at('vtd.json'), '--label', 'xen,vtd', '-m', 'cycles_per_dma');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`xen = ${at('xen.json')}, vtd = ${at('vtd.json')}; rows paired by trace, strategy`);
    expect(lines.find((l) => l.startsWith('row'))!.split(/\s{2,}/)).toEqual(['row', 'metric', 'xen', 'vtd', 'vtd-xen', 'vtd/xen', 'worse %']);
  });

  it('given runs of different strategies, then the rows one side lacks are listed under its label', () => {
    const r = cli('diff', at('vtd.json'), at('vtd-few.csv'), '--label', 'all,few', '-m', 'cycles_per_dma');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('only in all: scenario-rx-recycle.csv shadow');
    expect(r.stdout).not.toContain('only in few');
    const json = JSON.parse(cli('diff', at('vtd.json'), at('vtd-few.csv'), '--json').stdout);
    expect(json.only_a).toHaveLength(2 * 7);
    expect(json.labels).toEqual(['A', 'B']);
  });

  it('given --by strategy for two traces, then a usage error naming the file and the rows it cannot tell apart', () => {
    const r = cli('diff', at('xen.json'), at('vtd.json'), '--by', 'strategy');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${at('xen.json')}: 2 rows have the key 'native': --by strategy does not tell them apart; add one of trace, profile\n`);
    const j = cli('diff', at('xen.json'), at('vtd.json'), '--by', 'strategy', '--json');
    expect(JSON.parse(j.stdout).error).toMatchObject({ kind: 'usage', file: at('xen.json') });
  });

  it('given --by a field results do not have, or --label not two names, then a usage error naming the valid ones', () => {
    expect(cli('diff', at('xen.json'), at('vtd.json'), '--by', 'device').stderr).toBe("error: --by: unknown field 'device'; valid: trace, strategy, profile\n");
    expect(cli('diff', at('xen.json'), at('vtd.json'), '--label', 'xen').stderr).toBe("error: --label 'xen': expected two different names, e.g. --label xen,vtd\n");
  });

  it('given a sweep against itself, then rows pair by trace, strategy and grid point', () => {
    const out = JSON.parse(cli('diff', at('sweep8.json'), at('sweep8.json'), '--json', '-m', 'iotlb_miss_rate').stdout);
    expect(out.by).toEqual(['strategy', 'iotlb.entries']);
    expect(out.rows.map((x: { trace: string }) => x.trace)).toEqual(['native iotlb.entries=8', 'persistent iotlb.entries=8', 'native iotlb.entries=16', 'persistent iotlb.entries=16', 'overall']);
  });
});

describe('diff names the settings two runs differ in', () => {
  let scratch = '';
  afterEach(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = '';
  });

  it('given xen-2008 against modern-vtd with an override, then one line per difference: profile, --set, strategy option defaults', () => {
    const r = cli('diff', at('xen.json'), at('vtd.json'), '--label', 'xen,vtd', '-m', 'faults');
    const lines = r.stdout.split('\n');
    const settings = lines.slice(lines.indexOf('settings differ:') + 1, lines.findIndex((l) => l.startsWith('row')));
    expect(settings).toEqual([
      '  profile: "xen-2008" in xen, "modern-vtd" in vtd',
      '  --set iotlb.entries: not set in xen, 128 in vtd',
      '  strategy option direct-map.page_kib: 4 in xen, 2048 in vtd',
      '  strategy option linux.fq_size: 250 in xen, 255 in vtd',
      '  strategy option linux.fq_per_cpu: 0 in xen, 1 in vtd',
    ]);
  });

  it('given two runs of traces with the same name but different bytes, then the input line names both sizes and hashes', () => {
    scratch = mkdtempSync(join(tmpdir(), 'dmareplay-diff-inputs-'));
    const sides = [RX, TX].map((src, i) => {
      mkdirSync(join(scratch, `run${i}`));
      const t = join(scratch, `run${i}`, 't.csv');
      copyFileSync(src, t);
      expect(cli('replay', t, '-s', 'native', '-o', join(scratch, `run${i}.json`)).code).toBe(0);
      const bytes = readFileSync(t);
      return { size: bytes.length, hash: createHash('sha256').update(bytes).digest('hex').slice(0, 12) };
    });
    const r = cli('diff', join(scratch, 'run0.json'), join(scratch, 'run1.json'), '--json');
    expect(r.code).toBe(0);
    const [a, b] = sides;
    expect(JSON.parse(r.stdout).settings).toEqual([`input t.csv: different content (${a.size} bytes, sha256 ${a.hash} in A; ${b.size} bytes, sha256 ${b.hash} in B)`]);
  });

  it('given two runs made the same way, then no settings line', () => {
    const r = cli('diff', at('xen.json'), at('xen.json'));
    expect(r.stdout).not.toContain('settings differ');
  });
});
