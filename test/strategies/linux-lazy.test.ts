import { describe, expect, it } from 'vitest';
import { replayText, trace } from '../helpers/replay-text.js';

/** n map/unmap pairs of one page each, 1 us apart, on distinct pages. */
function pairs(n: number, start = 0): string[] {
  const rows: string[] = [];
  for (let k = 0; k < n; k++) {
    const ts = start + k * 1000;
    const addr = '0x' + ((0x100 + k) * 4096).toString(16);
    rows.push(`${ts},0,nic0,net,map,from_device,${addr},1500,${start + k},`);
    rows.push(`${ts + 500},0,nic0,net,unmap,,,,${start + k},`);
  }
  return rows;
}

describe('linux-lazy', () => {
  it('256 unmaps -> 1 domain-wide flush (one request + one wait); nothing invalidated before', async () => {
    const r = (await replayText(trace(...pairs(256)), 'linux-lazy', ['linux.fq_size=256'])).by['linux-lazy'];
    expect(r.counters.fq_flushes).toBe(1);
    expect(r.counters.fq_timeouts).toBe(0);
    expect(r.iotlb.invalidations).toBe(1);
    expect(r.iotlb.waits).toBe(1);
    expect(r.counters.iova_frees).toBe(256);
    expect(r.counters.stale_bytes).toBe(0);
  });

  it('255 unmaps and no timeout: no flush; the queued pages stay exposed at the end', async () => {
    const r = (await replayText(trace(...pairs(255)), 'linux-lazy', ['linux.fq_size=256'])).by['linux-lazy'];
    expect(r.counters.fq_flushes).toBe(0);
    expect(r.iotlb.invalidations).toBe(0);
    expect(r.counters.stale_bytes).toBe(255 * 4096);
  });

  it('given one guest page unmapped 4 times before a flush, then it is exposed once (4 KiB), not once per queued unmap', async () => {
    // one RX buffer recycled: the same 2 KiB in one page, mapped and unmapped 4 times
    const rows: string[] = [];
    for (let k = 0; k < 4; k++) rows.push(`${k * 1000},0,nic0,net,map,from_device,0x7000,2048,${k},`, `${k * 1000 + 500},0,nic0,net,unmap,,,,${k},`);
    const r = (await replayText(trace(...rows), 'linux-lazy', ['linux.fq_size=256'])).by['linux-lazy'];
    expect(r.counters.fq_flushes).toBe(0);
    expect(r.counters.stale_bytes).toBe(4 * 4096); // four ranges of IOVA space await invalidation
    expect(r.exposure.max_bytes).toBe(4096); // but they reach one guest page
  });

  it('a device access to an unmapped IOVA before the flush succeeds through the stale IOTLB entry', async () => {
    const t = trace(
      '0,0,nic0,net,map,from_device,0x7000,1500,1,',
      '10,0,nic0,net,access,from_device,0x7000,1500,1,', // loads the IOTLB
      '20,0,nic0,net,unmap,,,,1,',
      // the device writes to the same IOVA after the unmap, before any flush (no handle: it uses
      // the address it last had; the first IOVA the allocator hands out for this domain)
      '30,0,nic0,net,access,from_device,0xfffff000,64,,',
    );
    const r = (await replayText(t, 'linux-lazy')).by['linux-lazy'];
    expect(r.counters.iotlb_stale_hits).toBe(1);
    expect(r.faults).toBe(0);
    // strict mode blocks the same access
    const s = (await replayText(t, 'linux-strict')).by['linux-strict'];
    expect(s.faults).toBe(1);
    expect(s.counters.iotlb_stale_hits).toBe(0);
  });

  it('the timer flushes 10 ms after the first queued unmap, at the next event', async () => {
    const t = trace('0,0,nic0,net,map,from_device,0x7000,64,1,', '10,0,nic0,net,unmap,,,,1,', '5000000,0,nic0,net,map,from_device,0x8000,64,2,', '10000010,0,nic0,net,unmap,,,,2,');
    const r = (await replayText(t, 'linux-lazy')).by['linux-lazy'];
    expect(r.counters.fq_timeouts).toBe(1);
    expect(r.counters.fq_flushes).toBe(1);
    // the first range was stale from 10 ns to 10,000,010 ns; the second is queued at the end
    expect(r.counters.stale_window_ns).toBe(10_000_000);
  });
});
