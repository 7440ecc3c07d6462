/**
 * The study's findings, checked on the bundled synthetic traces with the xen-2008 profile, with
 * hypercall batching on (the default) and off (hypercall.batch=1). docs/findings.md has the
 * numbers (test/findings/findings-doc.test.ts keeps its tables current) and says where and why a
 * finding does not hold; these are its claims.
 */
import { describe, expect, it } from 'vitest';
import { FINDINGS, PER_BUFFER, cpuPerDma, resultsByTrace, type ByStrategy } from '../../src/analysis/findings.js';
import { FINDINGS_CAPTURES, FINDINGS_SYNTHETIC } from '../../src/analysis/findings-traces.js';

const [TX, RX, SEQ, RAND, MIXED] = FINDINGS_SYNTHETIC;
const finding = (id: string) => FINDINGS.find((f) => f.id === id)!;

describe('the paper\'s findings on the bundled traces (xen-2008)', async () => {
  const on = await resultsByTrace(FINDINGS_SYNTHETIC, 'xen-2008');
  const off = await resultsByTrace(FINDINGS_SYNTHETIC, 'xen-2008', ['hypercall.batch=1']);
  const both: [string, Record<string, ByStrategy>][] = [['batching on', on], ['batching off', off]];

  for (const [label, all] of both) {
    it(`${label}: 1, 2, 3a and 4a hold on every trace`, () => {
      for (const t of FINDINGS_SYNTHETIC) for (const id of ['1', '2', '3a', '4a']) expect([t, id, finding(id).holds(all[t])]).toEqual([t, id, true]);
    });

    it(`${label}: persistent reuses over 90% of mappings where buffers recycle (RX, TX, mixed), under half on disk`, () => {
      for (const t of [TX, RX, MIXED]) expect(all[t].persistent.reuse_rate).toBeGreaterThan(0.9);
      for (const t of [SEQ, RAND]) expect(all[t].persistent.reuse_rate).toBeLessThan(0.5);
    });

    it(`${label}: software beats persistent only on the fresh-page disk reads; wherever pages recycle persistent is cheaper`, () => {
      expect(finding('4b').holds(all[SEQ])).toBe(true);
      for (const t of [TX, RX, RAND, MIXED]) expect([t, finding('4b').holds(all[t])]).toEqual([t, false]);
    });
  }

  it('batching lowers the cost of every strategy that makes hypercalls where DMAs are posted together (RX, TX, mixed), and changes no other strategy', () => {
    for (const t of [TX, RX, MIXED]) {
      for (const s of ['single-use', 'shared', 'software']) expect(cpuPerDma(on[t], s)).toBeLessThan(cpuPerDma(off[t], s));
      for (const s of ['native', 'direct-map', 'linux-strict', 'linux-lazy', 'shadow']) expect(cpuPerDma(on[t], s)).toBe(cpuPerDma(off[t], s));
    }
  });

  it('a disk request is one DMA, so batching hardly matters on disk: about one hypercall per request each way either way', () => {
    for (const t of [SEQ, RAND]) {
      // (two completions at one instant share an unmap hypercall now and then)
      expect(on[t]['single-use'].hypercalls / on[t]['single-use'].dmas).toBeGreaterThan(1.99);
      expect(off[t]['single-use'].hypercalls / off[t]['single-use'].dmas).toBe(2);
      expect(off[t].software.hypercalls / off[t].software.dmas).toBe(1);
    }
  });

  it('software is below every strategy that maps or copies per buffer, with batching on and off', () => {
    for (const all of [on, off]) for (const t of FINDINGS_SYNTHETIC) for (const s of PER_BUFFER) expect(cpuPerDma(all[t], 'software')).toBeLessThan(cpuPerDma(all[t], s));
  });

  it('the real captures agree with the synthetic traces they resemble, batching on and off', async () => {
    for (const set of [[], ['hypercall.batch=1']]) {
      const caps = await resultsByTrace(FINDINGS_CAPTURES, 'xen-2008', set);
      const [e1000, nvme, e1000612, nvme612, both612] = FINDINGS_CAPTURES;
      for (const t of FINDINGS_CAPTURES) for (const id of ['1', '2', '3a']) expect([t, id, finding(id).holds(caps[t])]).toEqual([t, id, true]);
      // NIC downloads: buffers recycle (persistent reuses, and beats software), as on netperf-rx
      for (const t of [e1000, e1000612, both612]) expect([t, finding('3b').holds(caps[t]), finding('4b').holds(caps[t])]).toEqual([t, true, false]);
      // NVMe reads: fresh pages, as on disk-seq-read: software beats every IOMMU strategy but direct-map
      for (const t of [nvme, nvme612]) {
        expect([t, finding('3b').holds(caps[t]), finding('4a').holds(caps[t]), finding('4b').holds(caps[t])]).toEqual([t, false, true, true]);
      }
      // 6.12 knows buffer sizes and directions: shadow copies 1,522-byte RX buffers one way and
      // undercuts software; the 6.1 capture's whole-page bidirectional buffers say otherwise
      expect(cpuPerDma(caps[e1000612], 'shadow')).toBeLessThan(cpuPerDma(caps[e1000612], 'software'));
      expect(cpuPerDma(caps[e1000], 'shadow')).toBeGreaterThan(4 * cpuPerDma(caps[e1000612], 'shadow'));
    }
  });
});
