/**
 * ingest's fast path (bytes read in runs of whole lines, iommu: and dma: map/unmap lines parsed
 * in place, rows written as bytes) against the reference path (every line through
 * kernel-events.ts's parsers), on generated traces full of odd lines: CRLF and lone CR line
 * ends, truncated and mutated lines, unknown events, non-ASCII and invalid UTF-8, hex in upper
 * case, with and without 0x and too long, sizes of 0 and of 20 digits, dma: directions the
 * kernel does not print, fields missing, one address spelt several ways (so maps read by one
 * path are unmapped by the other), events out of time order; read in chunks of a few bytes, so
 * lines, CRLFs and UTF-8 sequences are split across chunks. Both must give the same text,
 * summary and problems.
 * Also: the line splitter against readline, the reorder queue against MinHeap, the CSV writer's
 * numbers against String().
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { isAscii } from 'node:buffer';
import { ingestToCsv, type IngestOptions, type IngestSummary } from '../../src/ingest/ingest.js';
import { lineRuns, lineText, OVERLONG } from '../../src/ingest/line-reader.js';
import { scanEventLine, parseIommuMapAt, parseIommuUnmapAt, parseDmaMapAt, parseDmaUnmapAt, newFastFields, IOMMU_MAP, IOMMU_UNMAP, DMA_MAP, DMA_UNMAP, UNSURE, type FastFields } from '../../src/ingest/fast-lines.js';
import { parseLine, parsePayload, canonicalDir, type KernelEvent } from '../../src/ingest/kernel-events.js';
import { ReorderQueue } from '../../src/ingest/reorder.js';
import { CsvOut } from '../../src/ingest/csv-out.js';
import { MinHeap } from '../../src/util/min-heap.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('dmareplay-fast-path-');
let fileNo = 0;

// --- generated trace lines -------------------------------------------------------------------

const hex = (digits: number) => fc.array(fc.constantFrom(...'0123456789abcdefABCDEF'), { minLength: digits, maxLength: digits }).map((a) => a.join(''));
const addr = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 0xffffff }).map((v) => (v * 4096).toString(16).padStart(16, '0')) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 16 }).chain(hex) },
  { weight: 1, arbitrary: fc.constantFrom('0', '0000000000000000', 'fffffffffffff000', '000fffffffffffff', '0010000000000000', 'zz') },
);
const size = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('4096', '8192', '12288', '1500') }, { weight: 1, arbitrary: fc.constantFrom('0', '65536', '123456789012345', '1234567890123456', '99999999999999999999', '') });
// Unmap sizes stay small in value: an unmap walks its pages one by one (a size of 10^20 would
// take forever, in the reference path too); 19 digits with leading zeros still test long numbers.
const unmapSize = fc.constantFrom('4096', '8192', '0', '1500', '0000000000000004096', '');
const task = fc.constantFrom('wget', '<idle>', 'kworker/u4:2', 'dd', 'irq/24-nvme0q1', 'a b', 'x[1]', 'caf\u00e9', '-', '');
const ts = fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 999_999 }), fc.constantFrom(6, 6, 6, 3, 9, 12)).map(([s, us, w]) => `${s}.${String(us).padStart(6, '0').padEnd(w, '7').slice(0, w)}`);
const iommuPayload = fc.oneof(
  fc.tuple(addr, addr, addr, size, fc.boolean()).map(([i, e, p, sz, range]) => `IOMMU: iova=0x${i}${range ? ` - 0x${e}` : ''} paddr=0x${p} size=${sz}`),
  fc.tuple(addr, addr, unmapSize, size, fc.boolean()).map(([i, e, sz, u, range]) => `IOMMU: iova=0x${i}${range ? ` - 0x${e}` : ''} size=${sz} unmapped_size=${u}`),
);
// dma: addresses: mostly a few, spelt several ways (kernel: bare hex), so that maps and unmaps pair
// up across the two paths; 14 to 16 digits go to the reference path, as text.
const dmaAddr = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('ffefc000', 'ffefd000', '1000', '0', 'fffffffff000', 'ffffffffff000', 'fffffffffff000', 'fffffffffffff000'), fc.constantFrom('', '', '', '', '0x', '0x', '00', '0x000', '0X', 'x'), fc.boolean()).map(([a, pre, upper]) => pre + (upper ? a.toUpperCase() : a)) },
  { weight: 2, arbitrary: addr },
  { weight: 1, arbitrary: fc.constantFrom('', '0x', '0xx1', '12x3', '00000000000000000ffefc000', 'g1', '-1') },
);
const device = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('0000:00:03.0', '0000:00:04.0', 'nvme0') }, { weight: 1, arbitrary: fc.constantFrom('e\u00e9', '', 'a\tb', 'x\x7f', '0000:00:03.0 ') });
const dmaDir = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE') }, { weight: 1, arbitrary: fc.constantFrom('to_device', 'FOO', '', 'TO-DEVICE', 'NONE2') });
const attrs = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(' attrs=', ' attrs=SKIP_CPU_SYNC', '') }, { weight: 1, arbitrary: fc.constantFrom('x', 'X', '0', ' ', '\t') });
/** Fields of a dma: payload, now and then one left out. */
const dmaFields = (fields: string[], drop: number) => fields.filter((_, i) => i !== drop).join(' ');
const dmaMapPayload = fc
  .tuple(device, dmaDir, dmaAddr, size, dmaAddr, attrs, fc.integer({ min: 0, max: 40 }))
  .map(([dev, dir, d, sz, p, at, drop]) => dmaFields([dev, `dir=${dir}`, `dma_addr=${d}`, `size=${sz}`, `phys_addr=${p}`], drop) + at);
const dmaUnmapPayload = fc
  .tuple(device, dmaDir, dmaAddr, size, attrs, fc.integer({ min: 0, max: 40 }))
  .map(([dev, dir, d, sz, at, drop]) => dmaFields([dev, `dir=${dir}`, `dma_addr=${d}`, `size=${sz}`], drop) + at);
const dmaMapName = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('dma_map_page', 'dma_map_phys', 'dma_map_resource', 'dma:dma_map_page', 'dma:dma_map_resource') }, { weight: 1, arbitrary: fc.constantFrom('iommu:dma_map_page', 'dma_map_pages', 'dma_map_', 'dma_map_sg', 'dma:map_page') });
const dmaUnmapName = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('dma_unmap_page', 'dma_unmap_phys', 'dma_unmap_resource', 'dma:dma_unmap_page', 'dma:dma_unmap_phys') }, { weight: 1, arbitrary: fc.constantFrom('sched:dma_unmap_page', 'dma_unmap_pag', 'dma_unmap_sg', 'dma_unmap_physx') });
const event = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('map', 'unmap', 'iommu:map', 'iommu:unmap', 'dma:map'), iommuPayload) },
  { weight: 3, arbitrary: fc.tuple(dmaMapName, dmaMapPayload) },
  { weight: 3, arbitrary: fc.tuple(dmaUnmapName, dmaUnmapPayload) },
  // The sg events stay with the reference path; their unmaps look up maps the fast path made.
  { weight: 1, arbitrary: fc.tuple(fc.constant('dma_map_sg'), fc.tuple(dmaAddr, dmaAddr).map(([d, p]) => `0000:00:03.0 dir=TO_DEVICE dma_addrs={0x${d},0xffefd000} sizes={4096,1500} phys_addrs={0x${p},0x2000} attrs=`)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('dma_unmap_sg'), dmaAddr.map((p) => `0000:00:03.0 dir=TO_DEVICE phys_addrs={0x${p},0x2000} attrs=`)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('sched_switch', 'io_page_fault', 'map_x', 'sched:sched_switch'), fc.constant('prev_comm=wget prev_pid=435')) },
);
const ftraceLine = fc
  .tuple(task, fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 31 }), fc.constantFrom('b..1.', 'd.h1.', '..s1.', '.....', 'd..2', '', 'bad!!'), ts, event, fc.constantFrom(' ', '  ', ''))
  .map(([t, pid, cpu, flags, time, [ev, payload], gap]) => `${t.padStart(16)}-${pid}     [${String(cpu).padStart(3, '0')}] ${flags}${flags ? ' ' : ''}${time.padStart(12)}: ${ev}:${gap}${payload}`);
const perfLine = fc
  .tuple(task, fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 31 }), ts, event)
  .map(([t, pid, cpu, time, [ev, payload]]) => `${t.padStart(16)} ${String(pid).padStart(5)} [${String(cpu).padStart(3, '0')}] ${time}: ${ev.includes(':') ? ev : `${ev.startsWith('dma_') ? 'dma' : 'iommu'}:${ev}`}: ${payload}`);
const otherLine = fc.constantFrom('', '# tracer: nop', '#', 'cpus=2', 'CPU 1 is empty', 'version = 6', '   ', 'garbage line', '\u00e9\u00e8 not ascii', '\t\tmap: IOMMU: iova=0x1000 paddr=0x2000 size=4096');

/** A line, sometimes cut short or with a character put in or taken out. */
const line = fc
  .tuple(fc.oneof({ weight: 6, arbitrary: ftraceLine }, { weight: 2, arbitrary: perfLine }, { weight: 1, arbitrary: otherLine }), fc.nat(200), fc.nat(4), fc.constantFrom('', ' ', ':', '[', ']', '.', '-', 'x', '9', 'F', '\t', '\u00e9', '\uFFFD', '#'))
  .map(([l, at, how, ins]) => {
    const pos = at % (l.length + 1);
    if (how === 0) return l.slice(0, pos); // truncated
    if (how === 1) return l.slice(0, pos) + ins + l.slice(pos + 1); // a character replaced
    return l;
  });

/** Bytes of a file: lines with mixed line ends, a UTF-8 sequence or invalid byte here and there. */
const traceBytes = fc
  .tuple(fc.array(fc.tuple(line, fc.constantFrom('\n', '\n', '\n', '\r\n', '\r')), { minLength: 0, maxLength: 60 }), fc.boolean(), fc.constantFrom(null, 0xff, 0xc3, 0xe2))
  .map(([lines, lastEnd, junk]) => {
    let text = lines.map(([l, end]) => l + end).join('');
    if (!lastEnd && text.length > 0) text = text.slice(0, text.length - 1);
    const bytes = Buffer.from(text, 'utf8');
    return junk === null || bytes.length === 0 ? bytes : Buffer.concat([bytes.subarray(0, bytes.length >> 1), Buffer.from([junk]), bytes.subarray(bytes.length >> 1)]);
  });

/**
 * A 6.12-style capture: nearly every line a good dma: or iommu: event, on a few devices and
 * addresses (so maps are unmapped and remapped), now and then a line the fast path must leave
 * to the reference path (a tab after the event name, a non-ASCII task, whose whole run of lines
 * then takes the reference path, an address of 14 digits, a size of 0), so that maps read by one
 * path are unmapped by the other.
 */
const goodDmaAddr = fc.tuple(fc.constantFrom('ffefc000', 'ffefd000', '0', 'fffffffff000', 'ffffffffff000', 'fffffffffff000'), fc.constantFrom('', '', '', '0x', '000', 'FF')).map(([a, pre]) => (pre === 'FF' ? a.toUpperCase() : pre + a));
const goodDevice = fc.constantFrom('0000:00:03.0', '0000:00:03.0', '0000:00:04.0', 'nvme0');
const goodDir = fc.constantFrom('TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'BIDIRECTIONAL', 'FROM_DEVICE', 'NONE');
const goodSize = fc.constantFrom('4096', '1514', '64', '131072', '0');
const captureEvent = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('dma_map_page', 'dma_map_phys', 'dma_map_resource'), fc.tuple(goodDevice, goodDir, goodDmaAddr, goodSize, goodDmaAddr).map(([dev, d, a, sz, p]) => `${dev} dir=${d} dma_addr=${a} size=${sz} phys_addr=${p} attrs=`)) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('dma_unmap_page', 'dma_unmap_phys', 'dma_unmap_resource'), fc.tuple(goodDevice, goodDir, goodDmaAddr, goodSize).map(([dev, d, a, sz]) => `${dev} dir=${d} dma_addr=${a} size=${sz} attrs=`)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('map', 'unmap'), iommuPayload) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('dma_map_sg'), fc.tuple(goodDevice, goodDmaAddr, goodDmaAddr).map(([dev, a, p]) => `${dev} dir=TO_DEVICE dma_addrs={0x${a}} sizes={4096} phys_addrs={0x${p}} attrs=`)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('dma_unmap_sg'), fc.tuple(goodDevice, goodDmaAddr).map(([dev, p]) => `${dev} dir=TO_DEVICE phys_addrs={0x${p}} attrs=`)) },
);
const captureLine = fc
  .tuple(fc.constantFrom('wget', '<idle>', 'dd', 'dd', 'dd', 'caf\u00e9'), fc.integer({ min: 0, max: 3 }), fc.constantFrom('b..1.', 'd.h1.', '.....'), ts, captureEvent, fc.constantFrom(' ', ' ', ' ', ' ', ' ', '\t'), fc.boolean())
  .map(([t, cpu, flags, time, [ev, payload], gap, perf]) => eventLine(t, cpu, flags, time, ev, payload, gap, perf));
function eventLine(t: string, cpu: number, flags: string, time: string, ev: string, payload: string, gap: string, perf: boolean): string {
  return perf ? `${t.padStart(16)} ${String(cpu * 100).padStart(5)} [00${cpu}] ${time}: ${ev.startsWith('dma_') ? 'dma' : 'iommu'}:${ev}:${gap}${payload}` : `${t.padStart(16)}-${cpu * 100}     [00${cpu}] ${flags} ${time.padStart(12)}: ${ev}:${gap}${payload}`;
}

/**
 * A scatter-gather list as a 6.12 kernel traces it with both groups on: on one CPU, its iommu:map
 * lines (one per physically contiguous run, contiguous IOVAs from the first DMA address's page;
 * now and then one missing, one of another CPU between, or none at all), then the dma_map_sg line
 * (merged into one DMA segment or not; with or without counts; cut at 128 as [TRUNCATED] now and
 * then); later perhaps its dma_unmap_sg. Physical pages come from a few, so lists share pages.
 */
const hexOf = (v: number) => '0x' + v.toString(16);
const sgBlock = fc
  .tuple(
    fc.integer({ min: 0, max: 3 }),
    ts,
    goodDevice,
    fc.constantFrom('TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE'),
    fc.constantFrom(0xffefc000, 0xfff80000, 0xfff80200, 0x1000),
    fc.array(fc.tuple(fc.constantFrom(0x2329000, 0x2329800, 0x232a000, 0x7a11000, 0x3000f00, 0x5000000), fc.constantFrom(1, 1, 2)), { minLength: 1, maxLength: 5 }),
    fc.constantFrom('maps', 'maps', 'none', 'gap', 'other-cpu'),
    fc.constantFrom('merged', 'separate', 'counts-off', 'truncated'),
    fc.constantFrom(0, 0, 1, 2),
    fc.boolean(),
  )
  .map(([cpu, time, dev, dir, dma0, entries, maps, shape, cut, unmap]) => {
    // Entries: a physical address and its pages; the first starts at the DMA address's page offset.
    const phys = entries.map(([p], i) => (i === 0 ? p - (p % 4096) + (dma0 % 4096) : p));
    const lens = entries.map(([, pages], i) => pages * 4096 - (phys[i] % 4096) - (i === entries.length - 1 ? cut * 700 : 0));
    // Runs: physically contiguous entries share one iommu:map.
    const runs: Array<{ paddr: number; size: number }> = [];
    phys.forEach((p, i) => {
      const page = p - (p % 4096);
      const size = Math.ceil(((p % 4096) + lens[i]) / 4096) * 4096;
      const last = runs[runs.length - 1];
      if (last && last.paddr + last.size === page) last.size += size;
      else runs.push({ paddr: page, size });
    });
    const lines: string[] = [];
    let iova = dma0 - (dma0 % 4096);
    runs.forEach((r, i) => {
      const line = eventLine('dd', maps === 'other-cpu' && i === 1 ? (cpu + 1) % 4 : cpu, '.....', time, 'map', `IOMMU: iova=0x${iova.toString(16).padStart(16, '0')} - 0x${(iova + r.size).toString(16).padStart(16, '0')} paddr=0x${r.paddr.toString(16).padStart(16, '0')} size=${r.size}`, ' ', false);
      if (maps !== 'none' && !(maps === 'gap' && i === 1)) lines.push(line);
      iova += r.size;
    });
    const total = lens.reduce((a, b) => a + b, 0);
    const [dmaAddrs, sizes] = shape === 'separate' ? [phys.map((p, i) => dma0 - (dma0 % 4096) + i * 0x10000 + (p % 4096)), lens] : [[dma0], [total]];
    const n = phys.length;
    const counts = shape === 'counts-off' ? '' : shape === 'truncated' ? ` nents=${n}/${n + 128} ents=${sizes.length}/${sizes.length} [TRUNCATED]` : ` nents=${n}/${n} ents=${sizes.length}/${sizes.length}`;
    lines.push(eventLine('dd', cpu, '.....', time, 'dma_map_sg', `${dev} dir=${dir}${counts} dma_addrs={${dmaAddrs.map(hexOf).join(',')}} sizes={${sizes.map(hexOf).join(',')}} phys_addrs={${phys.map(hexOf).join(',')}} attrs=`, ' ', false));
    if (unmap) lines.push(eventLine('<idle>', cpu, 'd.h1.', time, 'dma_unmap_sg', `${dev} dir=${dir} phys_addrs={${phys.map(hexOf).join(',')}} attrs=`, ' ', false));
    return lines;
  });

/**
 * iommu: events of a kernel without dma: events: maps at contiguous IOVAs on a few CPUs (lists,
 * and single buffers that look like them) and unmaps of one page or of several, so that runs form,
 * are released together or apart, and are remapped.
 */
const runIova = fc.integer({ min: 0, max: 7 }).map((k) => 0xfff80000 + k * 4096);
const runEvent = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(runIova, fc.constantFrom(4096, 4096, 8192), fc.constantFrom(0x2329000, 0x7a11000, 0x1000000)).map(([iova, size, paddr]) => ['map', `IOMMU: iova=0x${iova.toString(16).padStart(16, '0')} - 0x${(iova + size).toString(16).padStart(16, '0')} paddr=0x${paddr.toString(16).padStart(16, '0')} size=${size}`] as [string, string]) },
  { weight: 2, arbitrary: fc.tuple(runIova, fc.constantFrom(4096, 8192, 16384)).map(([iova, size]) => ['unmap', `IOMMU: iova=0x${iova.toString(16).padStart(16, '0')} - 0x${(iova + size).toString(16).padStart(16, '0')} size=${size} unmapped_size=${size}`] as [string, string]) },
);
const runLine = fc
  .tuple(fc.integer({ min: 0, max: 2 }), ts, runEvent, fc.boolean())
  .map(([cpu, time, [ev, payload], perf]) => eventLine('dd', cpu, '.....', time, ev, payload, ' ', perf));

const captureBytes = fc
  .array(fc.oneof({ weight: 6, arbitrary: captureLine.map((l) => [l]) }, { weight: 1, arbitrary: sgBlock }), { minLength: 5, maxLength: 40, size: 'max' })
  .map((blocks) => Buffer.from(blocks.flat().map((l) => l + '\n').join(''), 'utf8'));
/** An iommu:-only capture (no dma: line, so the runs are grouped). */
const runBytes = fc.array(runLine, { minLength: 5, maxLength: 60, size: 'max' }).map((lines) => Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8'));

async function run(path: string, opts: IngestOptions) {
  const summary = {} as IngestSummary;
  const diagnostics = new Diagnostics();
  const chunks: string[] = [];
  try {
    for await (const c of ingestToCsv(path, { ...opts, diagnostics }, summary)) chunks.push(c);
  } catch (e) {
    return { error: String(e) };
  }
  return { chunks, summary, problems: diagnostics.problems.map(formatProblem) };
}

/** Device options: none, a name and class for all, two kernel devices given one name (their maps pair up as one device's). */
const namings: IngestOptions[] = [{}, { device: 'eth0', cls: 'net' }, { devices: { '0000:00:03.0': { class: 'disk', name: 'nvme0' }, '0000:00:04.0': { class: 'net', name: 'nvme0' } } }];

/** What the fast parsers make of an ASCII line: the scanner's kind, UNSURE when the payload parser declines. */
function fastKind(b: Buffer, end: number, f: FastFields): number {
  const kind = scanEventLine(b, 0, end, f);
  const parse = [null, parseIommuMapAt, parseIommuUnmapAt, parseDmaMapAt, parseDmaUnmapAt][kind];
  return parse && parse(b, f.payload, end, f) ? kind : UNSURE;
}

describe('ingest: fast path = reference path', () => {
  // Every trace starts with one good line so that the format is detected and the rest is read.
  const first = '          wget-435     [000] b..1.     8.363915: map: IOMMU: iova=0x00000000ffefc000 - 0x00000000ffefd000 paddr=0x0000000002329000 size=4096\n';
  // (reads of a few bytes are slow: a stream event each; most runs use more)
  const chunkBytes = fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 5, arbitrary: fc.integer({ min: 9, max: 400 }) });
  const sameResults = fc.asyncProperty(fc.oneof(traceBytes, captureBytes, runBytes), chunkBytes, fc.constantFrom(0, 1000, 1_000_000), fc.constantFrom(...namings), fc.constantFrom(undefined, undefined, 3), async (bytes, chunkBytes, window, naming, hold) => {
    const path = join(dir, `t${fileNo++}.txt`);
    writeFileSync(path, Buffer.concat([Buffer.from(first), bytes]));
    // (a bound of 3 events forces undecided runs of contiguous maps often)
    const opts: IngestOptions = { reorderWindowNs: window, ...naming, groupHoldEvents: hold };
    const fast = await run(path, { ...opts, chunkBytes });
    const reference = await run(path, { ...opts, fastPath: false });
    // The chunks themselves (not only their text) are the same: they are cut after the same rows.
    expect(fast).toEqual(reference);
  });

  it('gives the same chunks, summary and problems on generated traces (odd lines; 6.12-style captures with sg lists; iommu:-only runs of contiguous maps) read in small chunks', async () => {
    await fc.assert(sameResults, { numRuns: Number(process.env.FAST_PATH_RUNS ?? 300) });
  });

  it('answers for the common lines (so the comparison above is not between two slow paths)', async () => {
    const text = [
      '          wget-435     [000] b..1.     8.363915: map: IOMMU: iova=0x00000000ffefc000 - 0x00000000ffefd000 paddr=0x0000000002329000 size=4096',
      '        <idle>-0       [001] ..s1.     8.364727: unmap: IOMMU: iova=0x00000000ffefc000 - 0x00000000ffefd000 size=4096 unmapped_size=4096',
      '            wget   435 [000]     8.363920: iommu:map: IOMMU: iova=0x00000000ffefd000 paddr=0x0000000007a11000 size=4096',
      '         swapper     0 [001]     8.364727: iommu:unmap: IOMMU: iova=0x00000000ffefc000 size=8192 unmapped_size=8192',
      '            dd-169     [001] .....     6.047512: dma_map_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=fff80000 size=131072 phys_addr=6f9a000 attrs=',
      '            dd-169     [001] .....     6.047512: dma_map_phys: 0000:00:03.0 dir=TO_DEVICE dma_addr=0xfff80000 size=1 phys_addr=0x6f9a000 attrs=',
      '            dd-169     [001] .....     6.047512: dma_map_resource: nvme0 dir=NONE dma_addr=FFF80000 size=64 phys_addr=6F9A000',
      '            dd   169 [001]     6.047512: dma:dma_map_page: 0000:00:03.0 dir=BIDIRECTIONAL dma_addr=fffffffff000 size=64 phys_addr=0 attrs=',
      '        <idle>-0       [001] d.h1.     6.047600: dma_unmap_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=fff80000 size=131072 attrs=',
      '        <idle>-0       [001] d.h1.     6.047600: dma_unmap_phys: 0000:00:03.0 dir=NONE dma_addr=0xfff80000 size=0 attrs=',
      '       swapper     0 [001]     6.047600: dma:dma_unmap_resource: 0000:00:03.0 dir=TO_DEVICE dma_addr=fff80000 size=99999999999999999999',
    ];
    const f = newFastFields();
    const kinds = text.map((l) => fastKind(Buffer.from(l + '\n'), l.length, f));
    expect(kinds).toEqual([IOMMU_MAP, IOMMU_UNMAP, IOMMU_MAP, IOMMU_UNMAP, DMA_MAP, DMA_MAP, DMA_MAP, DMA_MAP, DMA_UNMAP, DMA_UNMAP, DMA_UNMAP]);
  });

  it('whenever the fast parsers answer for a line, the reference parsers give the same event', () => {
    const f = newFastFields();
    const eventNames = [/^$/, /^map$/, /^unmap$/, /^dma_map_(page|phys|resource)$/, /^dma_unmap_(page|phys|resource)$/];
    const answered = [0, 0, 0, 0, 0];
    fc.assert(
      fc.property(line, (l) => {
        const b = Buffer.from(l + '\n', 'utf8');
        if (!isAscii(b)) return; // the caller's rule: ASCII lines only
        const scanned = scanEventLine(b, 0, l.length, f);
        if (scanned === UNSURE) return;
        const parts = parseLine(l);
        expect(parts).not.toBeNull();
        expect(parts!.tsNs).toBe(f.tsNs);
        expect(parts!.cpu).toBe(f.cpu);
        expect(parts!.event).toMatch(eventNames[scanned]);
        expect(['', scanned <= IOMMU_UNMAP ? 'iommu' : 'dma']).toContain(parts!.group);
        expect(parts!.payload).toBe(l.slice(f.payload).trimStart());
        const kind = fastKind(b, l.length, f);
        if (kind === UNSURE) return;
        answered[kind]++;
        const ev = parsePayload(parts!.event, parts!.payload) as KernelEvent;
        const text = (v: number) => '0x' + v.toString(16);
        const pageOf = (iova: string) => parseInt(iova.length > 5 ? iova.slice(2, -3) : '0', 16);
        if (ev.kind === 'iommu-map' && kind === IOMMU_MAP) {
          expect([text(f.iova), text(f.paddr), f.size, f.page]).toEqual([ev.iova, ev.paddr, ev.size, pageOf(ev.iova)]);
        } else if (ev.kind === 'iommu-unmap' && kind === IOMMU_UNMAP) {
          expect([f.size, f.page]).toEqual([ev.size, pageOf(ev.iova)]);
        } else if (ev.kind === 'dma-map' && kind === DMA_MAP) {
          // (a size of 0 is left to the reference path, which reports it)
          expect([f.device, f.dir, text(f.dmaAddr), f.size, text(f.phys)]).toEqual([ev.device, canonicalDir(ev.dir), ev.dmaAddr, ev.size, ev.phys]);
          expect(ev.size).toBeGreaterThan(0);
        } else if (ev.kind === 'dma-unmap' && kind === DMA_UNMAP) {
          expect([f.device, f.dir, text(f.dmaAddr)]).toEqual([ev.device, canonicalDir(ev.dir), ev.dmaAddr]);
        } else expect.fail(`fast path read ${kind}, reference ${typeof ev === 'string' ? ev : ev.kind}`);
      }),
      { numRuns: 20000 },
    );
    // Each kind of line was answered for often enough for the comparison to mean something.
    for (const kind of [IOMMU_MAP, IOMMU_UNMAP, DMA_MAP, DMA_UNMAP]) expect(answered[kind], `kind ${kind}`).toBeGreaterThan(100);
  });
});

describe('ingest: reading lines', () => {
  it('gives the lines readline gives, whatever the chunks (CR, CRLF split, UTF-8 split, invalid bytes, no last line end)', async () => {
    const piece = fc.constantFrom('a', 'xyz ', '\n', '\r', '\r\n', '\u00e9', '\u20ac', '\u{1F600}', '\xff', '\xc3', '\xe2\x82', '\xf0\x9f', '\xe0\x80', '\xed\xa0\x80', '');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), async (pieces, cuts) => {
        // '\x..' pieces are raw bytes (latin1), the others UTF-8 text.
        const bytes = Buffer.concat(pieces.map((p) => (/^[\x80-\xff]+$/.test(p) ? Buffer.from(p, 'latin1') : Buffer.from(p, 'utf8'))));
        const chunks: Buffer[] = [];
        for (let at = 0, k = 0; at < bytes.length; k++) {
          const n = cuts[k % cuts.length];
          chunks.push(bytes.subarray(at, at + n));
          at += n;
        }
        const expected: string[] = [];
        for await (const l of createInterface({ input: Readable.from(chunks), crlfDelay: Infinity })) expected.push(l);
        const got: string[] = [];
        for await (const runOf of lineRuns(Readable.from(chunks))) {
          if (runOf === OVERLONG) throw new Error('no line here is over the length cap');
          if (typeof runOf === 'string') got.push(...runOf.slice(0, -1).split('\n'));
          else {
            const ascii = isAscii(runOf);
            for (let p = 0; p < runOf.length; ) {
              const e = runOf.indexOf(10, p);
              got.push(lineText(runOf, p, e, ascii));
              p = e + 1;
            }
          }
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('ingest: reorder queue and CSV writer', () => {
  it('the reorder queue pops in MinHeap order (time, then push order)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(-1)), { maxLength: 300 }), (ops) => {
        const q = new ReorderQueue<number>();
        const h = new MinHeap<number>();
        let t = 0;
        ops.forEach((op, i) => {
          if (op < 0) {
            expect(q.peekKey()).toBe(h.peekKey());
            expect(q.pop()).toBe(h.pop());
          } else {
            // mostly rising time stamps, now and then one from the past
            t = op % 7 === 0 ? Math.max(0, t - op) : t + (op % 3);
            q.push(t, i, i);
            h.push(t, i);
          }
          expect(q.size).toBe(h.size);
        });
        while (h.size > 0) expect(q.pop()).toBe(h.pop());
      }),
      { numRuns: 2000 },
    );
  });

  it('writes numbers as String() does and addresses as hexText does', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 2 ** 31 }), fc.double()), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.string(), (n, a, s) => {
        const out = new CsvOut();
        out.num(n);
        out.comma();
        out.hex(a);
        out.comma();
        out.str(s);
        out.endLine();
        expect(out.take()).toBe(`${n},0x${a.toString(16)},${s}\n`);
      }),
      { numRuns: 5000 },
    );
  });
});
