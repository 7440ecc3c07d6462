/**
 * fands (F&S, SOSP 2024): one contiguous IOVA range, one unmap and one invalidation per receive
 * descriptor; invalidations that keep the walk caches; and its two ablations.
 */
import { describe, expect, it } from 'vitest';
import { replayText, trace } from '../helpers/replay-text.js';

const CACHES = ['iommu.pwc_pde_entries=4', 'iommu.pwc_pdpte_entries=2', 'iommu.pwc_pml4e_entries=2', 'iommu.pwc_ways=2', 'iommu.psi_walk_levels=3', 'iommu.ih=0', 'device.ring_accesses=0'];

/** One descriptor of 3 pages (unit w1) posted together, then its 3 packets done and unmapped. */
const WQE = trace(
  '0,0,mlx0,net,map,from_device,0x100000,4096,1,w1',
  '0,0,mlx0,net,map,from_device,0x205000,4096,2,w1',
  '0,0,mlx0,net,map,from_device,0x30a000,4096,3,w1',
  '50,0,mlx0,net,unmap,,,,1,w1',
  '60,0,mlx0,net,unmap,,,,2,w1',
  '70,0,mlx0,net,unmap,,,,3,w1',
);

describe('fands', () => {
  it('given a descriptor of 3 pages, then one 64-page IOVA range, 3 PTEs, and one unmap + invalidation + wait when its last page is unmapped', async () => {
    const { by } = await replayText(WQE, 'fands,linux-strict', CACHES);
    const f = by.fands;
    expect([f.counters.iova_allocs, f.counters.iova_frees, f.iotlb.invalidations, f.iotlb.waits, f.counters.fands_ranges]).toEqual([1, 1, 1, 1, 1]);
    // 3 table links + 3 leaves at map; 3 leaves cleared by the one range unmap
    expect(f.pt_updates).toBe(3 + 3 + 3);
    const s = by['linux-strict'];
    expect([s.counters.iova_allocs, s.iotlb.invalidations, s.iotlb.waits]).toEqual([3, 3, 3]);
  });

  it('a descriptor\'s pages stay reachable until its last page is unmapped', async () => {
    const { by } = await replayText(WQE, 'fands,linux-strict', CACHES);
    // after the first unmap (t=50) fands still reaches 3 pages with 2 in flight: 4 KiB exposed
    expect(by.fands.exposure.max_bytes).toBe(4096 * 2);
    expect(by['linux-strict'].exposure.max_bytes).toBe(0);
  });

  it('keeps the walk caches (IH set): the pages of the next descriptor walk from the cached PDE', async () => {
    const next = WQE + ['100,0,mlx0,net,map,from_device,0x400000,4096,4,w2', '150,0,mlx0,net,unmap,,,,4,w2'].join('\n') + '\n';
    const { by } = await replayText(next, 'fands,linux-strict', CACHES);
    // 4 walks each; linux-strict's IH-clear invalidations empty the caches every time
    expect(by['linux-strict'].counters.walk_refs).toBe(4 * 4);
    // fands: the first walk from the root, the next two in the same 2 MiB range (1 read each),
    // and the next descriptor's range reuses the freed IOVAs (cached PDE kept by IH): 1 read
    expect(by.fands.counters.walk_refs).toBe(4 + 1 + 1 + 1);
  });

  it('ablations: "Linux + A" (fands.contiguous=0) is linux-strict with IH; "Linux + B" (fands.ih=0) batches without IH', async () => {
    const a = (await replayText(WQE, 'fands', [...CACHES, 'fands.contiguous=0'])).by.fands;
    expect([a.counters.iova_allocs, a.iotlb.invalidations, a.counters.fands_ranges]).toEqual([3, 3, 0]);
    const b = (await replayText(WQE, 'fands', [...CACHES, 'fands.ih=0'])).by.fands;
    expect([b.counters.iova_allocs, b.iotlb.invalidations, b.counters.fands_ranges]).toEqual([1, 1, 1]);
  });

  it('DMAs with no unit are mapped as linux-strict maps them', async () => {
    const t = trace('0,0,mlx0,net,map,to_device,0x100000,64,1,', '0,0,mlx0,net,map,to_device,0x200000,64,2,', '9,0,mlx0,net,unmap,,,,1,', '9,0,mlx0,net,unmap,,,,2,');
    const { by } = await replayText(t, 'fands,linux-strict', CACHES);
    expect([by.fands.counters.iova_allocs, by.fands.iotlb.invalidations]).toEqual([by['linux-strict'].counters.iova_allocs, by['linux-strict'].iotlb.invalidations]);
  });
});
