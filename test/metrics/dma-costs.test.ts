/**
 * Cycles per DMA as a distribution and per device (metrics/dma-costs.ts): what the mean hides.
 * Each scenario is small enough that every DMA's cost can be worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CostHistogram, bucketOf } from '../../src/metrics/dma-costs.js';
import { costs, replayText, trace } from '../helpers/replay-text.js';

describe('the cost histogram', () => {
  it('given costs below 256 cycles, then every percentile is exact (nearest rank)', () => {
    const h = new CostHistogram();
    for (let v = 1; v <= 100; v++) h.add(v);
    expect([h.quantile(0.5), h.quantile(0.9), h.quantile(0.99), h.max]).toEqual([50, 90, 99, 100]);
  });

  it('given one cost every DMA shares, however large, then the percentiles are that cost exactly', () => {
    const h = new CostHistogram();
    for (let i = 0; i < 1000; i++) h.add(123_456.5);
    expect(h.quantile(0.5)).toBe(123_456.5);
    expect(h.quantile(0.99)).toBe(123_456.5);
  });

  it('given spread costs above 256 cycles, then a percentile is within 0.4% above the true one', () => {
    const h = new CostHistogram();
    for (let v = 1; v <= 100_000; v++) h.add(v);
    for (const [q, exact] of [[0.5, 50_000], [0.9, 90_000], [0.99, 99_000]]) {
      const got = h.quantile(q)!;
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got / exact - 1).toBeLessThan(1 / 256);
    }
  });

  it('given any cost, then its bucket is the one the log-linear definition gives (exponent and top 8 mantissa bits read from the bits)', () => {
    // The definition: below 256 the value itself; above, e = floor(log2 x) and
    // m = floor((x / 2^e - 1) * 256), bucket 256 + (e - 8) * 256 + m, capped at the last.
    const last = 256 + (62 - 8) * 256 - 1;
    const byDefinition = (x: number): number => {
      if (x < 256) return Math.floor(x);
      let e = Math.floor(Math.log2(x));
      if (2 ** e > x) e--;
      if (2 ** (e + 1) <= x) e++;
      return Math.min(last, 256 + (e - 8) * 256 + Math.floor((x / 2 ** e - 1) * 256));
    };
    const edges = [0, 0.5, 255, 255.99, 256, 257, 511, 512, 513, 2 ** 20 - 1, 2 ** 20, 2 ** 53 - 1, 2 ** 53, 2 ** 62, 2 ** 70];
    for (const x of edges) expect(bucketOf(x), String(x)).toBe(byDefinition(x));
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.double({ min: 0, max: 2 ** 64, noNaN: true })), (x) => bucketOf(x) === byDefinition(x)),
      { numRuns: 5000 },
    );
  });

  it('given no DMA, then no percentile', () => {
    expect(new CostHistogram().quantile(0.5)).toBeNull();
  });
});

describe('cycles per DMA as a distribution', () => {
  const driver = costs()['driver.map_cycles'] + costs()['driver.unmap_cycles'];

  it('given native, when every DMA costs the driver its map and unmap, then p50 = p90 = p99 = max = that cost', async () => {
    const { by } = await replayText(trace('0,0,nic0,net,map,from_device,0x2000,2048,1,', '10,0,nic0,net,map,from_device,0x3000,2048,2,', '20,0,nic0,net,unmap,,,,1,', '30,0,nic0,net,unmap,,,,2,'), 'native');
    expect(by.native.cycles.per_dma_dist).toEqual({ p50: driver, p90: driver, p99: driver, max: driver });
    expect(by.native.cycles.cpu_per_dma_dist).toEqual({ p50: driver, p90: driver, p99: driver, max: driver });
    expect(by.native.cycles.cpu_per_dma).toBe(driver);
  });

  it('given four DMAs posted together under software, then the first pays the batch hypercall: max = p50 + hypercall.cycles', async () => {
    const rows = trace(
      '0,0,nic0,net,map,from_device,0x2000,2048,1,7',
      '0,0,nic0,net,map,from_device,0x3000,2048,2,7',
      '0,0,nic0,net,map,from_device,0x4000,2048,3,7',
      '0,0,nic0,net,map,from_device,0x5000,2048,4,7',
      '50,0,nic0,net,unmap,,,,1,',
      '60,0,nic0,net,unmap,,,,2,',
      '70,0,nic0,net,unmap,,,,3,',
      '80,0,nic0,net,unmap,,,,4,',
    );
    const withCall = (await replayText(rows, 'software')).by.software.cycles.per_dma_dist!;
    const free = (await replayText(rows, 'software', ['hypercall.cycles=0'])).by.software.cycles.per_dma_dist!;
    // Without the hypercall's cost every DMA costs the same; with it, one DMA carries it.
    expect(free.p50).toBe(free.max);
    expect(withCall.p50).toBe(free.p50);
    expect(withCall.p90).toBe(free.p50 + costs()['hypercall.cycles']);
    expect(withCall.max).toBe(free.p50 + costs()['hypercall.cycles']);
  });

  it('given DMAs still mapped at the end, then they are left out of the distribution but not of the mean', async () => {
    const { by } = await replayText(trace('0,0,nic0,net,map,from_device,0x2000,2048,1,', '10,0,nic0,net,map,from_device,0x3000,2048,2,', '20,0,nic0,net,unmap,,,,1,'), 'native');
    expect(by.native.cycles.per_dma_dist).toEqual({ p50: driver, p90: driver, p99: driver, max: driver });
    expect(by.native.cycles.per_dma).toBe((driver + costs()['driver.map_cycles']) / 2);
  });
});

describe('cycles per device', () => {
  const rows = trace(
    '0,0,nic0,net,map,from_device,0x2000,2048,1,',
    '5,0,vda,disk,map,to_device,0x10000,16384,9,',
    '10,0,nic0,net,map,from_device,0x3000,2048,2,',
    '20,0,nic0,net,unmap,,,,1,',
    '25,0,vda,disk,unmap,,,,9,',
    '30,0,nic0,net,unmap,,,,2,',
  );

  it('given a NIC and a disk, then each device gets its DMAs and the cycles of its rows, which add up to the run\'s', async () => {
    const { results } = await replayText(rows, 'native,linux-strict,single-use');
    for (const r of results) {
      expect(r.devices!.map((d) => [d.device, d.class, d.dmas])).toEqual([['nic0', 'net', 2], ['vda', 'disk', 1]]);
      expect(r.devices!.reduce((s, d) => s + d.cycles, 0)).toBeCloseTo(r.cycles.total, 6);
      expect(r.devices!.reduce((s, d) => s + d.cpu_cycles, 0)).toBeCloseTo(r.cycles.cpu, 6);
    }
  });

  it('given single-use, then the disk DMA of four pages costs more than a one-page NIC DMA (four PTEs and invalidations)', async () => {
    const { by } = await replayText(rows, 'single-use');
    const [nic, disk] = by['single-use'].devices!;
    expect(disk.per_dma!).toBeGreaterThan(nic.per_dma!);
  });
});
