/**
 * ingest: fixture excerpts of each kernel trace format (written from the kernel's documented
 * event formats, include/trace/events/iommu.h and dma.h) and the exact canonical rows expected.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ingestToCsv, detectFormat, parseDeviceMap, type IngestSummary, type IngestOptions } from '../../src/ingest/ingest.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { replay } from '../../src/pipeline.js';
import { tempDir } from '../helpers/temp-dir.js';

const F = 'test/fixtures/kernel';

async function ingest(path: string, opts: IngestOptions = {}) {
  const summary = {} as IngestSummary;
  const diagnostics = new Diagnostics();
  let text = '';
  for await (const c of ingestToCsv(path, { ...opts, diagnostics }, summary)) text += c;
  return { rows: withoutCpu(text.trim().split('\n')), cpus: cpusOf(text), summary, problems: diagnostics.problems.map(formatProblem) };
}

/** ftrace-iommu.txt's rows' CPUs: CPU 0's two-map DMA, CPU 1's map and both unmaps, CPU 0's last map. */
const CPUS_OF_FTRACE_FIXTURE = [0, 0, 1, 1, 1, 0];

/** The rows without their last column, `cpu` (checked on its own below), header included. */
function withoutCpu(lines: string[]): string[] {
  return lines.map((l) => l.slice(0, l.lastIndexOf(',')));
}

/** The `cpu` column of every data row. */
function cpusOf(text: string): number[] {
  return text.trim().split('\n').slice(1).map((l) => Number(l.slice(l.lastIndexOf(',') + 1)));
}

describe('ingest', () => {
  it('detects the formats', async () => {
    expect(await detectFormat(`${F}/ftrace-iommu.txt`)).toBe('ftrace');
    expect(await detectFormat(`${F}/trace-cmd-dma.txt`)).toBe('ftrace');
    expect(await detectFormat(`${F}/perf-script.txt`)).toBe('perf');
    expect(await detectFormat('traces/scenario-disk-sg.csv')).toBe('canonical');
  });

  it('ftrace text with iommu: events: reordered across CPUs, two contiguous maps of CPU 0 released by one 2-page unmap are one DMA, mid-run unmaps counted', async () => {
    const { rows, cpus, summary, problems } = await ingest(`${F}/ftrace-iommu.txt`, { device: 'eth0', cls: 'net' });
    // the CPU of each row: the DMA's first map's, or the unmap's (ftrace's [cpu])
    expect(cpus).toEqual(CPUS_OF_FTRACE_FIXTURE);
    expect(rows).toEqual([
      'ts_ns,guest,device,class,op,dir,addr,len,handle,unit',
      // CPU 0's maps at 0xffefc000 and 0xffefd000 (CPU 1 mapped 0xffffb000 between them): one DMA, at its first map's time
      '3914000,0,eth0,net,map,bidirectional,0x2329000,4096,0xffefc000,',
      '3914000,0,eth0,net,map,bidirectional,0x7a11000,4096,0xffefc000,',
      '3918000,0,eth0,net,map,bidirectional,0x1000000,4096,0xffffb000,',
      '4726000,0,eth0,net,unmap,,,,0xffefc000,',
      '4799000,0,eth0,net,unmap,,,,0xffffb000,',
      '4999000,0,eth0,net,map,bidirectional,0x4000000,4096,0xffffb000,',
    ]);
    expect(summary).toMatchObject({ format: 'ftrace', events: 7, rows: 6, dmas: 3, maps: 4, unmaps: 2, unmatched_unmaps: 1, live_maps: 1, skipped: { 'other-event': 1 }, devices: ['eth0'] });
    expect(problems).toEqual([`${F}/ftrace-iommu.txt:21: not a trace event line: '          wget-435     [000] b..1.  8.36'`]);
    expect(summary.notes[0]).toMatch(/attributed to 'eth0'/);
  });

  it('trace-cmd report with dma: events: device names, an sg list as one DMA, iommu: duplicates skipped, NONE and bad payloads', async () => {
    const { rows, summary, problems } = await ingest(`${F}/trace-cmd-dma.txt`, { devices: parseDeviceMap('0000:00:03.0,disk,nvme0\n0000:00:04.0,net,nic0\n', 'map') });
    expect(rows).toEqual([
      'ts_ns,guest,device,class,op,dir,addr,len,handle,unit',
      '0,0,nvme0,disk,map,from_device,0x6f9a000,131072,0xfff80000,',
      // the 3-entry list (3 DMA segments: nothing merged, so `sizes` are the entries' lengths), its unmap, and a 1-entry list
      '88000,0,nic0,net,map,to_device,0x2329000,4096,0xffefc000,',
      '88000,0,nic0,net,map,to_device,0x7a11000,4096,0xffefc000,',
      '88000,0,nic0,net,map,to_device,0x3000f00,1500,0xffefc000,',
      '138000,0,nvme0,disk,unmap,,,,0xfff80000,',
      '188000,0,nic0,net,map,bidirectional,0x8000040,64,0xffeff000,',
      '488000,0,nic0,net,unmap,,,,0xffefc000,',
      '788000,0,nic0,net,map,to_device,0x2329000,1500,0xffefc000,',
    ]);
    expect(summary).toMatchObject({ dmas: 4, maps: 6, unmaps: 2, unmatched_unmaps: 1, live_maps: 2, skipped: { 'iommu-event-duplicating-dma-event': 1 }, devices: ['nic0', 'nvme0'] });
    // dir=NONE maps no buffer: a rejected line like any other (--strict stops there), not a silent count
    expect(problems).toEqual([`${F}/trace-cmd-dma.txt:9: dma map of 0000:00:04.0 with dir=NONE: the DMA API maps no buffer without a direction`, `${F}/trace-cmd-dma.txt:11: dma:dma_map_page payload not understood`]);
    expect(summary.notes).toContain('the file has dma: events, so its 1 iommu: events were taken as the same DMAs again and skipped; if some devices were traced without dma: events, split those lines into a file of their own');
  });

  it('given a file with dma: events and --device, when ingested, then the summary says the iommu: events and --device were not used', async () => {
    const { summary } = await ingest(`${F}/trace-cmd-dma.txt`, { device: 'eth0', devices: parseDeviceMap('0000:00:03.0,disk,nvme0\n0000:00:04.0,net,nic0\n', 'map') });
    expect(summary.notes).toContain('the file has dma: events, so its 1 iommu: events were taken as the same DMAs again and skipped (--device eth0 applies to iommu: events only, so it was not used); if some devices were traced without dma: events, split those lines into a file of their own');
  });

  it('given a 6.12-style capture (dma: and iommu: events, addresses spelt several ways), when ingested, then exactly these rows, by either path', async () => {
    const dir = tempDir('dmareplay-ingest-612-');
    const path = join(dir, 'capture.txt');
    const map = '            dd-169     [001] .....';
    const irq = '        <idle>-0       [001] d.h1.';
    writeFileSync(path, [
      `${map}     6.000001: dma_map_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=fff80000 size=1514 phys_addr=6f9a000 attrs=`,
      `${map}     6.000001: map: IOMMU: iova=0x00000000fff80000 - 0x00000000fff81000 paddr=0x0000000006f9a000 size=4096`,
      // the same DMA address on another device; then one of 16 digits (kept as text)
      `${map}     6.000002: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=fff80000 size=64 phys_addr=0x8000040 attrs=`,
      `${map}     6.000003: dma_map_resource: 0000:00:04.0 dir=BIDIRECTIONAL dma_addr=fedcba9876543000 size=4096 phys_addr=fee00000 attrs=`,
      `${irq}     6.000004: dma_unmap_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=0xFFF80000 size=64 attrs=`,
      `${irq}     6.000005: unmap: IOMMU: iova=0x00000000fff80000 - 0x00000000fff81000 size=4096 unmapped_size=4096`,
      `${irq}     6.000005: dma_unmap_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=00000000fff80000 size=1514 attrs=`,
      `${irq}     6.000006: dma_unmap_resource: 0000:00:04.0 dir=BIDIRECTIONAL dma_addr=FEDCBA9876543000 size=4096 attrs=`,
      // no direction; size 0; mapped again without an unmap; an unmap of a map not in the file
      `${map}     6.000007: dma_map_page: 0000:00:03.0 dir=NONE dma_addr=1000 size=64 phys_addr=2000 attrs=`,
      `${map}     6.000008: dma_map_page: 0000:00:03.0 dir=TO_DEVICE dma_addr=2000 size=0 phys_addr=3000 attrs=`,
      `${map}     6.000009: dma_map_page: 0000:00:03.0 dir=TO_DEVICE dma_addr=3000 size=128 phys_addr=4000 attrs=`,
      `${map}     6.000010: dma_map_page: 0000:00:03.0 dir=TO_DEVICE dma_addr=3000 size=256 phys_addr=5000 attrs=`,
      `${irq}     6.000011: dma_unmap_page: 0000:00:03.0 dir=TO_DEVICE dma_addr=beef000 size=64 attrs=`,
      // 2^53 and 2^53 + 1: one double, two addresses
      `${map}     6.000012: dma_map_page: 0000:00:03.0 dir=TO_DEVICE dma_addr=20000000000000 size=64 phys_addr=6000 attrs=`,
      `${map}     6.000013: dma_map_page: 0000:00:03.0 dir=TO_DEVICE dma_addr=20000000000001 size=64 phys_addr=7000 attrs=`,
      '',
    ].join('\n'));
    const devices = parseDeviceMap('0000:00:03.0,disk,nvme0\n0000:00:04.0,net,eth0\n', 'map');
    const fast = await ingest(path, { devices });
    expect(fast.rows.slice(1)).toEqual([
      '0,0,nvme0,disk,map,from_device,0x6f9a000,1514,0xfff80000,',
      '1000,0,eth0,net,map,to_device,0x8000040,64,0xfff80000,',
      '2000,0,eth0,net,map,bidirectional,0xfee00000,4096,0xfedcba9876543000,',
      '3000,0,eth0,net,unmap,,,,0xfff80000,',
      '4000,0,nvme0,disk,unmap,,,,0xfff80000,',
      '5000,0,eth0,net,unmap,,,,0xfedcba9876543000,',
      '8000,0,nvme0,disk,map,to_device,0x4000,128,0x3000,',
      '9000,0,nvme0,disk,unmap,,,,0x3000,',
      '9000,0,nvme0,disk,map,to_device,0x5000,256,0x3000,',
      '11000,0,nvme0,disk,map,to_device,0x6000,64,0x20000000000000,',
      '12000,0,nvme0,disk,map,to_device,0x7000,64,0x20000000000001,',
    ]);
    expect(fast.summary).toMatchObject({
      events: 11, rows: 11, maps: 7, unmaps: 4, unmatched_unmaps: 1, live_maps: 3, devices: ['eth0', 'nvme0'],
      skipped: { 'iommu-event-duplicating-dma-event': 2, 'remapped-without-unmap': 1 },
    });
    expect(fast.problems).toEqual([`${path}:9: dma map of 0000:00:03.0 with dir=NONE: the DMA API maps no buffer without a direction`, `${path}:10: dma map of size 0 (0000:00:03.0 dma_addr=0x2000)`]);
    expect(await ingest(path, { devices, fastPath: false })).toEqual(fast);
  });

  it('perf script output, old-format iommu: events without the end of range (two contiguous maps, one unmap: one DMA)', async () => {
    const { rows, summary } = await ingest(`${F}/perf-script.txt`, { device: 'eth0' });
    expect(rows).toEqual([
      'ts_ns,guest,device,class,op,dir,addr,len,handle,unit',
      '0,0,eth0,net,map,bidirectional,0x2329000,4096,0xffefc000,',
      '0,0,eth0,net,map,bidirectional,0x7a11000,4096,0xffefc000,',
      '812000,0,eth0,net,unmap,,,,0xffefc000,',
    ]);
    expect(summary.format).toBe('perf');
    expect(summary.skipped).toEqual({ 'other-event': 1 });
  });

  it('reads gzip transparently and replay ingests raw traces on the fly', async () => {
    const dir = tempDir('dmareplay-ingest-');
    const gz = join(dir, 'perf.txt.gz');
    const { readFileSync } = await import('node:fs');
    writeFileSync(gz, gzipSync(readFileSync(`${F}/perf-script.txt`)));
    expect((await ingest(gz, { device: 'eth0' })).rows).toHaveLength(4);
    const run = await replay([`${F}/trace-cmd-dma.txt`], { strategies: 'single-use' });
    // (the 3-entry sg list is one DMA: 4 DMAs from 6 map rows)
    expect(run.results[0].dmas).toBe(4);
    expect(run.results[0].live_at_end).toBe(2);
  });

  it('a device mapping file with a bad line names file and line', () => {
    expect(() => parseDeviceMap('eth0,net\neth1,gpu\n', 'devs.txt')).toThrow(/devs.txt:2: expected/);
  });
});

describe('the bundled real captures', () => {
  it('ingesting each raw capture gives exactly the bundled canonical trace', async () => {
    const { readFileSync } = await import('node:fs');
    const { gunzipSync } = await import('node:zlib');
    for (const [dev, name, cls] of [['e1000', 'eth0', 'net'], ['nvme', 'nvme0n1', 'disk']] as const) {
      for (const mode of ['strict', 'lazy']) {
        const { rows } = await ingest(`traces/capture/qemu-${dev}-${mode}.txt.gz`, { device: name, cls });
        const bundled = withoutCpu(gunzipSync(readFileSync(`traces/qemu-${dev}-${mode}.csv.gz`)).toString().trim().split('\n'));
        expect(rows, `${dev}-${mode}`).toEqual(bundled);
      }
    }
    // Linux 6.12 captures: devices and classes from the capture's own sysfs devices file.
    const devices = parseDeviceMap(readFileSync('traces/capture/qemu612-devices.csv', 'utf8'), 'qemu612-devices.csv');
    for (const dev of ['e1000', 'nvme', 'both']) {
      for (const mode of ['strict', 'lazy']) {
        const { rows } = await ingest(`traces/capture/qemu612-${dev}-${mode}.txt.gz`, { devices });
        const bundled = withoutCpu(gunzipSync(readFileSync(`traces/qemu612-${dev}-${mode}.csv.gz`)).toString().trim().split('\n'));
        expect(rows, `612 ${dev}-${mode}`).toEqual(bundled);
      }
    }
  });
});

describe('ingest: bad lines', () => {
  it('zero-size maps and unreadable payloads are file:line problems; the rest is converted', async () => {
    const { rows, problems, summary } = await ingest(`${F}/bad-lines.txt`, { device: 'eth0', cls: 'net' });
    expect(problems).toEqual([`${F}/bad-lines.txt:2: iommu map of size 0 (iova=0xffeff000)`, `${F}/bad-lines.txt:3: iommu:map payload not understood`]);
    expect(rows).toHaveLength(3);
    expect(summary.maps).toBe(1);
  });

  it('--strict stops at the first problem', async () => {
    const run = async () => {
      for await (const _ of ingestToCsv(`${F}/bad-lines.txt`, { device: 'eth0', diagnostics: new Diagnostics(true) }));
    };
    await expect(run()).rejects.toThrow(`${F}/bad-lines.txt:2: iommu map of size 0 (iova=0xffeff000)`);
  });

  it('a file that is not a kernel trace, and a missing one, are one clear error each', async () => {
    await expect(ingest('package.json')).rejects.toThrow(/package.json: not a recognized trace/);
    await expect(ingest('nope.txt')).rejects.toThrow(/nope.txt: no such file/);
  });
});

describe('the fast line scanner', () => {
  it('agrees with the regular expressions whenever it answers (real lines, fixtures, mutations)', async () => {
    const { scanLine, parseLineByRegex } = await import('../../src/ingest/kernel-events.js');
    const { readFileSync } = await import('node:fs');
    const { gunzipSync } = await import('node:zlib');
    const fc = (await import('fast-check')).default;
    const lines = [
      ...gunzipSync(readFileSync('traces/capture/qemu-nvme-strict.txt.gz')).toString().split(/\r?\n/),
      ...['ftrace-iommu', 'trace-cmd-dma', 'perf-script', 'bad-lines'].flatMap((f) => readFileSync(`${F}/${f}.txt`, 'utf8').split('\n')),
    ];
    let answered = 0;
    for (const l of lines) {
      const a = scanLine(l);
      if (a) {
        answered++;
        expect(a).toEqual(parseLineByRegex(l));
      }
    }
    expect(answered).toBeGreaterThan(300);
    const sample = lines.filter((l) => scanLine(l) !== null).slice(0, 50);
    fc.assert(
      fc.property(fc.constantFrom(...sample), fc.nat(200), fc.constantFrom('', ' ', ':', '[', ']', '.', 'x', '9', '[1] ', ': ', 'a:b:'), (line, at, ins) => {
        const pos = at % (line.length + 1);
        const mutated = line.slice(0, pos) + ins + line.slice(pos + (ins === '' ? 1 : 0));
        const a = scanLine(mutated);
        if (a) expect(a).toEqual(parseLineByRegex(mutated));
      }),
      { numRuns: 3000 },
    );
  });

  it('given an unmap of a huge range and an address over 64 bits, then the range is split over the live maps and the address is a file:line problem', async () => {
    const dir = tempDir('dmareplay-ingest-edge-');
    const path = join(dir, 'edge.txt');
    const at = (t: string, ev: string) => `          wget-435     [000] b..1.  ${t}: ${ev}`;
    writeFileSync(path, [
      at('1.000001', 'map: IOMMU: iova=0x00000000ffefc000 - 0x00000000ffefd000 paddr=0x0000000002329000 size=4096'),
      at('1.000002', 'map: IOMMU: iova=0x00000000ffefe000 - 0x00000000ffeff000 paddr=0x0000000002330000 size=4096'),
      at('1.000003', 'map: IOMMU: iova=0x100000000ffefe000 - 0x00000000ffeff000 paddr=0x0000000002330000 size=4096'),
      at('1.000004', 'unmap: IOMMU: iova=0x0000000000000000 - 0x0000000000000000 size=99999999999999999999 unmapped_size=8192'),
      '',
    ].join('\n'));
    const { rows, summary, problems } = await ingest(path, { device: 'eth0', cls: 'net' });
    expect(rows.slice(1)).toEqual([
      '0,0,eth0,net,map,bidirectional,0x2329000,4096,0xffefc000,',
      '1000,0,eth0,net,map,bidirectional,0x2330000,4096,0xffefe000,',
      '3000,0,eth0,net,unmap,,,,0xffefc000,',
      '3000,0,eth0,net,unmap,,,,0xffefe000,',
    ]);
    expect(summary).toMatchObject({ maps: 2, unmaps: 2, live_maps: 0 });
    expect(problems).toEqual([`${path}:3: iommu:map address wider than 64 bits`]);
  });
});
