/**
 * Descriptor rings through the IOMMU: for each DMA posted the device reads its descriptor (or
 * submission entry), for each DMA completed it writes one back (or a completion entry), in ring
 * pages mapped once.
 */
import { describe, expect, it } from 'vitest';
import { replayText, trace } from '../helpers/replay-text.js';

describe('descriptor rings', () => {
  const TX = trace('0,0,nic0,net,map,to_device,0x5000,64,1,', '10,0,nic0,net,unmap,,,,1,');

  it('given one TX buffer under single-use, then the device reads its descriptor and writes it back in the TX ring page, mapped once as setup', async () => {
    const r = (await replayText(TX, 'single-use')).by['single-use'];
    expect(r.counters.ring_accesses).toBe(2);
    // buffer: 1 translation (miss); ring: read (miss) + write-back (hit) on one 4 KiB ring page
    expect([r.iotlb.hits, r.iotlb.misses]).toEqual([1, 2]);
    // TX and RX rings (256 x 16 B: a page each) in the guest's domain, under a PML4 entry of
    // their own: PDPT, PD and leaf table linked, then two leaves
    expect(r.setup.pt_updates).toBe(3 + 2);
    // the ring pages stay mapped: they are not buffers, so not exposure
    expect(r.counters.live_mappings).toBe(2);
    expect(r.exposure.max_bytes).toBe(4096 - 64);
  });

  it('with no IOMMU (native, software) the accesses are counted and nothing is translated', async () => {
    const { by } = await replayText(TX, 'native,software');
    for (const s of ['native', 'software']) expect([s, by[s].counters.ring_accesses, by[s].iotlb.misses]).toEqual([s, 2, 0]);
  });

  it('direct-map reaches the rings at their guest-physical pages (top of RAM), already mapped: no setup of their own', async () => {
    const r = (await replayText(TX, 'direct-map', ['guest.memory_mib=1'])).by['direct-map'];
    expect(r.setup.pt_updates).toBe(259); // the 1 MiB of RAM only
    expect([r.faults, r.counters.ring_accesses, r.iotlb.misses]).toEqual([0, 2, 2]);
  });

  it('given a disk request, then the device reads a submission entry and writes a completion entry, in two ring pages', async () => {
    const t = trace('0,0,vda,disk,map,from_device,0x5000,4096,1,', '10,0,vda,disk,unmap,,,,1,');
    const r = (await replayText(t, 'linux-strict')).by['linux-strict'];
    expect(r.counters.ring_accesses).toBe(2);
    expect([r.iotlb.hits, r.iotlb.misses]).toEqual([0, 3]);
  });

  it('given 257 TX buffers, then the producer wraps round the 256-entry ring: the 257th descriptor is in the first page again', async () => {
    const rows: string[] = [];
    for (let k = 0; k < 257; k++) rows.push(`${k},0,nic0,net,map,to_device,0x${(0x100000 + k * 0x1000).toString(16)},64,${k},`);
    const r = (await replayText(trace(...rows), 'linux-strict', ['iotlb.entries=512', 'iotlb.ways=4'])).by['linux-strict'];
    // 257 descriptor reads in one ring page: one miss, 256 hits; the buffers are never accessed
    // (no unmap: they are live at the end)
    expect([r.counters.ring_accesses, r.iotlb.misses, r.iotlb.hits]).toEqual([257, 1, 256]);
  });

  it('device.ring_accesses=0 leaves the rings out', async () => {
    const r = (await replayText(TX, 'single-use', ['device.ring_accesses=0'])).by['single-use'];
    expect([r.counters.ring_accesses, r.setup.pt_updates, r.iotlb.misses]).toEqual([0, 0, 1]);
  });
});
