import { describe, expect, it } from 'vitest';
import { replayText, trace, costs } from '../helpers/replay-text.js';

/** Descriptor-ring accesses off: these scenarios count the buffers' own IOMMU work (rings: test/strategies/rings.test.ts). */
const NO_RINGS = ['device.ring_accesses=0'];

const P = costs();

describe('persistent', () => {
  it('the second map of a recycled page is a reuse with no hypercall', async () => {
    const t = trace(
      '0,0,nic0,net,map,from_device,0x2000000,2048,1,',
      '10,0,nic0,net,unmap,,,,1,',
      '20,0,nic0,net,map,from_device,0x2000000,2048,2,',
      '30,0,nic0,net,unmap,,,,2,',
    );
    const r = (await replayText(t, 'persistent', NO_RINGS)).by.persistent;
    expect(r.hypercalls).toBe(1);
    expect(r.reuse_rate).toBe(0.5);
    expect(r.iotlb.invalidations).toBe(0);
    expect(r.pt_updates).toBe(4);
    expect(r.iotlb.misses).toBe(1);
    expect(r.iotlb.hits).toBe(1);
    // unbounded: the driver looks the page up at each map, and does nothing at unmap
    expect(r.counters.refcount_updates).toBe(2);
    expect(r.cycles.total).toBe(
      2 * (P['driver.map_cycles'] + P['driver.unmap_cycles']) +
        P['hypercall.cycles'] +
        P['validate.page_cycles'] +
        2 * P['refcount.update_cycles'] +
        4 * P['pt.update_cycles'] +
        4 * P['iommu.walk_ref_cycles'],
    );
    expect(r.cycles.total).toBe(3680);
    // the mapping outlives the buffer
    expect(r.counters.live_mappings).toBe(1);
  });

  it('with capacity 1, alternating pages evict each other: unmap + invalidate + wait per eviction', async () => {
    const t = trace(
      '0,0,nic0,net,map,from_device,0x1000,64,1,',
      '1,0,nic0,net,unmap,,,,1,',
      '2,0,nic0,net,map,from_device,0x2000,64,2,',
      '3,0,nic0,net,unmap,,,,2,',
      '4,0,nic0,net,map,from_device,0x1000,64,3,',
      '5,0,nic0,net,unmap,,,,3,',
    );
    const r = (await replayText(t, 'persistent', [...NO_RINGS, 'persistent.capacity=1'])).by.persistent;
    expect(r.hypercalls).toBe(3);
    expect(r.counters.mapping_evictions).toBe(2);
    expect(r.iotlb.invalidations).toBe(2);
    expect(r.iotlb.waits).toBe(2);
    expect(r.reuse_rate).toBe(0);
    expect(r.mappings.peak).toBe(1);
    expect(r.faults).toBe(0);
  });

  it('pages with a buffer in flight are never evicted, even past the capacity', async () => {
    const t = trace(
      '0,0,nic0,net,map,from_device,0x1000,64,1,',
      '1,0,nic0,net,map,from_device,0x2000,64,2,',
      '2,0,nic0,net,unmap,,,,1,',
      '3,0,nic0,net,unmap,,,,2,',
    );
    const r = (await replayText(t, 'persistent', [...NO_RINGS, 'persistent.capacity=1'])).by.persistent;
    expect(r.counters.mapping_evictions).toBe(0);
    expect(r.mappings.peak).toBe(2);
    expect(r.faults).toBe(0);
  });

  it('a page kept mapped after its unmap stays reachable: exposure counts it', async () => {
    const t = trace('0,0,nic0,net,map,from_device,0x1000,4096,1,', '1000,0,nic0,net,unmap,,,,1,', '3000,0,nic0,net,map,from_device,0x9000,4096,2,');
    const r = (await replayText(t, 'persistent', NO_RINGS)).by.persistent;
    // 0..1000: page in flight (0 exposed); 1000..3000: 4096 bytes exposed
    expect(r.exposure.max_bytes).toBe(4096);
    expect(r.exposure.avg_bytes).toBeCloseTo((4096 * 2000) / 3000, 3);
    expect(r.live_at_end).toBe(1);
  });
});
