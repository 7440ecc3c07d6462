import { describe, expect, it } from 'vitest';
import { replayText, trace, costs } from '../helpers/replay-text.js';

/** Descriptor-ring accesses off: these scenarios count the buffers' own IOMMU work (rings: test/strategies/rings.test.ts). */
const NO_RINGS = ['device.ring_accesses=0'];

const P = costs();

describe('shared', () => {
  it('two in-flight buffers in one page: one leaf write, one map hypercall, one unmap hypercall', async () => {
    // Given two 2 KiB RX buffers in the same page, both in flight at once
    const t = trace(
      '0,0,nic0,net,map,from_device,0x2000000,2048,1,',
      '10,0,nic0,net,map,from_device,0x2000800,2048,2,',
      '20,0,nic0,net,unmap,,,,1,',
      '30,0,nic0,net,unmap,,,,2,',
    );
    const r = (await replayText(t, 'shared', NO_RINGS)).by.shared;
    // Then only the first user maps the page (3 table links + 1 leaf) and only the last unmaps it
    expect(r.counters.pages_mapped_new).toBe(1);
    expect(r.pt_updates).toBe(3 + 1 + 1);
    expect(r.hypercalls).toBe(2);
    expect(r.reuse_rate).toBe(0.5);
    expect(r.iotlb.invalidations).toBe(1);
    expect(r.iotlb.waits).toBe(1);
    // the driver counts the page at each map and each unmap
    expect(r.counters.refcount_updates).toBe(4);
    // the second buffer's device access hits the IOTLB entry the first one loaded
    expect(r.iotlb.misses).toBe(1);
    expect(r.iotlb.hits).toBe(1);
    expect(r.faults).toBe(0);
    expect(r.cycles.total).toBe(
      2 * (P['driver.map_cycles'] + P['driver.unmap_cycles']) +
        2 * P['hypercall.cycles'] +
        P['validate.page_cycles'] +
        4 * P['refcount.update_cycles'] +
        5 * P['pt.update_cycles'] +
        P['iotlb.invalidate_cycles'] +
        P['iotlb.wait_cycles'] +
        4 * P['iommu.walk_ref_cycles'],
    );
    expect(r.cycles.total).toBe(6080);
  });

  it('a page mapped read-only for TX, then used for RX while still in flight, is upgraded with an invalidation', async () => {
    const t = trace(
      '0,0,nic0,net,map,to_device,0x4000,100,1,',
      '10,0,nic0,net,map,from_device,0x4800,100,2,',
      '20,0,nic0,net,unmap,,,,1,',
      '30,0,nic0,net,unmap,,,,2,',
    );
    const r = (await replayText(t, 'shared', NO_RINGS)).by.shared;
    expect(r.hypercalls).toBe(3); // map, upgrade, final unmap
    expect(r.counters.pages_mapped_new).toBe(2);
    expect(r.iotlb.invalidations).toBe(2); // upgrade + final unmap
    expect(r.reuse_rate).toBe(0);
    expect(r.faults).toBe(0);
  });

  it('the same guest-physical page in two guests is two mappings', async () => {
    const t = trace(
      '0,0,nic0,net,map,from_device,0x8000,512,1,',
      '1,1,nic1,net,map,from_device,0x8000,512,1,',
      '2,0,nic0,net,unmap,,,,1,',
      '3,1,nic1,net,unmap,,,,1,',
    );
    const r = (await replayText(t, 'shared', NO_RINGS)).by.shared;
    expect(r.counters.pages_mapped_new).toBe(2);
    expect(r.reuse_rate).toBe(0);
    expect(r.mappings.peak).toBe(2);
  });
});
