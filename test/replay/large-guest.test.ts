/**
 * Guests whose buffers lie above 4 GiB, up to 128 GiB (a large VM: RAM above the PCI hole starts
 * at 0x1_0000_0000): their pages are their own, so nothing is refused, and the strategies do
 * exactly what their definitions give by hand. (The old model gave each guest a 1 GiB slab and
 * refused every such map in silence.)
 */
import { describe, expect, it } from 'vitest';
import { replayText, trace } from '../helpers/replay-text.js';

// Two guests recycle one RX buffer each, twice: guest 0 at 64 GiB + 0x1000 (a 2 KiB buffer),
// guest 1 just below 128 GiB; and guest 0 sends one 8 KiB buffer straddling 4 GiB.
const T = trace(
  '0,0,nic0,net,map,from_device,0x1000001000,2048,1,',
  '0,1,nic1,net,map,from_device,0x1ffffff000,2048,1,',
  '10,0,nic0,net,unmap,,,,1,',
  '10,1,nic1,net,unmap,,,,1,',
  '20,0,nic0,net,map,from_device,0x1000001000,2048,2,',
  '20,1,nic1,net,map,from_device,0x1ffffff000,2048,2,',
  '30,0,nic0,net,unmap,,,,2,',
  '30,1,nic1,net,unmap,,,,2,',
  '40,0,nic0,net,map,to_device,0xfffff000,8192,3,',
  '50,0,nic0,net,unmap,,,,3,',
);

describe('guests above 4 GiB, up to 128 GiB', () => {
  it('given such a trace, then no strategy refuses a map or faults', async () => {
    const { results, warnings } = await replayText(T);
    for (const r of results) expect([r.strategy, r.counters.maps_rejected, r.faults]).toEqual([r.strategy, 0, 0]);
    expect(warnings.filter((w) => w.includes('refused'))).toEqual([]);
  });

  it('shared: a hypercall to map and one to unmap for each of the 5 DMAs (no page outlives its buffer); no reuse', async () => {
    const r = (await replayText(T, 'shared')).by.shared;
    // maps at one time belong to different guests/devices: no batching
    expect([r.hypercalls, r.reuse_rate, r.counters.validations]).toEqual([10, 0, 6]);
  });

  it('persistent: one hypercall per page first mapped (3 distinct pages... of 4: the send spans 2), and the second RX map of each guest is a reuse', async () => {
    const r = (await replayText(T, 'persistent')).by.persistent;
    // hypercalls: guest 0 RX, guest 1 RX, the send; reuses: the two second RX maps
    expect([r.hypercalls, r.counters.map_reuses, r.reuse_rate, r.counters.validations]).toEqual([3, 2, 0.4, 4]);
  });

  it('single-use: two hypercalls and one IOVA range per DMA; linux-strict: one allocation and one wait per DMA', async () => {
    const { by } = await replayText(T, 'single-use,linux-strict');
    expect([by['single-use'].hypercalls, by['single-use'].counters.iova_allocs, by['single-use'].iotlb.waits]).toEqual([10, 5, 5]);
    expect([by['linux-strict'].counters.iova_allocs, by['linux-strict'].iotlb.waits]).toEqual([5, 5]);
  });
});
