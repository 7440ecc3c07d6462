/**
 * One batching rule for every strategy that makes hypercalls: DMAs a driver posts together (same
 * guest and device, sharing a unit or a timestamp) share one hypercall, up to hypercall.batch;
 * hypercall.batch=1 turns batching off.
 */
import { describe, expect, it } from 'vitest';
import { replayText, trace } from '../helpers/replay-text.js';

/** Three TX buffers of one packet posted together, completed together. */
const PACKET = trace(
  '0,0,nic0,net,map,to_device,0x1000,64,1,p',
  '0,0,nic0,net,map,to_device,0x2000,64,2,p',
  '0,0,nic0,net,map,to_device,0x3000,64,3,p',
  '50,0,nic0,net,unmap,,,,1,p',
  '50,0,nic0,net,unmap,,,,2,p',
  '50,0,nic0,net,unmap,,,,3,p',
);

describe('hypercall batching', () => {
  it('given three DMAs posted and completed together, then each strategy pays one hypercall per batch, as software does', async () => {
    const { by } = await replayText(PACKET, 'single-use,shared,persistent,software');
    expect([by['single-use'].hypercalls, by.shared.hypercalls, by.persistent.hypercalls, by.software.hypercalls]).toEqual([2, 2, 1, 1]);
  });

  it('given hypercall.batch=1, then one hypercall per DMA that needs one, in every strategy', async () => {
    const { by } = await replayText(PACKET, 'single-use,shared,persistent,software', ['hypercall.batch=1']);
    expect([by['single-use'].hypercalls, by.shared.hypercalls, by.persistent.hypercalls, by.software.hypercalls]).toEqual([6, 6, 3, 3]);
  });

  it('given hypercall.batch=2, then a batch of three needs two calls each way', async () => {
    const { by } = await replayText(PACKET, 'single-use,software', ['hypercall.batch=2']);
    expect([by['single-use'].hypercalls, by.software.hypercalls]).toEqual([4, 2]);
  });

  it('a DMA that needs no VMM work (a persistent mapping reused) rides along and opens no call', async () => {
    const t = trace(
      '0,0,nic0,net,map,to_device,0x1000,64,1,',
      '10,0,nic0,net,unmap,,,,1,',
      // the next packet: page 0x1000 again (reused), then a new page: one call for the new one
      '20,0,nic0,net,map,to_device,0x1000,64,2,q',
      '20,0,nic0,net,map,to_device,0x2000,64,3,q',
      '30,0,nic0,net,unmap,,,,2,q',
      '30,0,nic0,net,unmap,,,,3,q',
    );
    const r = (await replayText(t, 'persistent')).by.persistent;
    expect([r.hypercalls, r.counters.map_reuses]).toEqual([2, 1]);
  });

  it('DMAs of another device, or another kind of row in between, are not posted together', async () => {
    const t = trace(
      '0,0,nic0,net,map,to_device,0x1000,64,1,',
      '0,0,vda,disk,map,to_device,0x2000,64,2,',
      '0,0,nic0,net,map,to_device,0x3000,64,3,',
      '5,0,nic0,net,unmap,,,,1,',
      '5,0,nic0,net,map,to_device,0x4000,64,4,',
      '5,0,nic0,net,unmap,,,,3,',
    );
    const r = (await replayText(t, 'single-use')).by['single-use'];
    // maps: {1}, {2}, {3}, {4}; unmaps: {1}, {3}
    expect(r.hypercalls).toBe(6);
  });

  it('refused maps still cost their hypercall; the unmap of a refused map makes none', async () => {
    const t = trace('0,0,nic0,net,map,to_device,0x10000000000000,64,1,p', '0,0,nic0,net,map,to_device,0x2000,64,2,p', '9,0,nic0,net,unmap,,,,1,p', '9,0,nic0,net,unmap,,,,2,p');
    const r = (await replayText(t, 'single-use')).by['single-use'];
    expect([r.hypercalls, r.counters.maps_rejected]).toEqual([2, 1]);
  });
});
