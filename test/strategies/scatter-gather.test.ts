/**
 * A scatter-gather list is one DMA (one DMA API call): given one read of three scattered
 * segments (4 pages, 16 KiB), every strategy does per DMA what its definition says, once, and per
 * page what it says per page. Each number below is worked out by hand from the xen-2008 costs.
 */
import { describe, expect, it } from 'vitest';
import { replayText, trace, costs } from '../helpers/replay-text.js';

/** Descriptor-ring accesses off: these scenarios count the buffers' own IOMMU work (rings: test/strategies/rings.test.ts). */
const NO_RINGS = ['device.ring_accesses=0'];

const P = costs();

/** One disk read of three scattered segments: 4 KiB at 0x10000, 4 KiB at 0x23000, 8 KiB at 0x5000. */
const SG = trace(
  '0,0,vda,disk,map,from_device,0x10000,4096,7,',
  '0,0,vda,disk,map,from_device,0x23000,4096,7,',
  '0,0,vda,disk,map,from_device,0x5000,8192,7,',
  '100,0,vda,disk,unmap,,,,7,',
);

/** The same pages as three DMAs of their own (what ingest used to make of a list). */
const THREE = trace(
  '0,0,vda,disk,map,from_device,0x10000,4096,1,',
  '0,0,vda,disk,map,from_device,0x23000,4096,2,',
  '0,0,vda,disk,map,from_device,0x5000,8192,3,',
  '100,0,vda,disk,unmap,,,,1,',
  '100,0,vda,disk,unmap,,,,2,',
  '100,0,vda,disk,unmap,,,,3,',
);

describe('a scatter-gather DMA', () => {
  it('is one DMA of 3 segments and 4 pages for every strategy; the device touches each segment', async () => {
    const { results } = await replayText(SG, 'all', NO_RINGS);
    for (const r of results) {
      expect([r.strategy, r.dmas, r.segments, r.pages, r.faults]).toEqual([r.strategy, 1, 3, 4, 0]);
      expect([r.counters.device_accesses, r.counters.page_accesses]).toEqual([3, 4]);
    }
  });

  it('single-use: one hypercall each way, one IOVA range of 4 pages, 4 PTEs, 4 page invalidations, one wait', async () => {
    const r = (await replayText(SG, 'single-use', NO_RINGS)).by['single-use'];
    expect(r.hypercalls).toBe(2);
    expect([r.counters.validations, r.counters.iova_allocs, r.counters.iova_frees]).toEqual([4, 1, 1]);
    // the first map links 3 tables below the root, then 4 leaves; the unmap clears 4
    expect(r.pt_updates).toBe(3 + 4 + 4);
    expect([r.iotlb.invalidations, r.iotlb.waits, r.iotlb.misses]).toEqual([4, 1, 4]);
    expect(r.cycles.cpu).toBe(P['driver.map_cycles'] + P['driver.unmap_cycles'] + 2 * P['hypercall.cycles'] + 4 * P['validate.page_cycles'] + 11 * P['pt.update_cycles'] + 4 * P['iotlb.invalidate_cycles'] + P['iotlb.wait_cycles'] + P['iova.alloc_cycles'] + P['iova.free_cycles']);
  });

  it('single-use, the same pages as three DMAs: three IOVA ranges and three waits (one hypercall each way, batched)', async () => {
    const r = (await replayText(THREE, 'single-use', NO_RINGS)).by['single-use'];
    expect([r.dmas, r.hypercalls, r.counters.iova_allocs, r.iotlb.waits]).toEqual([3, 2, 3, 3]);
  });

  it('linux-strict: one IOVA allocation, one range invalidation and one wait for the whole list', async () => {
    const r = (await replayText(SG, 'linux-strict', NO_RINGS)).by['linux-strict'];
    expect([r.counters.iova_allocs, r.counters.iova_frees, r.iotlb.invalidations, r.iotlb.waits]).toEqual([1, 1, 1, 1]);
    expect(r.pt_updates).toBe(3 + 4 + 4);
    expect(r.hypercalls).toBe(0);
    const three = (await replayText(THREE, 'linux-strict', NO_RINGS)).by['linux-strict'];
    expect([three.counters.iova_allocs, three.iotlb.invalidations, three.iotlb.waits]).toEqual([3, 3, 3]);
  });

  it('linux-lazy: the list is one flush-queue entry, and its 4 pages stay reachable until the flush', async () => {
    const r = (await replayText(SG + '20000000,0,vda,disk,map,from_device,0x90000,64,8,\n', 'linux-lazy', NO_RINGS)).by['linux-lazy'];
    // the timer (10 ms after the entry) flushes once, at the next event
    expect([r.counters.fq_flushes, r.counters.fq_timeouts, r.counters.iova_frees]).toEqual([1, 1, 1]);
    expect(r.exposure.max_bytes).toBe(4 * 4096);
  });

  it('shared and persistent: one hypercall for the list; shared unmaps it in one more', async () => {
    const { by } = await replayText(SG, 'shared,persistent', NO_RINGS);
    expect([by.shared.hypercalls, by.shared.counters.validations, by.shared.counters.refcount_updates]).toEqual([2, 4, 8]);
    expect([by.persistent.hypercalls, by.persistent.counters.validations, by.persistent.counters.refcount_updates]).toEqual([1, 4, 4]);
  });

  it('software: one hypercall; each page validated, pinned and unpinned', async () => {
    const r = (await replayText(SG, 'software', NO_RINGS)).by.software;
    expect([r.hypercalls, r.counters.validations, r.counters.refcount_updates]).toEqual([1, 4, 8]);
  });

  it('shadow: one bounce buffer per segment, each copied out on its own', async () => {
    const r = (await replayText(SG, 'shadow', NO_RINGS)).by.shadow;
    expect([r.counters.copy_bytes, r.counters.shadow_pages]).toEqual([16384, 4]);
    expect(r.cycles.by_category.copy).toBe(3 * P['copy.call_cycles'] + 16384 * P['copy.byte_cycles']);
    expect(r.cycles.by_category['iova-alloc']).toBe(6 * P['shadow.alloc_cycles']);
  });

  it('native and direct-map: driver work once per DMA', async () => {
    const { by } = await replayText(SG, 'native,direct-map', NO_RINGS);
    expect(by.native.cycles.total).toBe(P['driver.map_cycles'] + P['driver.unmap_cycles']);
    expect(by['direct-map'].cycles.cpu).toBe(P['driver.map_cycles'] + P['driver.unmap_cycles']);
    expect(by['direct-map'].reuse_rate).toBe(1);
  });

  it('given two segments in one page, then single-use and linux map the page twice (two IOVA pages) and shared counts it twice', async () => {
    const t = trace('0,0,nic0,net,map,to_device,0x5000,100,3,', '0,0,nic0,net,map,to_device,0x5800,100,3,', '10,0,nic0,net,unmap,,,,3,');
    const { by } = await replayText(t, 'single-use,linux-strict,shared,persistent', NO_RINGS);
    expect(by['single-use'].pages).toBe(2);
    expect(by['single-use'].mappings.peak).toBe(2);
    expect(by['linux-strict'].mappings.peak).toBe(2);
    expect([by.shared.mappings.peak, by.shared.counters.live_mappings, by.shared.hypercalls]).toEqual([1, 0, 2]);
    expect([by.persistent.mappings.peak, by.persistent.hypercalls]).toEqual([1, 1]);
  });

  it('an explicit access to the second segment goes to its IOVA page in the packed range', async () => {
    const t = trace(
      '0,0,vda,disk,map,from_device,0x10000,4096,7,',
      '0,0,vda,disk,map,from_device,0x23000,4096,7,',
      '50,0,vda,disk,access,from_device,0x23000,4096,7,',
      '100,0,vda,disk,unmap,,,,7,',
    );
    const { by } = await replayText(t, 'single-use,linux-strict,shadow', NO_RINGS);
    for (const id of ['single-use', 'linux-strict', 'shadow']) expect([id, by[id].faults, by[id].counters.device_accesses]).toEqual([id, 0, 1]);
  });
});
