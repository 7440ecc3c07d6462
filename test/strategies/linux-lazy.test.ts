/**
 * linux-lazy: Linux's flush queue as dma-iommu.c has it: per-CPU rings of 255 ranges, one timer
 * per domain armed when not armed, firing at its jiffy (between events too), ranges freed only
 * after a flush that covered them.
 */
import { describe, expect, it } from 'vitest';
import { replayText, trace } from '../helpers/replay-text.js';

/** Linux 6.x: rings of 255 ranges per CPU, 10 ms at HZ 250 (3 jiffies = 12 ms); no rings. */
const LINUX = ['linux.fq_size=255', 'linux.fq_per_cpu=1', 'linux.fq_timeout_ms=10', 'linux.hz=250', 'linux.timer_latency_ns=0', 'device.ring_accesses=0'];

const HEADER = 'ts_ns,guest,device,class,op,dir,addr,len,handle,unit,cpu';
const cpuTrace = (...rows: string[]) => [HEADER, ...rows].join('\n') + '\n';

/** n map/unmap pairs of one page each, 1 us apart, on distinct pages, on `cpu`. */
function pairs(n: number, start = 0, cpu = 0): string[] {
  const rows: string[] = [];
  for (let k = 0; k < n; k++) {
    const ts = start + k * 1000;
    const addr = '0x' + ((0x100 + start / 1000 + k) * 4096).toString(16);
    rows.push(`${ts},0,nic0,net,map,from_device,${addr},1500,${start + k},,${cpu}`);
    rows.push(`${ts + 500},0,nic0,net,unmap,,,,${start + k},,${cpu}`);
  }
  return rows;
}

describe('linux-lazy', () => {
  it('given 255 unmaps on one CPU and no timer yet, then nothing is flushed and every range is stale', async () => {
    const r = (await replayText(cpuTrace(...pairs(255)), 'linux-lazy', LINUX)).by['linux-lazy'];
    expect([r.counters.fq_flushes, r.iotlb.invalidations, r.counters.iova_frees]).toEqual([0, 0, 0]);
    expect(r.counters.stale_bytes).toBe(255 * 4096);
  });

  it('given a 256th unmap on a full ring, then the domain is flushed first (one request + one wait), the 255 ranges freed, and the 256th queued', async () => {
    const r = (await replayText(cpuTrace(...pairs(256)), 'linux-lazy', LINUX)).by['linux-lazy'];
    expect([r.counters.fq_flushes, r.counters.fq_timeouts, r.iotlb.invalidations, r.iotlb.waits, r.counters.iova_frees]).toEqual([1, 0, 1, 1, 255]);
    expect(r.counters.stale_bytes).toBe(4096);
  });

  it('given unmaps on two CPUs, then each fills its own ring: 300 unmaps split 150/150 never flush', async () => {
    const rows = [...pairs(150, 0, 0), ...pairs(150, 150_000, 1)].sort((a, b) => Number(a.split(',')[0]) - Number(b.split(',')[0]));
    const r = (await replayText(cpuTrace(...rows), 'linux-lazy', LINUX)).by['linux-lazy'];
    expect(r.counters.fq_flushes).toBe(0);
    const one = (await replayText(cpuTrace(...rows), 'linux-lazy', [...LINUX, 'linux.fq_per_cpu=0'])).by['linux-lazy'];
    expect(one.counters.fq_flushes).toBe(1); // one ring for all CPUs: full at the 256th
  });

  it('a full-ring flush covers every CPU\'s ranges (they stop being reachable) but frees only the flushing CPU\'s; the others are freed at their CPU\'s next unmap', async () => {
    const rows = [...pairs(1, 0, 1), ...pairs(256, 10_000, 0)].sort((a, b) => Number(a.split(',')[0]) - Number(b.split(',')[0]));
    rows.push('400000,0,nic0,net,map,from_device,0x900000,64,999,,1', '400500,0,nic0,net,unmap,,,,999,,1');
    const r = (await replayText(cpuTrace(...rows), 'linux-lazy', LINUX)).by['linux-lazy'];
    // CPU 0's 256th unmap flushed: its 255 freed; CPU 1's range freed at CPU 1's next unmap
    expect([r.counters.fq_flushes, r.counters.iova_frees]).toEqual([1, 256]);
    // after the flush only CPU 0's 256th and CPU 1's last range are stale
    expect(r.counters.stale_bytes).toBe(2 * 4096);
  });

  it('the timer fires at its deadline, between events: armed at 10 ns, it flushes at 12 ms (3 jiffies), and the stale window ends there', async () => {
    const t = cpuTrace('0,0,nic0,net,map,from_device,0x7000,64,1,,0', '10,0,nic0,net,unmap,,,,1,,0', '5000000,0,nic0,net,map,from_device,0x8000,64,2,,0', '13000000,0,nic0,net,unmap,,,,2,,0');
    const r = (await replayText(t, 'linux-lazy', LINUX)).by['linux-lazy'];
    expect([r.counters.fq_timeouts, r.counters.fq_flushes, r.counters.iova_frees]).toEqual([1, 1, 1]);
    // stale from 10 ns to 12 ms; the second range is queued at the last event
    expect(r.counters.stale_window_ns).toBe(12_000_000 - 10);
    // at HZ 1000 the same 10 ms is 10 jiffies: the deadline is 10 ms
    const fast = (await replayText(t, 'linux-lazy', [...LINUX, 'linux.hz=1000'])).by['linux-lazy'];
    expect(fast.counters.stale_window_ns).toBe(10_000_000 - 10);
  });

  it('given two unmaps 1 ms apart covered by one timer flush at 12 ms, then each is stale until that flush: 24 ms - 1 ms summed over 2 deferred unmaps, while the window with any range stale is 12 ms', async () => {
    const t = cpuTrace(
      '0,0,nic0,net,map,from_device,0x7000,64,1,,0',
      '10,0,nic0,net,unmap,,,,1,,0', // arms the timer: it fires at 12 ms
      '500000,0,nic0,net,map,from_device,0x8000,64,2,,0',
      '1000010,0,nic0,net,unmap,,,,2,,0',
      '20000000,0,nic0,net,map,from_device,0x9000,64,3,,0', // the trace goes on past the flush
    );
    const r = (await replayText(t, 'linux-lazy', LINUX)).by['linux-lazy'];
    expect([r.counters.fq_timeouts, r.counters.deferred_unmaps, r.counters.stale_ranges]).toEqual([1, 2, 0]);
    expect(r.counters.stale_range_ns).toBe(12_000_000 - 10 + (12_000_000 - 1_000_010));
    expect(r.counters.stale_window_ns).toBe(12_000_000 - 10);
    // linux-strict invalidates at the unmap: nothing is deferred
    const s = (await replayText(t, 'linux-strict', LINUX)).by['linux-strict'];
    expect([s.counters.deferred_unmaps, s.counters.stale_range_ns]).toEqual([0, 0]);
  });

  it('given 256 unmaps 1 us apart on one ring, then the full-ring flush at the 256th ends the first 255 ranges\' stale time (255 us - k us each) and the 256th, queued at the last event, adds none', async () => {
    const r = (await replayText(cpuTrace(...pairs(256)), 'linux-lazy', LINUX)).by['linux-lazy'];
    expect([r.counters.fq_flushes, r.counters.deferred_unmaps, r.counters.stale_ranges]).toEqual([1, 256, 1]);
    let sum = 0;
    for (let k = 0; k < 255; k++) sum += 255_500 - (k * 1000 + 500);
    expect(r.counters.stale_range_ns).toBe(sum);
  });

  it('a full-ring flush neither cancels nor re-arms the timer: it still fires at the first arming\'s deadline', async () => {
    // 256 unmaps in 256 us (flush at the 256th), then one more at 11 ms; the timer armed at the
    // first unmap (0.5 us) fires at 12 ms and flushes again
    const rows = [...pairs(256), '11000000,0,nic0,net,map,from_device,0x700000,64,900,,0', '11000500,0,nic0,net,unmap,,,,900,,0', '13000000,0,nic0,net,map,from_device,0x701000,64,901,,0'];
    const r = (await replayText(cpuTrace(...rows), 'linux-lazy', LINUX)).by['linux-lazy'];
    expect([r.counters.fq_flushes, r.counters.fq_timeouts]).toEqual([2, 1]);
  });

  it('given one guest page unmapped 4 times before a flush, then it is exposed once (4 KiB), not once per queued unmap', async () => {
    const rows: string[] = [];
    for (let k = 0; k < 4; k++) rows.push(`${k * 1000},0,nic0,net,map,from_device,0x7000,2048,${k},`, `${k * 1000 + 500},0,nic0,net,unmap,,,,${k},`);
    const r = (await replayText(trace(...rows), 'linux-lazy', LINUX)).by['linux-lazy'];
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
    const r = (await replayText(t, 'linux-lazy', LINUX)).by['linux-lazy'];
    expect(r.counters.iotlb_stale_hits).toBe(1);
    expect(r.faults).toBe(0);
    // strict mode blocks the same access
    const s = (await replayText(t, 'linux-strict', LINUX)).by['linux-strict'];
    expect(s.faults).toBe(1);
    expect(s.counters.iotlb_stale_hits).toBe(0);
  });

  it('IOVAs come back only after a flush: two pairs in 1 us use two IOVAs; after the timer the next map reuses the last freed', async () => {
    const t = cpuTrace(
      '0,0,nic0,net,map,from_device,0x7000,64,1,,0',
      '100,0,nic0,net,unmap,,,,1,,0',
      '200,0,nic0,net,map,from_device,0x8000,64,2,,0',
      '300,0,nic0,net,unmap,,,,2,,0',
      '20000000,0,nic0,net,map,from_device,0x9000,64,3,,0',
    );
    const r = (await replayText(t, 'linux-lazy', [...LINUX, 'iova.magazine_size=127', 'iova.depot_magazines=32'])).by['linux-lazy'];
    expect([r.counters.iova_distinct, r.counters.fq_timeouts]).toEqual([2, 1]);
    const strict = (await replayText(t, 'linux-strict', [...LINUX, 'iova.magazine_size=127', 'iova.depot_magazines=32'])).by['linux-strict'];
    expect(strict.counters.iova_allocs).toBe(3);
  });
});
