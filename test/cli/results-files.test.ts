/**
 * Every results file any command writes is an input (issue 15, "Comparing runs"): replay, sweep
 * and merge outputs in .json, .csv and .arrow are read by diff and figures, merge -o x.json works
 * from any shards, and each file records how it was made, byte for byte the same on every run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { readResults } from '../../src/analysis/results-read.js';

const RX = 'traces/scenario-rx-recycle.csv';
const TX = 'traces/scenario-tx-pool.csv';
const S = ['-s', 'native,persistent,linux-strict'];
const GRID = ['-g', 'iotlb.entries=8,16'];
let dir = '';
const at = (name: string) => join(dir, name);
const ok = (...args: string[]) => {
  const r = cli(...args);
  expect(r.stderr).not.toMatch(/^error/m);
  expect(r.code).toBe(0);
};

/** Every output of the matrix: what wrote it, and its name. */
const OUTPUTS: { what: string; file: string }[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dmareplay-results-files-'));
  for (const ext of ['json', 'csv', 'arrow']) {
    ok('replay', RX, TX, ...S, '--set', 'iotlb.entries=64', '-o', at(`replay.${ext}`));
    ok('sweep', RX, TX, ...S, ...GRID, '--no-figures', '-o', at(`sweep.${ext}`));
    OUTPUTS.push({ what: `replay -o .${ext}`, file: `replay.${ext}` }, { what: `sweep -o .${ext}`, file: `sweep.${ext}` });
  }
  for (const i of [0, 1]) {
    ok('replay', RX, TX, ...S, '--set', 'iotlb.entries=64', '--shard', `${i}/2`, '-o', at(`rshard${i}.arrow`));
    for (const ext of ['json', 'csv', 'arrow']) ok('sweep', RX, TX, ...S, ...GRID, '--no-figures', '--shard', `${i}/2`, '-o', at(`sshard${i}.${ext}`));
  }
  const merges: [string, string][] = [
    ['rshard', 'arrow'],
    ['sshard', 'json'],
    ['sshard', 'arrow'],
    ['sshard', 'csv'],
  ];
  for (const [kind, from] of merges) {
    for (const to of ['json', 'csv', 'arrow']) {
      if (from === 'csv' && to === 'arrow') continue; // CSV carries no column types (a usage error, tested in shard-merge)
      const out = `merge-${kind}-${from}.${to}`;
      ok('merge', at(`${kind}0.${from}`), at(`${kind}1.${from}`), '-o', at(out));
      OUTPUTS.push({ what: `merge of ${kind === 'rshard' ? 'replay' : 'sweep'} .${from} shards -o .${to}`, file: out });
    }
  }
}, 900_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('diff reads every results file', () => {
  it('given each output of replay, sweep and merge in each format, when diffed against itself, then every row pairs and nothing differs', () => {
    expect(OUTPUTS).toHaveLength(6 + 11);
    for (const o of OUTPUTS) {
      const r = cli('diff', at(o.file), at(o.file), '--json');
      expect(r.code, `${o.what}: ${r.stderr}`).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.rows.length, o.what).toBeGreaterThan(0);
      expect([out.only_a, out.only_b, out.settings], o.what).toEqual([[], [], []]);
      for (const row of out.rows) expect(row.delta === null || row.delta === 0, `${o.what} ${row.trace} ${row.metric}`).toBe(true);
    }
  }, 900_000);

  it('given one run written as .json, .csv and .arrow and merged from shards, then every pair of them compares equal, metric by metric', () => {
    for (const other of ['replay.csv', 'replay.arrow', 'merge-rshard-arrow.json', 'merge-rshard-arrow.csv']) {
      const out = JSON.parse(cli('diff', at('replay.json'), at(other), '--json').stdout);
      expect(out.by, other).toEqual(['trace', 'strategy']);
      expect(out.rows).toHaveLength((2 * 3 + 1) * 9);
      for (const row of out.rows) expect([row.a === row.b || Math.abs(row.a - row.b) < 1e-9 * Math.abs(row.a), other, row.trace, row.metric]).toEqual([true, other, row.trace, row.metric]);
    }
    for (const other of ['sweep.csv', 'sweep.arrow', 'merge-sshard-json.json', 'merge-sshard-arrow.json', 'merge-sshard-csv.json']) {
      const out = JSON.parse(cli('diff', at('sweep.json'), at(other), '--json').stdout);
      expect(out.by, other).toEqual(['trace', 'strategy', 'iotlb.entries']);
      expect(out.only_a.concat(out.only_b)).toEqual([]);
      for (const row of out.rows) expect(row.delta === null || Math.abs(row.delta) < 1e-9, `${other} ${row.trace} ${row.metric}`).toBe(true);
    }
  }, 600_000);
});

describe('figures reads every results file', () => {
  it('given every output of the matrix at once, then the figures and the report are written, each grid point a workload of its own', () => {
    const out = at('figures');
    const r = cli('figures', ...OUTPUTS.map((o) => at(o.file)), '-o', out);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toContain('scenario-tx-pool.csv [iotlb.entries=16]');
    expect(existsSync(join(out, 'cost-by-category.svg'))).toBe(true);
  }, 600_000);
});

describe('results record how they were made', () => {
  const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
  const version = JSON.parse(readFileSync('package.json', 'utf8')).version;

  it('given replay -o x.json, then the tool version, profile, every --set, strategy options, seed and each input by name, size and SHA-256', () => {
    const p = JSON.parse(readFileSync(at('replay.json'), 'utf8')).provenance;
    expect(p).toMatchObject({ tool: 'dmareplay', version, command: 'replay', profile: 'xen-2008', overrides: ['iotlb.entries=64'], strategies: ['native', 'persistent', 'linux-strict'], seed: null });
    expect(p.strategy_options).toMatchObject({ 'persistent.capacity': 0, 'linux.fq_size': 250, 'hypercall.batch': 32 });
    expect(p.inputs).toEqual([
      { name: 'scenario-rx-recycle.csv', bytes: readFileSync(RX).length, sha256: sha(RX) },
      { name: 'scenario-tx-pool.csv', bytes: readFileSync(TX).length, sha256: sha(TX) },
    ]);
  });

  it('given .arrow outputs and merged shards, then they carry the same record (Arrow schema metadata), and a merge keeps its shards\'', () => {
    const replayJson = JSON.parse(readFileSync(at('replay.json'), 'utf8')).provenance;
    expect(readResults(at('replay.arrow')).provenance).toEqual(replayJson);
    expect(readResults(at('merge-rshard-arrow.json')).provenance).toEqual(replayJson);
    const sweepJson = readResults(at('sweep.json')).provenance;
    expect(sweepJson).toMatchObject({ command: 'sweep', overrides: [] });
    for (const f of ['sweep.arrow', 'merge-sshard-json.json', 'merge-sshard-arrow.arrow', 'merge-sshard-arrow.json']) expect(readResults(at(f)).provenance, f).toEqual(sweepJson);
    // .csv has no place for it
    expect(readResults(at('replay.csv')).provenance).toBeNull();
  });

  it('given the same run twice into other directories, then byte-identical files without timestamps or absolute paths', () => {
    const other = mkdtempSync(join(tmpdir(), 'dmareplay-results-again-'));
    try {
      for (const ext of ['json', 'arrow']) {
        ok('replay', RX, TX, ...S, '--set', 'iotlb.entries=64', '-o', join(other, `replay.${ext}`));
        expect(readFileSync(join(other, `replay.${ext}`)).equals(readFileSync(at(`replay.${ext}`))), ext).toBe(true);
      }
      const text = readFileSync(at('replay.json'), 'utf8');
      expect(text).not.toContain(tmpdir());
      expect(text).not.toContain(process.cwd());
      expect(text).not.toMatch(/20\d\d-\d\d-\d\dT/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 300_000);

  it('given a sweep of a generated trace, then the seed is recorded', async () => {
    const other = mkdtempSync(join(tmpdir(), 'dmareplay-results-seed-'));
    try {
      ok('sweep', 'synth:netperf-rx', '-s', 'native', '-g', 'iotlb.entries=8', '--set', 'synth.dmas=200', '--set', 'synth.seed=7', '--no-figures', '-o', join(other, 's.json'));
      expect(readResults(join(other, 's.json')).provenance).toMatchObject({ seed: 7, overrides: ['synth.dmas=200', 'synth.seed=7'], inputs: [{ name: 'synth:netperf-rx', bytes: null, sha256: null }] });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 300_000);
});
