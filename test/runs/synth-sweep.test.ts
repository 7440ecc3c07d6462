/**
 * sweep over a synthetic workload's knobs: `synth:<workload>` traces generated per grid point.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sweep } from '../../src/runs/sweep.js';
import { replaySynth } from '../../src/replay/synth-replay.js';
import { sweepTable } from '../../src/analysis/sweep-io.js';

const leftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith('dmareplay-sweep-')).length;
const SMALL = ['synth.dmas=3000', 'nic.rx_ring=4096'];

describe('sweep synth:<workload>', () => {
  it('given synth:rx-100g swept over synth.flows, then each point is the workload at those knobs, named synth:rx-100g, and the files are gone afterwards', async () => {
    const before = leftovers();
    const run = await sweep(['synth:rx-100g'], { grid: ['synth.flows=5,40'], strategies: 'linux-strict', profile: 'modern-vtd', set: SMALL });
    expect(leftovers()).toBe(before);
    const strict = run.rows.filter((r) => r.strategy === 'linux-strict');
    expect(strict.map((r) => [r.trace, r.grid['synth.flows']])).toEqual([['synth:rx-100g', 5], ['synth:rx-100g', 40]]);
    for (const r of strict) {
      const direct = await replaySynth({ workload: 'rx-100g', options: { dmas: 3000, seed: 1, knobs: { flows: r.grid['synth.flows'] } }, strategies: 'linux-strict', profile: 'modern-vtd', set: ['nic.rx_ring=4096'] });
      expect(r.per_page).toEqual(direct['linux-strict'].per_page);
    }
    // more flows, more ACK unmaps between descriptors: more walk-cache misses under strict mode
    expect(strict[1].per_page!.walk_misses.pml4e).toBeGreaterThan(strict[0].per_page!.walk_misses.pml4e);
    // --per-page: the table shows those per-page figures
    const table = sweepTable(run.rows, run.axes, true).split('\n');
    expect(table[0].split(/\s{2,}/)).toEqual(['trace', 'synth.flows', 'strategy', 'IOTLB miss/pg', 'L1 miss/pg', 'L2 miss/pg', 'L3 miss/pg', 'reads/pg', 'IOMMU Gb/s', 'cores/100G']);
    expect(table[3]).toContain(strict[1].per_page!.walk_misses.pml4e.toFixed(3));
  });

  it('mixes synth.<knob> and profile keys in one grid; --jobs 2 gives the same rows', async () => {
    const options = { grid: ['synth.ring=256,512', 'iommu.ih=0,1'], strategies: 'linux-strict', profile: 'modern-vtd', set: SMALL };
    const one = await sweep(['synth:rx-100g'], options);
    expect(one.rows.map((r) => r.grid)).toEqual([
      { 'synth.ring': 256, 'iommu.ih': 0 }, { 'synth.ring': 256, 'iommu.ih': 1 }, { 'synth.ring': 512, 'iommu.ih': 0 }, { 'synth.ring': 512, 'iommu.ih': 1 },
    ]);
    const two = await sweep(['synth:rx-100g'], { ...options, jobs: 2 });
    expect(JSON.stringify(two.rows)).toBe(JSON.stringify(one.rows));
  });

  it('rejects a synth key without a synth trace, an unknown knob and an unknown workload, before any work', async () => {
    await expect(sweep(['traces/netperf-rx.csv'], { grid: ['synth.flows=5,10'] })).rejects.toThrow(/synth\.flows: synth\.<knob> keys apply to synth:<workload> traces only/);
    await expect(sweep(['synth:rx-100g'], { grid: ['synth.flow=5,10'] })).rejects.toThrow(/workload rx-100g has no knob 'flow'.*flows/);
    await expect(sweep(['synth:rx-10g'], { grid: ['iommu.ih=0,1'] })).rejects.toThrow(/rx-10g/);
    await expect(sweep(['synth:rx-100g'], { grid: ['synth.flows=five'] })).rejects.toThrow(/synth\.flows: 'five' is not a non-negative number/);
  });
});
