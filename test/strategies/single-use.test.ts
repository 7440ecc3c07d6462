import { describe, expect, it } from 'vitest';
import { NOT_OWNED, replayText, trace, costs } from '../helpers/replay-text.js';

/** Descriptor-ring accesses off: these scenarios count the buffers' own IOMMU work (rings: test/strategies/rings.test.ts). */
const NO_RINGS = ['device.ring_accesses=0'];

const P = costs();

describe('single-use', () => {
  it('given a refused map in flight beside a good one, then its bytes do not count as in flight: exposure is the good page beyond its buffer', async () => {
    // NOT_OWNED lies past the guest's 52-bit space (refused); 0x5000 is its own page
    const t = trace(`0,0,nic0,net,map,from_device,${NOT_OWNED},2048,1,`, '10,0,nic0,net,map,from_device,0x5000,1500,2,', '20,0,nic0,net,unmap,,,,2,', '30,0,nic0,net,unmap,,,,1,');
    const r = (await replayText(t, 'single-use', NO_RINGS)).by['single-use'];
    expect(r.counters.maps_rejected).toBe(1);
    expect(r.exposure.max_bytes).toBe(4096 - 1500);
  });

  it('one 1500-byte TX buffer within one page: 2 hypercalls, 1 leaf map + 1 unmap, 1 invalidation, exact cycles', async () => {
    // Given a guest that transmits one 1500-byte buffer that sits inside one 4 KiB page
    const t = trace('1000,0,nic0,net,map,to_device,0x1000000,1500,1,1', '5000,0,nic0,net,unmap,to_device,0x1000000,1500,1,1');
    // When it is replayed with single-use mappings
    const r = (await replayText(t, 'single-use', NO_RINGS)).by['single-use'];
    // Then: one hypercall to map and one to unmap
    expect(r.hypercalls).toBe(2);
    // the first map in an empty domain links 3 new tables below the root, then writes 1 leaf;
    // the unmap clears that leaf
    expect(r.pt_updates).toBe(3 + 1 + 1);
    expect(r.iotlb).toEqual({ hits: 0, misses: 1, miss_rate: 1, invalidations: 1, evictions: 0, waits: 1 });
    expect(r.counters.walk_refs).toBe(4);
    expect(r.counters.iova_allocs).toBe(1);
    expect(r.counters.iova_frees).toBe(1);
    expect(r.reuse_rate).toBe(0);
    expect(r.faults).toBe(0);
    expect(r.cycles.by_category).toEqual({
      driver: P['driver.map_cycles'] + P['driver.unmap_cycles'],
      hypercall: 2 * P['hypercall.cycles'],
      validate: P['validate.page_cycles'],
      refcount: 0,
      'pt-update': 5 * P['pt.update_cycles'],
      'iotlb-invalidate': P['iotlb.invalidate_cycles'] + P['iotlb.wait_cycles'],
      'iotlb-walk': 4 * P['iommu.walk_ref_cycles'],
      'iova-alloc': P['iova.alloc_cycles'] + P['iova.free_cycles'],
      copy: 0,
    });
    // 350 + 2200 + 100 + 1000 + 1000 + 880 + 200 with the xen-2008 numbers
    expect(r.cycles.total).toBe(5730);
    expect(r.cycles.cpu).toBe(5730 - 880);
    expect(r.mappings.peak).toBe(1);
    expect(r.counters.live_mappings).toBe(0);
  });

  it('a buffer that crosses a page boundary maps, accesses and invalidates both pages', async () => {
    const t = trace('0,0,nic0,net,map,to_device,0x3000f00,1500,7,', '100,0,nic0,net,unmap,,,,7,');
    const r = (await replayText(t, 'single-use', NO_RINGS)).by['single-use'];
    expect(r.counters.validations).toBe(2);
    expect(r.pt_updates).toBe(3 + 2 + 2);
    expect(r.iotlb.invalidations).toBe(2);
    expect(r.iotlb.waits).toBe(1);
    expect(r.counters.page_accesses).toBe(2);
    expect(r.iotlb.misses).toBe(2);
  });

  it('two buffers in one page get distinct IOVAs: unmapping the first leaves the second reachable', async () => {
    const t = trace(
      '0,0,nic0,net,map,from_device,0x2000000,2048,1,',
      '10,0,nic0,net,map,from_device,0x2000800,2048,2,',
      '20,0,nic0,net,unmap,,,,1,',
      '30,0,nic0,net,unmap,,,,2,',
    );
    const r = (await replayText(t, 'single-use', NO_RINGS)).by['single-use'];
    expect(r.faults).toBe(0);
    expect(r.mappings.peak).toBe(2);
    expect(r.hypercalls).toBe(4);
    // both IOVA pages were walked once each; no IOTLB entry was reused
    expect(r.iotlb.misses).toBe(2);
  });

  it('a buffer outside the guest refuses the map: no mapping, the device access faults, and a warning names the line', async () => {
    const t = trace(`0,0,nic0,net,map,from_device,${NOT_OWNED},64,1,`, '10,0,nic0,net,unmap,,,,1,');
    const run = await replayText(t, 'single-use', NO_RINGS);
    const r = run.by['single-use'];
    expect(r.counters.maps_rejected).toBe(1);
    expect(r.pt_updates).toBe(0);
    expect(r.hypercalls).toBe(1); // the map call that was refused; no unmap call
    expect(r.faults).toBe(1);
    expect(run.warnings[0]).toMatch(/^inline\.csv:2: maps refused \(single-use 1\): a page beyond the guest's 52-bit guest-physical space/);
  });

  it('a device write into a to_device (read-only) buffer is a permission fault', async () => {
    const t = trace(
      '0,0,nic0,net,map,to_device,0x5000,100,1,',
      '5,0,nic0,net,access,from_device,0x5000,100,1,',
      '10,0,nic0,net,unmap,,,,1,',
    );
    const r = (await replayText(t, 'single-use', NO_RINGS)).by['single-use'];
    expect(r.counters.faults_permission).toBe(1);
    expect(r.faults).toBe(1);
    // the explicit access replaced the implicit one: one device access in all
    expect(r.counters.device_accesses).toBe(1);
  });
});
