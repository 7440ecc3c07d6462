import { describe, expect, it } from 'vitest';
import { NOT_OWNED, replayText, trace, costs } from '../helpers/replay-text.js';

const P = costs();

describe('software', () => {
  it('descriptors of one packet posted together share one hypercall; every page is validated and pinned', async () => {
    const t = trace(
      '0,0,nic0,net,map,to_device,0x1000,54,h1,p1',
      '0,0,nic0,net,map,to_device,0x2000,4096,h2,p1',
      '0,0,nic0,net,map,to_device,0x3000,4096,h3,p1',
      '50,0,nic0,net,unmap,,,,h1,p1',
      '50,0,nic0,net,unmap,,,,h2,p1',
      '50,0,nic0,net,unmap,,,,h3,p1',
    );
    const r = (await replayText(t, 'software')).by.software;
    expect(r.hypercalls).toBe(1);
    expect(r.counters.validations).toBe(3);
    expect(r.counters.refcount_updates).toBe(6); // 3 pins, 3 unpins
    expect(r.iotlb.misses).toBe(0);
    expect(r.faults).toBe(0);
    expect(r.reuse_rate).toBeNull();
    expect(r.units).toBe(1);
    expect(r.cycles.total).toBe(3 * (P['driver.map_cycles'] + P['driver.unmap_cycles']) + P['hypercall.cycles'] + 3 * P['validate.page_cycles'] + 6 * P['refcount.update_cycles']);
    expect(r.cycles.total).toBe(2750);
  });

  it('hypercall.batch caps how many descriptors one hypercall validates; 1 turns batching off', async () => {
    const t = trace('0,0,nic0,net,map,to_device,0x1000,64,1,u', '0,0,nic0,net,map,to_device,0x2000,64,2,u', '0,0,nic0,net,map,to_device,0x3000,64,3,u');
    expect((await replayText(t, 'software', ['hypercall.batch=2'])).by.software.hypercalls).toBe(2);
    expect((await replayText(t, 'software', ['hypercall.batch=1'])).by.software.hypercalls).toBe(3);
  });

  it('with no IOMMU a device reaches all host memory: exposure is host.memory_mib beyond the buffer in flight', async () => {
    const t = trace('0,0,nic0,net,map,to_device,0x1000,64,1,', '10,0,nic0,net,unmap,,,,1,');
    const r = (await replayText(t, 'software', ['host.memory_mib=2'])).by.software;
    expect(r.exposure.max_bytes).toBe(2 * 1024 * 1024);
    expect(r.exposure.avg_bytes).toBe(2 * 1024 * 1024 - 64);
  });

  it('maps of different devices, or separated by other events, are separate batches', async () => {
    const t = trace('0,0,nic0,net,map,to_device,0x1000,64,1,', '0,0,vda,disk,map,to_device,0x2000,64,2,', '0,0,nic0,net,map,to_device,0x3000,64,3,');
    const r = (await replayText(t, 'software')).by.software;
    expect(r.hypercalls).toBe(3);
  });

  it('a descriptor naming a page the guest does not own is refused; its device access faults', async () => {
    const t = trace(`0,0,nic0,net,map,to_device,${NOT_OWNED},64,1,`, '10,0,nic0,net,unmap,,,,1,');
    const r = (await replayText(t, 'software')).by.software;
    expect(r.counters.maps_rejected).toBe(1);
    expect(r.faults).toBe(1);
    expect(r.counters.refcount_updates).toBe(0);
  });
});
