import { describe, expect, it } from 'vitest';
import { NOT_OWNED, replayText, trace, costs } from '../helpers/replay-text.js';

/** Descriptor-ring accesses off: these scenarios count the buffers' own IOMMU work (rings: test/strategies/rings.test.ts). */
const NO_RINGS = ['device.ring_accesses=0'];

const P = costs();

describe('direct-map', () => {
  it('maps all guest memory once at guest start, reported as setup, and nothing per DMA', async () => {
    // A 1 MiB guest: 256 pages, all in one leaf table: 3 table links + 256 leaves
    const t = trace('0,0,nic0,net,map,from_device,0x3000,1500,1,', '10,0,nic0,net,unmap,,,,1,');
    const r = (await replayText(t, 'direct-map', [...NO_RINGS, 'guest.memory_mib=1'])).by['direct-map'];
    expect(r.setup).toEqual({ pt_updates: 259, cycles: 259 * P['pt.update_cycles'] });
    expect(r.pt_updates).toBe(0);
    expect(r.hypercalls).toBe(0);
    expect(r.iotlb.invalidations).toBe(0);
    expect(r.reuse_rate).toBe(1);
    expect(r.mappings.peak).toBe(256);
    expect(r.cycles.total).toBe(P['driver.map_cycles'] + P['driver.unmap_cycles'] + 4 * P['iommu.walk_ref_cycles']);
    // the walk is IOMMU time: the CPU does what native's does, so the overhead over native is 0
    expect(r.cycles.cpu).toBe(P['driver.map_cycles'] + P['driver.unmap_cycles']);
    expect(r.overhead_vs_native).toBe(0);
    // everything but the buffer in flight is exposed
    expect(r.exposure.max_bytes).toBe(1024 * 1024);
  });

  it('a page the guest does not own is not mapped: the access faults and the map is no reuse', async () => {
    const t = trace(`0,0,nic0,net,map,from_device,${NOT_OWNED},64,1,`, '10,0,nic0,net,unmap,,,,1,');
    const r = (await replayText(t, 'direct-map', [...NO_RINGS, 'guest.memory_mib=1'])).by['direct-map'];
    expect(r.faults).toBe(1);
    expect(r.counters.faults_not_present).toBe(1);
    expect(r.reuse_rate).toBe(0);
  });

  it('given a 1 MiB guest whose DMA lands at 64 GiB (RAM beyond guest.memory_mib), then the page is its own: mapped as setup, served, no fault', async () => {
    const t = trace('0,0,nic0,net,map,from_device,0x1000000000,64,1,', '10,0,nic0,net,unmap,,,,1,');
    const r = (await replayText(t, 'direct-map', [...NO_RINGS, 'guest.memory_mib=1'])).by['direct-map'];
    expect([r.faults, r.reuse_rate, r.pt_updates]).toEqual([0, 1, 0]);
    // RAM: 3 links + 256 leaves; the page at 64 GiB: a new PD and leaf table (2 links) + its leaf
    expect(r.setup.pt_updates).toBe(259 + 3);
    expect(r.mappings.peak).toBe(257);
    expect(r.exposure.max_bytes).toBe(1024 * 1024 + 4096); // its page stays reachable after the unmap
  });
});
