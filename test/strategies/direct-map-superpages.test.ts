import { describe, expect, it } from 'vitest';
import { replayText, trace } from '../helpers/replay-text.js';

/** Descriptor-ring accesses off: these scenarios count the buffers' own IOMMU work (rings: test/strategies/rings.test.ts). */
const NO_RINGS = ['device.ring_accesses=0'];

const rows = ['0,0,nic0,net,map,from_device,0x200000,64,1,', '1,0,nic0,net,unmap,,,,1,', '2,0,nic0,net,map,from_device,0x3ff000,64,2,', '3,0,nic0,net,unmap,,,,2,'];

describe('direct-map with superpages', () => {
  it('2 MiB pages: 512 leaves for 1 GiB, 3-reference walks, one IOTLB entry for the whole 2 MiB', async () => {
    const r = (await replayText(trace(...rows), 'direct-map', [...NO_RINGS, 'direct-map.page_kib=2048'])).by['direct-map'];
    expect(r.setup.pt_updates).toBe(2 + 512);
    expect(r.iotlb.misses).toBe(1);
    expect(r.iotlb.hits).toBe(1);
    expect(r.counters.walk_refs).toBe(3);
  });

  it('1 GiB pages: one leaf, 2-reference walks', async () => {
    const r = (await replayText(trace(...rows), 'direct-map', [...NO_RINGS, 'direct-map.page_kib=1048576'])).by['direct-map'];
    expect(r.setup.pt_updates).toBe(1 + 1);
    expect(r.counters.walk_refs).toBe(2);
  });

  it('4 KiB pages: two pages 2 MiB apart miss twice', async () => {
    const r = (await replayText(trace(...rows), 'direct-map', NO_RINGS)).by['direct-map'];
    expect(r.iotlb.misses).toBe(2);
    expect(r.counters.walk_refs).toBe(8);
  });

  it('a guest whose size is not a multiple of the page size maps its tail with smaller pages', async () => {
    const r = (await replayText(trace(...rows), 'direct-map', [...NO_RINGS, 'direct-map.page_kib=2048', 'guest.memory_mib=5'])).by['direct-map'];
    // 2 x 2 MiB leaves + 256 x 4 KiB leaves; tables: L3, L2 (2 links) + one leaf table (1 link)
    expect(r.setup.pt_updates).toBe(2 + 2 + 1 + 256);
  });
});
