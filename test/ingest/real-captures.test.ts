/**
 * The bundled real captures, checked against the kernel's own lines: each ingested DMA is exactly
 * the DMA the kernel made, and the replay does per DMA what Linux did.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { replayTrace } from '../../src/replay/replay.js';
import { resolveProfileByName } from '../../src/cost/profile.js';
import { parseStrategyList } from '../../src/strategies/index.js';

const raw = (name: string) => gunzipSync(readFileSync(`traces/capture/${name}`)).toString().split('\n');
const csv = (name: string) => gunzipSync(readFileSync(`traces/${name}`)).toString().trim().split('\n').slice(1).map((l) => l.split(','));
const pageOf = (hex: string) => BigInt(hex) >> 12n;

/** The DMAs of a canonical trace: handle -> the pages of its segments, in order. */
function dmasOf(rows: string[][]): { device: string; pages: bigint[] }[] {
  const out: { device: string; pages: bigint[] }[] = [];
  let prev: string[] | null = null;
  for (const r of rows) {
    const [, , device, , op, , addr, len, handle] = r;
    if (op === 'map') {
      const first = BigInt(addr);
      const pages: bigint[] = [];
      for (let p = first >> 12n; p <= (first + BigInt(len) - 1n) >> 12n; p++) pages.push(p);
      if (prev && prev[4] === 'map' && prev[2] === device && prev[8] === handle) out[out.length - 1].pages.push(...pages);
      else out.push({ device, pages });
    }
    prev = r;
  }
  return out;
}

describe('a Linux 6.12 NVMe capture (dma: and iommu: events)', () => {
  for (const mode of ['strict', 'lazy']) {
    it(`${mode}: each ingested DMA maps exactly the pages of its dma_map_sg (or dma_map_page) line, in order`, () => {
      const kernel: bigint[][] = [];
      for (const line of raw(`qemu612-nvme-${mode}.txt.gz`)) {
        const sg = / dma_map_sg: \S+ .*? phys_addrs=\{([^}]*)\}/.exec(line);
        if (sg) kernel.push(sg[1].split(',').map(pageOf));
        const page = / dma_map_page: \S+ .*? size=(\d+) phys_addr=([0-9a-f]+)/.exec(line);
        if (page) {
          const first = BigInt('0x' + page[2]);
          const pages: bigint[] = [];
          for (let p = first >> 12n; p <= (first + BigInt(page[1]) - 1n) >> 12n; p++) pages.push(p);
          kernel.push(pages);
        }
      }
      const ingested = dmasOf(csv(`qemu612-nvme-${mode}.csv.gz`));
      expect(ingested.length).toBe(512);
      // A list's entries may span several pages (the iommu:map lines say how many): its first
      // page is the entry's, the rest follow on.
      expect(ingested.map((d) => d.pages.length).reduce((a, b) => a + b, 0)).toBe(16384); // 64 MiB read
      ingested.forEach((d, k) => {
        for (const p of kernel[k]) expect(d.pages).toContain(p);
        expect(d.pages[0]).toBe(kernel[k][0]);
      });
    });
  }

  it('unmatched unmaps are only those whose maps precede the capture: none on the disk, the 255 RX buffers posted before the NIC trace began', async () => {
    const { ingestToCsv } = await import('../../src/ingest/ingest.js');
    const summaries: Record<string, number> = {};
    for (const f of ['nvme-strict', 'e1000-strict']) {
      const s = {} as import('../../src/ingest/ingest.js').IngestSummary;
      for await (const _ of ingestToCsv(`traces/capture/qemu612-${f}.txt.gz`, {}, s)) void _;
      summaries[f] = s.unmatched_unmaps;
    }
    expect(summaries).toEqual({ 'nvme-strict': 0, 'e1000-strict': 255 });
  });
});

describe('a Linux 6.1 NVMe capture (iommu: events only)', () => {
  it('linux-strict allocates one IOVA range per DMA and waits once per kernel iommu:unmap; single-use makes at most one hypercall per list each way', async () => {
    const kernelUnmaps = raw('qemu-nvme-strict.txt.gz').filter((l) => / unmap: IOMMU: /.test(l)).length;
    const run = await replayTrace('traces/qemu-nvme-strict.csv.gz', { strategies: parseStrategyList('linux-strict,single-use'), profile: resolveProfileByName('xen-2008') });
    const [strict, single] = run.results;
    // every kernel unmap in the file has its maps in it; one DMA is still live at the end
    expect(strict.counters.iova_allocs).toBe(strict.dmas);
    expect(strict.iotlb.waits).toBe(kernelUnmaps);
    expect(strict.dmas).toBe(kernelUnmaps + strict.live_at_end);
    expect(single.hypercalls).toBeLessThanOrEqual(2 * single.dmas);
    // some lists are one contiguous 128 KiB segment, others scattered pages: every kernel map is a segment
    const kernelMaps = raw('qemu-nvme-strict.txt.gz').filter((l) => / map: IOMMU: /.test(l));
    expect(single.segments).toBe(kernelMaps.length);
    expect(single.segments).toBeGreaterThan(single.dmas);
    expect(single.pages).toBe(kernelMaps.map((l) => Number(/size=(\d+)/.exec(l)![1]) / 4096).reduce((a, b) => a + b, 0));
  });
});

describe('lazy mode on the real captures', () => {
  // The guests ran under QEMU's TCG, whose timer interrupts arrive late: in qemu612-nvme-lazy
  // the flush after the first queued unmap comes 12.2-13.3 ms after it, the next 14.4-15.3 ms
  // after its arming unmap, where a jiffy-exact 10 ms timer at HZ 250 fires within 8-12 ms. So the
  // model is run with one jiffy of timer latency (4 ms), as those captures show.
  const CAPTURED = ['linux.timer_latency_ns=4000000'];
  for (const t of ['qemu-e1000-lazy', 'qemu-nvme-lazy', 'qemu612-e1000-lazy', 'qemu612-nvme-lazy', 'qemu612-both-lazy']) {
    it(`${t}: the distinct IOVAs linux-lazy uses are within 10% of the capture's own (modern-vtd: per-CPU queues of 255, 12 ms timer, per-CPU IOVA caches)`, async () => {
      const pages = new Set<string>();
      for (const r of csv(`${t}.csv.gz`)) if (r[4] === 'map') pages.add(`${r[2]} ${BigInt(r[8]) >> 12n}`);
      const run = await replayTrace(`traces/${t}.csv.gz`, { strategies: parseStrategyList('linux-lazy'), profile: resolveProfileByName('modern-vtd', CAPTURED) });
      const model = run.results[0].counters.iova_distinct;
      expect(Math.abs(model - pages.size) / pages.size, `model ${model}, capture ${pages.size}`).toBeLessThanOrEqual(0.1);
    });
  }
});
