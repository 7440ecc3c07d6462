/**
 * diff on two fixed result files: exact deltas, ratios, worse-%, rows on one side only, the
 * --fail-above gate's exit codes; and two strategies replayed on one trace.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { diffResults, regressions, DIFF_METRICS } from '../../src/analysis/diff.js';

const A = 'test/fixtures/results/before.json';
const B = 'test/fixtures/results/after.json';
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/run.js', ...args], { encoding: 'utf8' });
const load = (p: string) => JSON.parse(readFileSync(p, 'utf8')).results;
const key = (r: { trace: string; strategy: string; profile: string }) => `${r.trace} ${r.strategy} ${r.profile}`;

describe('diff of two result files', () => {
  const report = diffResults(A, load(A), B, load(B), DIFF_METRICS, key);
  const row = (trace: string, metric: string) => report.rows.find((r) => r.trace === trace && r.metric === metric)!;

  it('pairs rows by trace + strategy + profile and lists the rest', () => {
    expect(report.only_a).toEqual(['t.csv software xen-2008']);
    expect(report.only_b).toEqual(['t.csv shadow xen-2008']);
  });

  it('gives A, B, B-A, B/A and worse-% per metric', () => {
    expect(row('t.csv single-use xen-2008', 'cycles_per_dma')).toEqual({ trace: 't.csv single-use xen-2008', metric: 'cycles_per_dma', a: 5000, b: 5500, delta: 500, ratio: 1.1, worse_pct: 10 });
    expect(row('t.csv persistent xen-2008', 'cycles_per_dma')).toMatchObject({ a: 900, b: 880, delta: -20, worse_pct: (-20 / 900) * 100 });
    // more reuse is better: a higher B is a negative worse-%
    expect(row('t.csv persistent xen-2008', 'reuse_rate')).toMatchObject({ a: 0.98, b: 0.99 });
    expect(row('t.csv persistent xen-2008', 'reuse_rate').worse_pct).toBeCloseTo((-0.01 / 0.98) * 100, 9);
  });

  it('the overall row aggregates totals, not ratios', () => {
    // (500,000 + 90,000) / 200 DMAs vs (550,000 + 88,000) / 200 DMAs
    expect(row('overall', 'cycles_per_dma')).toMatchObject({ a: 2950, b: 3190, delta: 240 });
    expect(row('overall', 'hypercalls_per_dma')).toMatchObject({ a: 1.01, b: 1.01, delta: 0, ratio: 1, worse_pct: 0 });
  });

  it('a metric undefined on a side (no IOTLB translations) is null in every column, never NaN', () => {
    const noIotlb = load(A).map((r: { iotlb: object }) => ({ ...r, iotlb: { ...r.iotlb, hits: 0, misses: 0 } }));
    const miss = DIFF_METRICS.filter((m) => m.name === 'iotlb_miss_rate');
    for (const r of diffResults(A, noIotlb, B, noIotlb, miss, key).rows) expect(r).toMatchObject({ a: null, b: null, delta: null, ratio: null, worse_pct: null });
  });

  it('regressions above a threshold', () => {
    expect(regressions(report, 9).map((r) => `${r.trace} ${r.metric}`)).toEqual(['t.csv single-use xen-2008 cycles_per_dma', 't.csv single-use xen-2008 cpu_cycles_per_dma']);
    expect(regressions(report, 10)).toEqual([]);
  });

  it('CLI: --fail-above exits 1 on a regression past the threshold and 0 below it', () => {
    const bad = cli('diff', A, B, '--metric', 'cycles_per_dma', '--fail-above', '5');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('regression: t.csv single-use xen-2008 cycles_per_dma is 10.0% worse in B (5000 -> 5500), above --fail-above 5');
    const ok = cli('diff', A, B, '--metric', 'cycles_per_dma', '--fail-above', '15', '--json');
    expect(ok.status).toBe(0);
    const json = JSON.parse(ok.stdout);
    expect(json.rows.map((r: { metric: string }) => r.metric)).toEqual(['cycles_per_dma', 'cycles_per_dma', 'cycles_per_dma']);
    expect(json.regressions).toEqual([]);
  });

  it('CLI: usage errors exit 2', () => {
    expect(cli('diff', A, B, '--metric', 'cycles').status).toBe(2);
    expect(cli('diff', 'single-use', 'persistent').status).toBe(2); // needs --trace
    expect(cli('diff', A, 'persistent').status).toBe(2);
    expect(cli('diff', A, 'missing.json').status).toBe(1);
  });

  it('CLI: two strategies on a trace', () => {
    const r = cli('diff', 'single-use', 'persistent', '--trace', 'traces/scenario-rx-recycle.csv', '--metric', 'hypercalls_per_dma', '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout).rows;
    expect(rows[0]).toMatchObject({ trace: 'traces/scenario-rx-recycle.csv', metric: 'hypercalls_per_dma', a: 2, b: 0.125 });
  });
});

describe('diff with nothing to compare', () => {
  it('given two runs with no row in common, then no rows and each side listed (it once failed inside arquero)', () => {
    const a = load(A).filter((r: { strategy: string }) => r.strategy === 'software');
    const b = load(B).filter((r: { strategy: string }) => r.strategy === 'shadow');
    expect(diffResults(A, a, B, b, DIFF_METRICS, key)).toEqual({ a: A, b: B, rows: [], only_a: ['t.csv software xen-2008'], only_b: ['t.csv shadow xen-2008'] });
    expect(diffResults(A, [], B, [], DIFF_METRICS, key).rows).toEqual([]);
  });

  it('given two strategies on a trace that cannot be read, then one error line for it, exit 1, no internal error', () => {
    const r = cli('diff', 'single-use', 'persistent', '--trace', 'no-such-trace.csv');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('error: no-such-trace.csv: no such file\n');
  });
});
