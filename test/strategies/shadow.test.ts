import { describe, expect, it } from 'vitest';
import { replayText, trace, costs } from '../helpers/replay-text.js';

/** Descriptor-ring accesses off: these scenarios count the buffers' own IOMMU work (rings: test/strategies/rings.test.ts). */
const NO_RINGS = ['device.ring_accesses=0'];

const P = costs();

describe('shadow', () => {
  it('TX copies in at map, RX copies out at unmap; the pool is mapped once and reused', async () => {
    const t = trace(
      '0,0,nic0,net,map,to_device,0x5000,1500,1,',
      '10,0,nic0,net,unmap,,,,1,',
      '20,0,nic0,net,map,from_device,0x9000,1500,2,',
      '30,0,nic0,net,unmap,,,,2,',
    );
    const r = (await replayText(t, 'shadow', NO_RINGS)).by.shadow;
    expect(r.counters.copy_bytes).toBe(3000);
    expect(r.cycles.by_category.copy).toBeCloseTo(2 * (P['copy.call_cycles'] + 1500 * P['copy.byte_cycles']), 9);
    // one 4 KiB shadow page carved into two 2 KiB buffers, mapped once: 3 table links + 1 leaf
    expect(r.pt_updates).toBe(4);
    expect(r.counters.shadow_pages).toBe(1);
    expect(r.iotlb.invalidations).toBe(0);
    expect(r.reuse_rate).toBe(0.5);
    // the second DMA reuses the same shadow buffer: its translation is still cached
    expect(r.iotlb.hits).toBe(1);
    expect(r.exposure.max_bytes).toBe(0);
    expect(r.faults).toBe(0);
  });

  it('a 9000-byte buffer gets a 4-page shadow run; a device write beyond it but in the guest page is not reachable', async () => {
    const t = trace('0,0,nic0,net,map,from_device,0x20000,9000,1,', '5,0,nic0,net,access,from_device,0x21000,64,,', '10,0,nic0,net,unmap,,,,1,');
    const r = (await replayText(t, 'shadow', NO_RINGS)).by.shadow;
    expect(r.counters.shadow_pages).toBe(4);
    expect(r.counters.faults_not_present).toBe(1);
  });
});
