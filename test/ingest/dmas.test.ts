/**
 * ingest makes DMAs as the kernel made them: a scatter-gather list is ONE DMA of several segments
 * (consecutive `map` rows with one handle and time), ended by one `unmap` row.
 *   - Linux >= 6.12 `dma:dma_map_sg`: segments are the list's physical entries, their lengths from
 *     the list's iommu:map lines (else from the event: exact when nothing was merged, else guessed);
 *     `dma_unmap_sg` ends it (paired by device + physical addresses);
 *   - kernels without dma: events: contiguous iommu:maps of one CPU released by one unmap.
 * Small hand-written traces, exact rows expected; each also through the reference parsers.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ingestToCsv, parseDeviceMap, type IngestOptions, type IngestSummary } from '../../src/ingest/ingest.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('dmareplay-dmas-');
let fileNo = 0;

/** Ingests `lines` (a trace file's lines) by the fast path, checks the reference path gives the same, returns rows without the header. */
async function ingestLines(lines: string[], opts: IngestOptions = {}) {
  const path = join(dir, `t${fileNo++}.txt`);
  writeFileSync(path, lines.join('\n') + '\n');
  const run = async (o: IngestOptions) => {
    const summary = {} as IngestSummary;
    const diagnostics = new Diagnostics();
    let text = '';
    for await (const c of ingestToCsv(path, { ...o, diagnostics }, summary)) text += c;
    // (the last column, `cpu`, is checked in ingest.test.ts)
    return { rows: text.trim().split('\n').slice(1).map((l) => l.slice(0, l.lastIndexOf(','))), summary, problems: diagnostics.problems.map(formatProblem) };
  };
  const fast = await run(opts);
  expect(await run({ ...opts, fastPath: false })).toEqual(fast);
  return fast;
}

// Trace lines as /sys/kernel/tracing/trace writes them.
const hex16 = (v: number) => '0x' + v.toString(16).padStart(16, '0');
const at = (cpu: number, us: number, event: string) => `              dd-169     [${String(cpu).padStart(3, '0')}] .....     6.${String(us).padStart(6, '0')}: ${event}`;
const iommuMap = (cpu: number, us: number, iova: number, paddr: number, size: number) => at(cpu, us, `map: IOMMU: iova=${hex16(iova)} - ${hex16(iova + size)} paddr=${hex16(paddr)} size=${size}`);
const iommuUnmap = (cpu: number, us: number, iova: number, size: number) => at(cpu, us, `unmap: IOMMU: iova=${hex16(iova)} - ${hex16(iova + size)} size=${size} unmapped_size=${size}`);
const list = (xs: number[]) => `{${xs.map((x) => '0x' + x.toString(16)).join(',')}}`;
/** A 6.12 dma_map_sg line (with the nents/ents counts of later kernels unless `counts` is false). */
function mapSg(cpu: number, us: number, device: string, dir: string, dmaAddrs: number[], sizes: number[], phys: number[], o: { counts?: boolean; nents?: number; ents?: number } = {}) {
  const nents = o.nents ?? phys.length;
  const ents = o.ents ?? dmaAddrs.length;
  const counts = o.counts === false ? '' : ` nents=${Math.min(nents, 128)}/${nents} ents=${Math.min(ents, 128)}/${ents}${nents > 128 || ents > 128 ? ' [TRUNCATED]' : ''}`;
  return at(cpu, us, `dma_map_sg: ${device} dir=${dir}${counts} dma_addrs=${list(dmaAddrs.slice(0, 128))} sizes=${list(sizes.slice(0, 128))} phys_addrs=${list(phys.slice(0, 128))} attrs=`);
}
const unmapSg = (cpu: number, us: number, device: string, dir: string, phys: number[]) => at(cpu, us, `dma_unmap_sg: ${device} dir=${dir} phys_addrs=${list(phys)} attrs=`);

const NVME = '0000:00:04.0';
const disk = parseDeviceMap(`${NVME},disk,nvme0\n0000:00:03.0,net,eth0\n`, 'devices');

describe('Linux >= 6.12: a dma_map_sg list is one DMA of its physical entries', () => {
  // Three scattered entries merged by the IOMMU into one DMA segment of 16 KiB at 0xfffa0000:
  // an 8 KiB entry (two contiguous pages) at 0xbd3e000, then 4 KiB at 0x1dc6000, 4 KiB at 0x2000000.
  const phys = [0xbd3e000, 0x1dc6000, 0x2000000];
  const sgLine = mapSg(1, 10, NVME, 'FROM_DEVICE', [0xfffa0000], [0x4000], phys);

  it('given the iommu:map lines of the list before it (one per physically contiguous run), when ingested, then one DMA with exactly its pages and lengths', async () => {
    const { rows, summary } = await ingestLines(
      [
        iommuMap(1, 8, 0xfffa0000, 0xbd3e000, 8192),
        iommuMap(1, 9, 0xfffa2000, 0x1dc6000, 4096),
        iommuMap(1, 9, 0xfffa3000, 0x2000000, 4096),
        sgLine,
        unmapSg(0, 50, NVME, 'FROM_DEVICE', phys),
        iommuUnmap(0, 50, 0xfffa0000, 0x4000),
      ],
      { devices: disk },
    );
    expect(rows).toEqual([
      '0,0,nvme0,disk,map,from_device,0xbd3e000,8192,0xfffa0000,',
      '0,0,nvme0,disk,map,from_device,0x1dc6000,4096,0xfffa0000,',
      '0,0,nvme0,disk,map,from_device,0x2000000,4096,0xfffa0000,',
      '40000,0,nvme0,disk,unmap,,,,0xfffa0000,',
    ]);
    expect(summary).toMatchObject({ dmas: 1, maps: 3, unmaps: 1, unmatched_unmaps: 0, live_maps: 0, skipped: { 'iommu-event-duplicating-dma-event': 1 } });
    expect(summary.notes).toContain('3 iommu:map events gave the segment lengths of 1 dma_map_sg lists');
  });

  it('given entries with offsets and a short last entry, when the iommu:map lines give the pages, then each entry runs from its byte to its last page or the DMA segment end', async () => {
    // entry 0: 0x200 into its page (DMA address 0xfffa0200), to the page end; entry 1: a whole page;
    // entry 2: 1500 bytes (the DMA segment ends there). Total 0xe00 + 0x1000 + 1500 = 0x23dc.
    const { rows, summary } = await ingestLines(
      [
        iommuMap(1, 8, 0xfffa0000, 0xbd3e000, 4096),
        iommuMap(1, 9, 0xfffa1000, 0x1dc6000, 4096),
        iommuMap(1, 9, 0xfffa2000, 0x2000000, 4096),
        mapSg(1, 10, NVME, 'TO_DEVICE', [0xfffa0200], [0x23dc], [0xbd3e200, 0x1dc6000, 0x2000000]),
      ],
      { devices: disk },
    );
    expect(rows).toEqual(['0,0,nvme0,disk,map,to_device,0xbd3e200,3584,0xfffa0200,', '0,0,nvme0,disk,map,to_device,0x1dc6000,4096,0xfffa0200,', '0,0,nvme0,disk,map,to_device,0x2000000,1500,0xfffa0200,']);
    expect(summary).toMatchObject({ dmas: 1, live_maps: 1 });
    expect(summary.notes.some((n) => n.includes('guessed'))).toBe(false);
  });

  it('given no iommu:map lines for a merged list, when ingested, then each entry runs to the end of its page, the last makes up the total, and the summary says bytes were guessed', async () => {
    const { rows, summary } = await ingestLines([sgLine], { devices: disk });
    // (the 8 KiB entry is taken as 4 KiB and the last as 8 KiB: same pages count, same total; never 16 KiB from the first entry)
    expect(rows).toEqual(['0,0,nvme0,disk,map,from_device,0xbd3e000,4096,0xfffa0000,', '0,0,nvme0,disk,map,from_device,0x1dc6000,4096,0xfffa0000,', '0,0,nvme0,disk,map,from_device,0x2000000,8192,0xfffa0000,']);
    expect(summary.notes).toContain(
      "1 dma_map_sg lists merged entries and the file has no iommu:map lines for them, so their entries' byte lengths were guessed: each entry runs to the end of its page and the last makes up the list total (record with -e iommu too for exact lengths)",
    );
  });

  it('given a list the IOMMU did not merge (as many DMA segments as entries), when ingested without iommu:map lines, then the sizes are the entries lengths and nothing is guessed', async () => {
    // (and the first 6.12 format, without the nents/ents counts)
    const { rows, summary } = await ingestLines([mapSg(0, 1, NVME, 'TO_DEVICE', [0xfffa0100, 0xfffa2000], [100, 0x1800], [0x5000100, 0x7000000], { counts: false })], { devices: disk });
    expect(rows).toEqual(['0,0,nvme0,disk,map,to_device,0x5000100,100,0xfffa0100,', '0,0,nvme0,disk,map,to_device,0x7000000,6144,0xfffa0100,']);
    expect(summary.notes).toEqual([]);
  });

  it('given a list of 130 pages that the kernel cut at 128 ([TRUNCATED]), when its iommu:map lines are in the file, then they give the last two pages; without them, the summary says pages are missing', async () => {
    const pages = Array.from({ length: 130 }, (_, i) => 0x10000000 + i * 0x3000); // scattered: one run each
    const maps = pages.map((p, i) => iommuMap(1, 5, 0xff000000 + i * 4096, p, 4096));
    const sg = mapSg(1, 6, NVME, 'FROM_DEVICE', [0xff000000], [130 * 4096], pages, { ents: 1 });
    expect(sg).toContain('nents=128/130 ents=1/1 [TRUNCATED] dma_addrs={0xff000000}');
    const all = pages.map((p) => `0,0,nvme0,disk,map,from_device,0x${p.toString(16)},4096,0xff000000,`);
    const withMaps = await ingestLines([...maps, sg], { devices: disk });
    expect(withMaps.rows).toEqual(all);
    expect(withMaps.summary.notes).toContain('130 iommu:map events gave the segment lengths of 1 dma_map_sg lists');
    const without = await ingestLines([sg], { devices: disk });
    expect(without.rows).toEqual(all.slice(0, 128));
    expect(without.summary.notes).toContain('1 dma_map_sg lists were cut at 128 entries by the kernel and the file has no iommu:map lines for the rest: those DMAs lack the pages after the 128th entry');
  });

  it('given 130 unmerged entries of 2 KiB (both arrays cut at 128) and their iommu:map lines, then the 128 shown get their sizes and the last two whole pages, and the summary says so', async () => {
    const pages = Array.from({ length: 130 }, (_, i) => 0x10000000 + i * 0x3000);
    const iovas = pages.map((_, i) => 0xff000000 + i * 4096);
    const { rows, summary } = await ingestLines(
      [...pages.map((p, i) => iommuMap(1, 5, iovas[i], p, 4096)), mapSg(1, 6, NVME, 'TO_DEVICE', iovas, iovas.map(() => 2048), pages)],
      { devices: disk },
    );
    expect(rows).toEqual(pages.map((p, i) => `0,0,nvme0,disk,map,to_device,0x${p.toString(16)},${i < 128 ? 2048 : 4096},0xff000000,`));
    expect(summary.notes).toContain('1 dma_map_sg lists had more than 128 DMA segments, which the kernel does not show: their entries past the 128th segment have whole-page lengths (from the iommu:map lines)');
  });

  it("given an interrupt's dma_unmap_sg and iommu:unmap on the same CPU between the list's iommu:map lines (seen in a real 6.12 capture), then the list still gets all its maps", async () => {
    const irq = (us: number, event: string) => `              dd-190     [001] d.h4.     6.${String(us).padStart(6, '0')}: ${event}`;
    const { rows, summary } = await ingestLines(
      [
        iommuMap(1, 1, 0xfff40000, 0x6360000, 4096),
        mapSg(1, 2, NVME, 'FROM_DEVICE', [0xfff40000], [4096], [0x6360000]),
        iommuMap(1, 3, 0xffe20000, 0x6340000, 8192),
        irq(4, `dma_unmap_sg: ${NVME} dir=FROM_DEVICE phys_addrs={0x6360000} attrs=`),
        irq(4, 'unmap: IOMMU: iova=0x00000000fff40000 - 0x00000000fff41000 size=4096 unmapped_size=4096'),
        iommuMap(1, 5, 0xffe22000, 0x6321000, 4096),
        mapSg(1, 6, NVME, 'FROM_DEVICE', [0xffe20000], [0x3000], [0x6340000, 0x6321000]),
      ],
      { devices: disk },
    );
    expect(rows).toEqual([
      '0,0,nvme0,disk,map,from_device,0x6360000,4096,0xfff40000,',
      '2000,0,nvme0,disk,unmap,,,,0xfff40000,',
      '4000,0,nvme0,disk,map,from_device,0x6340000,8192,0xffe20000,',
      '4000,0,nvme0,disk,map,from_device,0x6321000,4096,0xffe20000,',
    ]);
    expect(summary.notes.some((n) => n.includes('guessed'))).toBe(false);
  });

  it("given iommu:map lines of another CPU or of other DMAs, when a list is mapped, then only its own CPU's maps at its IOVAs give its lengths", async () => {
    const { rows, summary } = await ingestLines(
      [
        iommuMap(1, 1, 0xfffa0000, 0xbd3e000, 4096), // an earlier DMA at the same IOVA (strict mode reuses IOVAs)
        at(1, 1, `dma_map_page: ${NVME} dir=TO_DEVICE dma_addr=fffa0000 size=4096 phys_addr=bd3e000 attrs=`),
        at(1, 2, `dma_unmap_page: ${NVME} dir=TO_DEVICE dma_addr=fffa0000 size=4096 attrs=`),
        iommuUnmap(1, 2, 0xfffa0000, 4096),
        iommuMap(0, 8, 0xfffa0000, 0x9999000, 16384), // CPU 0: not this list's
        iommuMap(1, 8, 0xfffa0000, 0xbd3e000, 8192),
        iommuMap(1, 9, 0xfffa2000, 0x1dc6000, 4096),
        iommuMap(1, 9, 0xfffa3000, 0x2000000, 4096),
        sgLine,
      ],
      { devices: disk },
    );
    expect(rows.slice(2)).toEqual(['9000,0,nvme0,disk,map,from_device,0xbd3e000,8192,0xfffa0000,', '9000,0,nvme0,disk,map,from_device,0x1dc6000,4096,0xfffa0000,', '9000,0,nvme0,disk,map,from_device,0x2000000,4096,0xfffa0000,']);
    expect(summary.skipped).toEqual({ 'iommu-event-duplicating-dma-event': 3 });
  });
});

describe('Linux >= 6.12: any list, laid out as the kernel lays it out', () => {
  it('given a list of entries (offsets, several pages, physically contiguous or not) with its iommu:map lines, then the DMA is exactly its entries, merged into DMA segments or not', async () => {
    // The kernel's layout (iommu_dma_map_sg, iommu_map_sg, __finalise_sg): each entry takes the
    // IOVA pages of its bytes, one after the other; physically contiguous entries share one
    // iommu:map; an entry joins the previous DMA segment when it starts a page and the previous
    // entry filled its pages.
    const entry = fc.record({ page: fc.integer({ min: 0, max: 40 }), next: fc.boolean(), offset: fc.constantFrom(0, 0, 0x200, 0xf00), pages: fc.integer({ min: 1, max: 3 }), short: fc.constantFrom(0, 0, 100, 3000) });
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 3 }), async (raw, cpu) => {
        const base = 0xfff00000;
        const entries: Array<{ phys: number; len: number; iova: number; iovaLen: number }> = [];
        let iova = base;
        raw.forEach((e, i) => {
          const prev = entries[i - 1];
          // (`next`: physically right after the previous entry's pages, so the two share a map)
          const page = e.next && prev ? (prev.phys - (prev.phys % 4096) + prev.iovaLen) / 4096 : 0x10000 + e.page * 16;
          const len = Math.max(1, e.pages * 4096 - e.offset - e.short);
          const iovaLen = Math.ceil((e.offset + len) / 4096) * 4096;
          entries.push({ phys: page * 4096 + e.offset, len, iova, iovaLen });
          iova += iovaLen;
        });
        const runs: Array<{ iova: number; paddr: number; size: number }> = [];
        const segments: Array<{ addr: number; len: number }> = [];
        entries.forEach((e, i) => {
          const lastRun = runs[runs.length - 1];
          if (lastRun && lastRun.paddr + lastRun.size === e.phys - (e.phys % 4096)) lastRun.size += e.iovaLen;
          else runs.push({ iova: e.iova, paddr: e.phys - (e.phys % 4096), size: e.iovaLen });
          const prev = entries[i - 1];
          if (prev && e.phys % 4096 === 0 && (prev.phys % 4096) + prev.len === prev.iovaLen) segments[segments.length - 1].len += e.len;
          else segments.push({ addr: e.iova + (e.phys % 4096), len: e.len });
        });
        const { rows, summary } = await ingestLines(
          [
            ...runs.map((r) => iommuMap(cpu, 1, r.iova, r.paddr, r.size)),
            mapSg(cpu, 2, NVME, 'TO_DEVICE', segments.map((g) => g.addr), segments.map((g) => g.len), entries.map((e) => e.phys)),
          ],
          { devices: disk },
        );
        const handle = '0x' + segments[0].addr.toString(16);
        expect(rows).toEqual(entries.map((e) => `0,0,nvme0,disk,map,to_device,0x${e.phys.toString(16)},${e.len},${handle},`));
        expect(summary.notes.some((n) => n.includes('guessed'))).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});

describe('Linux >= 6.12: dma_unmap_sg ends the whole DMA', () => {
  it('given two live lists of different devices starting at the same physical page and one mapped before the capture, when unmapped, then one unmap row each, paired by device, and one unmatched unmap', async () => {
    const { rows, summary } = await ingestLines([
      mapSg(0, 1, '0000:00:04.0', 'TO_DEVICE', [0xfff00000], [0x2000], [0x5000000, 0x6000000]),
      mapSg(1, 2, '0000:00:03.0', 'FROM_DEVICE', [0xfff00000], [0x1000], [0x5000000]),
      unmapSg(0, 3, '0000:00:03.0', 'FROM_DEVICE', [0x5000000]),
      unmapSg(0, 4, '0000:00:04.0', 'TO_DEVICE', [0x5000000, 0x6000000]),
      unmapSg(0, 5, '0000:00:04.0', 'TO_DEVICE', [0x7000000, 0x8000000, 0x9000000]), // mapped before the capture
    ], { devices: disk });
    expect(rows).toEqual([
      '0,0,nvme0,disk,map,to_device,0x5000000,4096,0xfff00000,',
      '0,0,nvme0,disk,map,to_device,0x6000000,4096,0xfff00000,',
      '1000,0,eth0,net,map,from_device,0x5000000,4096,0xfff00000,',
      '2000,0,eth0,net,unmap,,,,0xfff00000,',
      '3000,0,nvme0,disk,unmap,,,,0xfff00000,',
    ]);
    expect(summary).toMatchObject({ dmas: 2, unmaps: 2, unmatched_unmaps: 1, live_maps: 0 });
  });

  it('given one device with two live lists starting at the same page, when one is unmapped, then the list with the same addresses ends', async () => {
    const { rows } = await ingestLines([
      mapSg(0, 1, NVME, 'TO_DEVICE', [0xfff00000], [0x2000], [0x5000000, 0x6000000]),
      mapSg(0, 2, NVME, 'TO_DEVICE', [0xfff10000], [0x2000], [0x5000000, 0x7000000]),
      unmapSg(0, 3, NVME, 'TO_DEVICE', [0x5000000, 0x7000000]),
    ], { devices: disk });
    expect(rows.slice(4)).toEqual(['2000,0,nvme0,disk,unmap,,,,0xfff10000,']);
  });
});

describe('kernels without dma: events: contiguous iommu:maps of one CPU released by one unmap are one DMA', () => {
  it('given 3 maps at contiguous IOVAs on one CPU and one unmap covering them (a dma_map_sg on Linux 6.1), when ingested, then one DMA of 3 segments at the first map\'s time', async () => {
    const { rows, summary } = await ingestLines(
      [
        iommuMap(1, 1, 0xfff80000, 0x452b000, 4096),
        iommuMap(1, 2, 0xfff81000, 0x4510000, 12288),
        iommuMap(1, 3, 0xfff84000, 0x296b000, 4096),
        iommuUnmap(0, 9, 0xfff80000, 0x5000),
      ],
      { device: 'nvme0n1', cls: 'disk' },
    );
    expect(rows).toEqual([
      '0,0,nvme0n1,disk,map,bidirectional,0x452b000,4096,0xfff80000,',
      '0,0,nvme0n1,disk,map,bidirectional,0x4510000,12288,0xfff80000,',
      '0,0,nvme0n1,disk,map,bidirectional,0x296b000,4096,0xfff80000,',
      '8000,0,nvme0n1,disk,unmap,,,,0xfff80000,',
    ]);
    expect(summary).toMatchObject({ events: 4, dmas: 1, maps: 3, unmaps: 1, unmatched_unmaps: 0, live_maps: 0 });
  });

  it('given contiguous-looking maps released by separate unmaps (LIFO IOVA caches), when ingested, then separate DMAs, and the rows after them wait so time order holds', async () => {
    const { rows, summary } = await ingestLines(
      [
        iommuMap(0, 1, 0xffe55000, 0x2870000, 4096),
        iommuMap(0, 2, 0xffe56000, 0x2827000, 4096),
        iommuMap(0, 3, 0xffe57000, 0x29c7000, 4096),
        iommuUnmap(1, 4, 0xfff00000, 4096), // mapped before the capture
        iommuUnmap(1, 5, 0xffe56000, 4096),
        iommuUnmap(1, 6, 0xffe55000, 4096),
        iommuUnmap(1, 7, 0xffe57000, 4096),
      ],
      { device: 'eth0', cls: 'net' },
    );
    expect(rows).toEqual([
      '0,0,eth0,net,map,bidirectional,0x2870000,4096,0xffe55000,',
      '1000,0,eth0,net,map,bidirectional,0x2827000,4096,0xffe56000,',
      '2000,0,eth0,net,map,bidirectional,0x29c7000,4096,0xffe57000,',
      '4000,0,eth0,net,unmap,,,,0xffe56000,',
      '5000,0,eth0,net,unmap,,,,0xffe55000,',
      '6000,0,eth0,net,unmap,,,,0xffe57000,',
    ]);
    expect(summary).toMatchObject({ dmas: 3, unmatched_unmaps: 1, live_maps: 0 });
  });

  it('given one unmap covering two stretches of one run with a member released earlier between them, then two DMAs and two unmap rows', async () => {
    const { rows } = await ingestLines(
      [
        iommuMap(0, 1, 0x10000, 0x100000, 4096),
        iommuMap(0, 2, 0x11000, 0x200000, 4096),
        iommuMap(0, 3, 0x12000, 0x300000, 4096),
        iommuMap(0, 4, 0x13000, 0x400000, 4096),
        iommuUnmap(1, 5, 0x11000, 4096),
        iommuMap(1, 6, 0x11000, 0x500000, 4096), // another CPU maps the freed IOVA again
        iommuUnmap(1, 7, 0x10000, 0x4000),
      ],
      { device: 'eth0', cls: 'net' },
    );
    expect(rows).toEqual([
      '0,0,eth0,net,map,bidirectional,0x100000,4096,0x10000,',
      '1000,0,eth0,net,map,bidirectional,0x200000,4096,0x11000,',
      '2000,0,eth0,net,map,bidirectional,0x300000,4096,0x12000,',
      '2000,0,eth0,net,map,bidirectional,0x400000,4096,0x12000,',
      '4000,0,eth0,net,unmap,,,,0x11000,',
      '5000,0,eth0,net,map,bidirectional,0x500000,4096,0x11000,',
      '6000,0,eth0,net,unmap,,,,0x10000,',
      '6000,0,eth0,net,unmap,,,,0x11000,',
      '6000,0,eth0,net,unmap,,,,0x12000,',
    ]);
  });

  it('given two CPUs mapping lists at once, interleaved, when ingested, then each CPU\'s contiguous maps are its own DMA, and a map contiguous with the other CPU\'s joins nothing', async () => {
    const { rows, summary } = await ingestLines(
      [
        iommuMap(0, 1, 0x10000, 0x100000, 4096),
        iommuMap(1, 2, 0x20000, 0x200000, 4096),
        iommuMap(0, 3, 0x11000, 0x110000, 4096),
        iommuMap(1, 4, 0x21000, 0x210000, 8192),
        iommuMap(1, 5, 0x12000, 0x120000, 4096), // CPU 1, at the end of CPU 0's range: not CPU 0's list
        iommuUnmap(0, 6, 0x20000, 0x3000),
        iommuUnmap(1, 7, 0x10000, 0x3000),
      ],
      { device: 'nvme0n1', cls: 'disk' },
    );
    expect(rows).toEqual([
      '0,0,nvme0n1,disk,map,bidirectional,0x100000,4096,0x10000,',
      '0,0,nvme0n1,disk,map,bidirectional,0x110000,4096,0x10000,',
      '1000,0,nvme0n1,disk,map,bidirectional,0x200000,4096,0x20000,',
      '1000,0,nvme0n1,disk,map,bidirectional,0x210000,8192,0x20000,',
      '4000,0,nvme0n1,disk,map,bidirectional,0x120000,4096,0x12000,',
      '5000,0,nvme0n1,disk,unmap,,,,0x20000,',
      '6000,0,nvme0n1,disk,unmap,,,,0x10000,',
      '6000,0,nvme0n1,disk,unmap,,,,0x12000,',
    ]);
    expect(summary).toMatchObject({ dmas: 3, maps: 5, unmaps: 3 });
  });

  it('given maps still live at the end of the file, then consecutive live members of a run stay one DMA', async () => {
    const { rows, summary } = await ingestLines([iommuMap(0, 1, 0x10000, 0x100000, 4096), iommuMap(0, 2, 0x11000, 0x200000, 4096), iommuMap(0, 3, 0x30000, 0x300000, 4096)], { device: 'eth0', cls: 'net' });
    expect(rows).toEqual(['0,0,eth0,net,map,bidirectional,0x100000,4096,0x10000,', '0,0,eth0,net,map,bidirectional,0x200000,4096,0x10000,', '2000,0,eth0,net,map,bidirectional,0x300000,4096,0x30000,']);
    expect(summary).toMatchObject({ dmas: 2, live_maps: 2 });
    expect(summary.notes.some((n) => n.includes('still waiting'))).toBe(false);
  });

  it('given a run whose unmaps do not come within the bound, then it is taken as one DMA, a later unmap of part of it unmaps it all, the rest\'s unmap releases nothing, and the summary says so', async () => {
    const { rows, summary } = await ingestLines(
      [
        iommuMap(0, 1, 0x10000, 0x100000, 4096),
        iommuMap(0, 2, 0x11000, 0x200000, 4096),
        iommuMap(0, 3, 0x12000, 0x300000, 4096),
        iommuMap(0, 4, 0x40000, 0x400000, 4096),
        iommuUnmap(1, 5, 0x40000, 4096),
        iommuUnmap(1, 6, 0x11000, 4096),
        iommuUnmap(1, 7, 0x10000, 4096),
        iommuUnmap(1, 8, 0x12000, 4096),
      ],
      { device: 'eth0', cls: 'net', groupHoldEvents: 4 },
    );
    expect(rows).toEqual([
      '0,0,eth0,net,map,bidirectional,0x100000,4096,0x10000,',
      '0,0,eth0,net,map,bidirectional,0x200000,4096,0x10000,',
      '0,0,eth0,net,map,bidirectional,0x300000,4096,0x10000,',
      '3000,0,eth0,net,map,bidirectional,0x400000,4096,0x40000,',
      '4000,0,eth0,net,unmap,,,,0x40000,',
      '5000,0,eth0,net,unmap,,,,0x10000,',
    ]);
    expect(summary).toMatchObject({ dmas: 2, unmaps: 2, unmatched_unmaps: 0, live_maps: 0 });
    expect(summary.notes).toContain('1 runs of contiguous iommu:map events were still waiting for their unmaps after 4 events or 10 s of trace time and were taken as one DMA each; 1 later unmaps released only part of such a DMA and were taken to unmap all of it');
  });

  it('given an iommu:-only trace, then the summary says direction and byte length are unknown and what that does to shadow and the attack matrix', async () => {
    const { summary } = await ingestLines([iommuMap(0, 1, 0x10000, 0x100000, 4096)], { device: 'eth0', cls: 'net' });
    expect(summary.notes).toContain(
      "direction and byte length are unknown (no dma: events, Linux < 6.12), so rows are bidirectional with whole-page lengths: the 'shadow' strategy then copies whole pages both ways (overstating its copy cost) and the attack matrix's wrong-direction scenario has nothing to test",
    );
    const withDma = await ingestLines([at(0, 1, `dma_map_page: ${NVME} dir=TO_DEVICE dma_addr=fffa0000 size=64 phys_addr=bd3e000 attrs=`)], { devices: disk });
    expect(withDma.summary.notes.some((n) => n.includes('direction and byte length are unknown'))).toBe(false);
  });
});

describe('the bundled Linux 6.1 capture (iommu: events only)', () => {
  it('qemu-nvme-strict: each kernel iommu:unmap of maps in the file is exactly one canonical unmap row, and its maps are the segments of that one DMA', async () => {
    const raw = gunzipSync(readFileSync('traces/capture/qemu-nvme-strict.txt.gz')).toString().split('\n');
    // The kernel's view, straight from the text: live maps by IOVA page; each unmap's pages.
    const live = new Map<number, { paddr: number; size: number }>();
    const kernelUnmaps: string[] = [];
    for (const l of raw) {
      const m = / (map|unmap): IOMMU: iova=0x([0-9a-f]+) - 0x[0-9a-f]+ (?:paddr=0x([0-9a-f]+) )?size=(\d+)/.exec(l);
      if (!m) continue;
      const page = parseInt(m[2], 16) / 4096;
      const size = Number(m[4]);
      if (m[1] === 'map') live.set(page, { paddr: parseInt(m[3], 16), size });
      else {
        const pages: number[] = [];
        for (let p = page; p < page + size / 4096; p++) {
          const mapped = live.get(p);
          if (!mapped) continue;
          live.delete(p);
          for (let k = 0; k < mapped.size / 4096; k++) pages.push(mapped.paddr / 4096 + k);
        }
        if (pages.length > 0) kernelUnmaps.push(pages.sort((a, b) => a - b).join(' '));
      }
    }
    // The canonical view: each unmap row's DMA (the map rows of its handle), as physical pages.
    const summary = {} as IngestSummary;
    let text = '';
    for await (const c of ingestToCsv('traces/capture/qemu-nvme-strict.txt.gz', { device: 'nvme0n1', cls: 'disk' }, summary)) text += c;
    const dmas = new Map<string, number[]>();
    const canonicalUnmaps: string[] = [];
    for (const r of text.trim().split('\n').slice(1).map((l) => l.split(','))) {
      const [op, addr, len, handle] = [r[4], r[6], r[7], r[8]];
      if (op === 'map') {
        const pages = dmas.get(handle) ?? [];
        for (let k = 0; k < Number(len) / 4096; k++) pages.push(parseInt(addr, 16) / 4096 + k);
        dmas.set(handle, pages);
      } else {
        canonicalUnmaps.push(dmas.get(handle)!.sort((a, b) => a - b).join(' '));
        dmas.delete(handle);
      }
    }
    expect(kernelUnmaps.length).toBe(129);
    expect(canonicalUnmaps).toEqual(kernelUnmaps);
    expect(summary).toMatchObject({ unmatched_unmaps: 0, unmaps: 129 });
    // (some DMAs are lists of 27-32 segments)
    expect(Math.max(...canonicalUnmaps.map((u) => u.split(' ').length))).toBe(32);
  });
});

describe('--devices: the capture\'s sysfs device list', () => {
  it('given a devices CSV with the header device,driver,pci_class, then storage is disk, network is net, other classes have none, and names stay the PCI addresses', () => {
    expect(parseDeviceMap('device,driver,pci_class\n0000:00:03.0,e1000,0x020000\n0000:00:04.0,nvme,0x010802\n0000:00:01.0,bochs-drm,0x030000\n', 'devices.csv')).toEqual({
      '0000:00:03.0': { class: 'net', driver: 'e1000', pciClass: '0x020000' },
      '0000:00:04.0': { class: 'disk', driver: 'nvme', pciClass: '0x010802' },
      '0000:00:01.0': { class: undefined, driver: 'bochs-drm', pciClass: '0x030000' },
    });
    expect(() => parseDeviceMap('device,driver,pci_class\n0000:00:03.0,e1000,net\n', 'devices.csv')).toThrow("devices.csv:2: expected 'device,driver,pci_class' with a hex PCI class such as 0x010802");
  });

  it('given a 6.12 capture and its devices CSV, when ingested, then each device gets the class of its PCI class, and one of no known class falls back (and is named in the notes)', async () => {
    const devices = parseDeviceMap('device,driver,pci_class\n0000:00:03.0,e1000,0x020000\n0000:00:04.0,nvme,0x010802\n0000:00:05.0,virtio-pci,0x00ff00\n', 'devices.csv');
    const { rows, summary } = await ingestLines(
      ['0000:00:03.0', '0000:00:04.0', '0000:00:05.0'].map((dev, i) => at(0, i, `dma_map_page: ${dev} dir=TO_DEVICE dma_addr=fff0${i}000 size=64 phys_addr=100000 attrs=`)),
      { devices },
    );
    expect(rows).toEqual([
      '0,0,0000:00:03.0,net,map,to_device,0x100000,64,0xfff00000,',
      '1000,0,0000:00:04.0,disk,map,to_device,0x100000,64,0xfff01000,',
      '2000,0,0000:00:05.0,net,map,to_device,0x100000,64,0xfff02000,',
    ]);
    expect(summary.notes).toContain("device '0000:00:05.0' (driver virtio-pci, PCI class 0x00ff00: neither storage nor network): class unknown, taken as net (give --class or a --devices file)");
  });

  it('the kernel-name,net|disk[,canonical-name] format still works', () => {
    expect(parseDeviceMap('# a comment\neth0,net\n0000:00:04.0,disk,nvme0\n', 'map')).toEqual({ eth0: { class: 'net', name: undefined }, '0000:00:04.0': { class: 'disk', name: 'nvme0' } });
  });
});
