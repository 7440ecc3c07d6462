/**
 * Per-page IOMMU metrics (F&S's measure: per 4 KiB of data moved) and the throughput projection
 * beside them: exact values for a trace small enough to count by hand.
 */
import { describe, expect, it } from 'vitest';
import { replayText, trace } from '../helpers/replay-text.js';
import { formatPerPageTable } from '../../src/analysis/results-table.js';

/** Walk caches on, strict invalidations drop them all, no descriptor rings, known constants. */
const SET = ['iommu.pwc_pde_entries=4', 'iommu.pwc_pdpte_entries=2', 'iommu.pwc_pml4e_entries=2', 'iommu.pwc_ways=2', 'iommu.psi_walk_levels=3', 'iommu.ih=0', 'device.ring_accesses=0', 'iommu.dma_latency_ns=65', 'iommu.read_latency_ns=197', 'cpu.hz=2000000000'];

/** Two 4 KiB receive DMAs, one after the other. */
const TWO_PAGES = trace('0,0,nic0,net,map,from_device,0x100000,4096,1,', '10,0,nic0,net,unmap,,,,1,', '20,0,nic0,net,map,from_device,0x101000,4096,2,', '30,0,nic0,net,unmap,,,,2,');

describe('per_page', () => {
  it('given two 4 KiB DMAs under linux-strict, when each unmap invalidates with IH clear, then every walk starts from the root: 4 reads per page', async () => {
    const r = (await replayText(TWO_PAGES, 'linux-strict', SET)).by['linux-strict'];
    const p = r.per_page!;
    expect(p.pages_moved).toBe(2);
    expect([p.iotlb_lookups, p.iotlb_misses, p.iommu_reads, p.invalidations]).toEqual([1, 1, 4, 1]);
    expect(p.walk_misses).toEqual({ pml4e: 1, pdpte: 1, pde: 1 });
    // F&S's model: 4096 B x 8 / (65 ns + 4 reads x 197 ns)
    expect(p.iommu_gbps).toBe(Math.round((32768 / (65 + 4 * 197)) * 10) / 10);
    expect(p.cpu_cycles).toBe(r.cycles.cpu / 2);
    // 100 Gb/s = 3,051,757.8 pages/s, at 2 GHz
    expect(p.cores_per_100g).toBeCloseTo(((100e9 / 32768) * p.cpu_cycles) / 2e9, 3);
  });

  it('given the same DMAs with IH set, then the second walk finds its PDE cached: (4 + 1) / 2 reads per page', async () => {
    const p = (await replayText(TWO_PAGES, 'linux-strict', [...SET, 'iommu.ih=1'])).by['linux-strict'].per_page!;
    expect(p.iommu_reads).toBe(2.5);
    expect(p.walk_misses).toEqual({ pml4e: 0.5, pdpte: 0.5, pde: 0.5 });
    expect(p.walk_hits.pde).toBe(0.5);
  });

  it('is null when no data moved', async () => {
    const r = (await replayText(trace('0,0,nic0,net,map,from_device,0x100000,4096,1,'), 'native', SET)).by.native;
    expect(r.per_page).toBeNull();
  });

  it('the --per-page table names each strategy with its reads and projected line rate', async () => {
    const { results } = await replayText(TWO_PAGES, 'linux-strict,direct-map', SET);
    const text = formatPerPageTable(results);
    const row = text.split('\n').find((l) => l.startsWith('linux-strict'))!;
    expect(row.split(/\s{2,}/)).toEqual(['linux-strict', '2', '1.000', '1.000', '1.000', '1.000', '1.000', '4.000', '1.000', '0.0000', '38.4', Math.round(results[0].per_page!.cpu_cycles).toLocaleString('en-US'), results[0].per_page!.cores_per_100g.toFixed(2)]);
    expect(text).toContain('F&S');
  });
});
