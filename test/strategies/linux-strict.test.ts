import { describe, expect, it } from 'vitest';
import { replayText, trace, costs } from '../helpers/replay-text.js';

/** Descriptor-ring accesses off: these scenarios count the buffers' own IOMMU work (rings: test/strategies/rings.test.ts). */
const NO_RINGS = ['device.ring_accesses=0'];

const MODERN = ['iova.magazine_size=127', 'iova.depot_magazines=32'];
const P = costs(MODERN);

describe('linux-strict', () => {
  it('one page: IOVA from the rbtree (cold cache), 4 PTE writes, unmap = clear + 1 PSI + 1 wait, IOVA back to the cache', async () => {
    const t = trace('0,0,nic0,net,map,to_device,0x5000,1500,1,', '10,0,nic0,net,unmap,,,,1,');
    const r = (await replayText(t, 'linux-strict', [...NO_RINGS, ...MODERN])).by['linux-strict'];
    expect(r.hypercalls).toBe(0);
    expect(r.pt_updates).toBe(3 + 1 + 1);
    expect(r.iotlb.invalidations).toBe(1);
    expect(r.iotlb.waits).toBe(1);
    expect(r.counters.iova_slow_allocs).toBe(1);
    expect(r.counters.iova_slow_frees).toBe(0);
    expect(r.cycles.by_category['iova-alloc']).toBe(P['iova.slow_alloc_cycles'] + P['iova.free_cycles']);
    expect(r.cycles.total).toBe(
      P['driver.map_cycles'] + P['driver.unmap_cycles'] + P['iova.slow_alloc_cycles'] + P['iova.free_cycles'] + 5 * P['pt.update_cycles'] + P['iotlb.invalidate_cycles'] + P['iotlb.wait_cycles'] + 4 * P['iommu.walk_ref_cycles'],
    );
    expect(r.cycles.total).toBe(350 + 1000 + 100 + 1000 + 200 + 800 + 880);
  });

  it('without per-CPU caches (2008 kernels), an alloc and a free each cost only the rbtree path', async () => {
    // given the xen-2008 profile, whose iova.magazine_size is 0
    const t = trace('0,0,nic0,net,map,to_device,0x5000,1500,1,', '10,0,nic0,net,unmap,,,,1,');
    const old = costs();
    expect(old['iova.magazine_size']).toBe(0);
    // when one DMA is replayed
    const r = (await replayText(t, 'linux-strict', NO_RINGS)).by['linux-strict'];
    // then the IOVA work is one slow alloc and one slow free, with no fast-path charge beside them
    expect(r.counters.iova_slow_allocs).toBe(1);
    expect(r.counters.iova_slow_frees).toBe(1);
    expect(r.cycles.by_category['iova-alloc']).toBe(old['iova.slow_alloc_cycles'] + old['iova.slow_free_cycles']);
  });

  it('the next map of the same size reuses the cached IOVA (fast path) and so the same IOTLB set', async () => {
    const t = trace('0,0,nic0,net,map,to_device,0x5000,64,1,', '10,0,nic0,net,unmap,,,,1,', '20,0,nic0,net,map,to_device,0x9000,64,2,', '30,0,nic0,net,unmap,,,,2,');
    const r = (await replayText(t, 'linux-strict', [...NO_RINGS, ...MODERN])).by['linux-strict'];
    expect(r.counters.iova_allocs).toBe(2);
    expect(r.counters.iova_slow_allocs).toBe(1);
    // the first translation was invalidated before the IOVA came back: both accesses miss
    expect(r.iotlb.misses).toBe(2);
    expect(r.faults).toBe(0);
  });

  it('a 3-page buffer gets a 4-page (power of two) IOVA range and one invalidation covering it', async () => {
    const t = trace('0,0,vda,disk,map,from_device,0x10000,12288,1,', '10,0,vda,disk,unmap,,,,1,');
    const r = (await replayText(t, 'linux-strict', [...NO_RINGS, ...MODERN])).by['linux-strict'];
    expect(r.iotlb.invalidations).toBe(1);
    expect(r.pt_updates).toBe(3 + 3 + 3);
    expect(r.counters.page_accesses).toBe(3);
  });

  it('with no IOVA cache (2008 kernels) every allocation and free takes the slow path', async () => {
    const t = trace('0,0,nic0,net,map,to_device,0x5000,64,1,', '10,0,nic0,net,unmap,,,,1,', '20,0,nic0,net,map,to_device,0x5000,64,2,', '30,0,nic0,net,unmap,,,,2,');
    const r = (await replayText(t, 'linux-strict', NO_RINGS)).by['linux-strict'];
    expect(r.counters.iova_slow_allocs).toBe(2);
    expect(r.counters.iova_slow_frees).toBe(2);
  });
});
