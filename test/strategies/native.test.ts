import { describe, expect, it } from 'vitest';
import { NOT_OWNED, replayText, trace } from '../helpers/replay-text.js';

describe('native', () => {
  it('charges driver work only and never blocks anything', async () => {
    const t = trace(`0,0,nic0,net,map,to_device,${NOT_OWNED},64,1,`, '5,0,nic0,net,access,from_device,0x7000,64,,', '10,0,nic0,net,unmap,,,,1,');
    const r = (await replayText(t, 'native', ['guest.memory_mib=1', 'host.memory_mib=2'])).by.native;
    expect(r.cycles.total).toBe(350);
    expect(r.cycles.per_dma).toBe(350);
    expect(r.faults).toBe(0);
    expect(r.hypercalls).toBe(0);
    expect(r.overhead_vs_native).toBe(0);
    expect(r.iotlb.miss_rate).toBeNull();
    expect(r.reuse_rate).toBeNull();
    expect(r.counters.device_accesses).toBe(2);
    // with no IOMMU the device reaches all host memory, not its guest's alone
    expect(r.exposure.max_bytes).toBe(2 * 1024 * 1024);
  });
});
