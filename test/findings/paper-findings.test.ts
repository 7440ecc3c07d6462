/**
 * The study's findings, checked on the bundled synthetic traces with the xen-2008 profile
 * (docs/findings.md has the numbers and where they differ from the paper's claims).
 */
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/pipeline.js';
import type { RunResult } from '../../src/types/result.js';

const TRACES = ['traces/netperf-tx.csv', 'traces/netperf-rx.csv', 'traces/disk-seq-read.csv', 'traces/disk-rand-write.csv', 'traces/mixed.csv'];

async function results(): Promise<Record<string, Record<string, RunResult>>> {
  const run = await replay(TRACES, { strategies: 'all', profile: 'xen-2008' });
  expect(run.failures).toEqual([]);
  return Object.fromEntries(run.byTrace.map((t) => [t.trace, Object.fromEntries(t.results.map((r) => [r.strategy, r]))]));
}

describe('the paper\'s findings on the bundled traces (xen-2008)', async () => {
  const all = await results();
  /** CPU cycles per DMA: the study's measure (IOMMU walk time is not CPU time). */
  const perDma = (t: string, s: string) => all[t][s].cycles.cpu / all[t][s].dmas;
  const allCyclesPerDma = (t: string, s: string) => all[t][s].cycles.per_dma!;

  for (const t of TRACES) {
    it(`${t}: native = direct-map < persistent < shared <= single-use in CPU cycles per DMA, and the same order counting walk time`, () => {
      expect(perDma(t, 'direct-map')).toBe(perDma(t, 'native'));
      expect(perDma(t, 'direct-map')).toBeLessThan(perDma(t, 'persistent'));
      expect(perDma(t, 'persistent')).toBeLessThan(perDma(t, 'shared'));
      expect(perDma(t, 'shared')).toBeLessThanOrEqual(perDma(t, 'single-use'));
      const order = ['native', 'direct-map', 'persistent', 'shared', 'single-use'].map((s) => allCyclesPerDma(t, s));
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    });

    it(`${t}: single-use never reuses a mapping`, () => {
      expect(all[t]['single-use'].reuse_rate).toBe(0);
    });

    it(`${t}: software is below every strategy that maps or copies per buffer`, () => {
      for (const s of ['single-use', 'shared', 'linux-strict', 'linux-lazy', 'shadow']) expect(perDma(t, 'software')).toBeLessThan(perDma(t, s));
    });
  }

  it('persistent reuses over 90% of mappings on RX and steady-state TX', () => {
    expect(all['traces/netperf-rx.csv'].persistent.reuse_rate).toBeGreaterThan(0.9);
    expect(all['traces/netperf-tx.csv'].persistent.reuse_rate).toBeGreaterThan(0.9);
  });

  it('on disk (fresh pages, scatter-gather batches), software beats every IOMMU strategy but direct-map', () => {
    for (const t of ['traces/disk-seq-read.csv', 'traces/disk-rand-write.csv']) {
      for (const s of ['single-use', 'shared', 'persistent', 'linux-strict', 'linux-lazy', 'shadow']) expect(perDma(t, 'software')).toBeLessThan(perDma(t, s));
    }
  });

  it('where buffers are recycled (RX, TSO TX, mixed), persistent is cheaper than software (docs/findings.md)', () => {
    for (const t of ['traces/netperf-rx.csv', 'traces/netperf-tx.csv', 'traces/mixed.csv']) expect(perDma(t, 'software')).toBeGreaterThan(perDma(t, 'persistent'));
  });
});
