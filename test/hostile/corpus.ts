/**
 * The hostile-input corpus of issue 16, generated (deterministically) into a directory: malformed
 * rows of every kind on both CSV paths, broken encodings, gzip damage and bombs, corrupt and
 * hostile Arrow traces, hostile raw kernel text, broken results files, shards, profiles and
 * device lists, file-system traps and bad flags, each fed to the commands that read it. Every
 * input file is under 1 MB (the bombs are small compressed); /dev/zero stands for an endless one.
 *
 * A case is one command line. `inputs` are the files it must leave byte-for-byte unchanged;
 * `process` marks the few cases that need a process of their own (a FIFO fed by the test, stdout
 * on /dev/full); all others run in the long-lived runner (runner.ts).
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CANONICAL_HEADER } from '../../src/trace/canonical.js';
import { prng } from '../../src/util/prng.js';
import { arrowTrace, MAP, UNMAP, type ArrowRow } from '../helpers/arrow-file.js';
import { canonicalRows, ftraceText } from '../helpers/kernel-text.js';

export interface HostileCase {
  id: string;
  /** What is hostile: the reader or kind of input (for the counts in the report). */
  group: string;
  command: string;
  argv: string[];
  /** Files the case reads, which must keep their bytes. */
  inputs: string[];
  /** Needs its own process: a FIFO fed with `feed`, or stdout on /dev/full. */
  process?: { fifo?: string; feed?: string; stdoutFull?: boolean };
  /**
   * The large state a small but valid file describes (a million live pages, thousands of IOMMU
   * domains): the model keeps state per live page and per domain, so memory follows that work,
   * not the file's size, and such a case is held to the larger work limit of the test.
   */
  work?: string;
}

/** figures does fixed work beside its inputs: it replays the synthetic rx-100g workload for its
 * per-page figure (about 400 MB, whatever the inputs). */
const FIGURES_WORK = 'figures: the rx-100g replays of its per-page figure';

/** Inputs whose valid rows describe large state (see HostileCase.work), by file name. */
const WORK: Record<string, string> = {
  'len-max': 'one 4 GiB DMA: 1,048,576 live pages',
  'many-devices': '3,000 devices: 3,000 IOMMU domains',
  'all-guests': '1,024 guests, each with its own domain and RAM',
};

/** A small valid canonical trace: two guests, a NIC and a disk, scatter-gather lists, accesses. */
function baseRows(): string[] {
  return [
    '0,0,nic0,net,map,from_device,0x4000000,2048,1,1',
    '10,0,vda,disk,map,to_device,0x6000000,4096,r1,2',
    '10,0,vda,disk,map,to_device,0x6010000,8192,r1,2',
    '20,1,nic1,net,map,to_device,0x4000800,1500,7,3',
    '25,0,nic0,net,access,from_device,0x4000010,64,1,1',
    '30,0,nic0,net,unmap,,,,1,1',
    '40,1,nic1,net,unmap,,,,7,3',
    '50,0,vda,disk,unmap,,,,r1,2',
    ...canonicalRows(30, 100).map((r) => r.replace(/^(\d+)/, (t) => String(Number(t) + 100))),
  ];
}

/** Row mutations: each replaces row 4 of the base trace (or is inserted there). */
const ROW_MUTATIONS: [string, string][] = [
  ['ts-empty', ',0,nic0,net,map,to_device,0x5000,64,99,'],
  ['ts-negative', '-5,0,nic0,net,map,to_device,0x5000,64,99,'],
  ['ts-exponent', '1e3,0,nic0,net,map,to_device,0x5000,64,99,'],
  ['ts-huge', '99999999999999999999,0,nic0,net,map,to_device,0x5000,64,99,'],
  ['ts-nan', 'NaN,0,nic0,net,map,to_device,0x5000,64,99,'],
  ['ts-backwards', '1,0,nic0,net,map,to_device,0x5000,64,99,'],
  ['guest-negative', '26,-1,nic0,net,map,to_device,0x5000,64,99,'],
  ['guest-1024', '26,1024,nic0,net,map,to_device,0x5000,64,99,'],
  ['guest-huge', '26,99999999999,nic0,net,map,to_device,0x5000,64,99,'],
  ['device-empty', '26,0,,net,map,to_device,0x5000,64,99,'],
  ['device-long', `26,0,${'d'.repeat(5000)},net,map,to_device,0x5000,64,99,`],
  ['device-escape', '26,0,nic\x1b]0;pwned\x07,net,map,to_device,0x5000,64,99,'],
  ['device-html', '26,0,<img src=x onerror=alert(1)>,net,map,to_device,0x5000,64,99,'],
  ['device-unicode', '26,0,nïc\u202e0,net,map,to_device,0x5000,64,99,'],
  ['class-mismatch', '26,0,nic0,disk,map,to_device,0x5000,64,99,'],
  ['class-unknown', '26,0,nic0,gpu,map,to_device,0x5000,64,99,'],
  ['op-unknown', '26,0,nic0,net,remap,to_device,0x5000,64,99,'],
  ['op-upper', '26,0,nic0,net,MAP,to_device,0x5000,64,99,'],
  ['dir-empty-map', '26,0,nic0,net,map,,0x5000,64,99,'],
  ['dir-escape', '26,0,nic0,net,map,\x1b[2J,0x5000,64,99,'],
  ['addr-empty-map', '26,0,nic0,net,map,to_device,,64,99,'],
  ['addr-nothex', '26,0,nic0,net,map,to_device,0xzz,64,99,'],
  ['addr-no0x', '26,0,nic0,net,map,to_device,5000,64,99,'],
  ['addr-65bit', '26,0,nic0,net,map,to_device,0x1ffffffffffffffff,64,99,'],
  ['addr-wrap', '26,0,nic0,net,map,to_device,0xfffffffffffff000,8192,99,'],
  ['addr-top-page', '26,0,nic0,net,map,to_device,0xfffffffffffff000,4096,99,'],
  ['addr-beyond-guest', '26,0,nic0,net,map,to_device,0x10000000000000,64,99,'],
  ['len-zero', '26,0,nic0,net,map,to_device,0x5000,0,99,'],
  ['len-negative', '26,0,nic0,net,map,to_device,0x5000,-1,99,'],
  ['len-4g', '26,0,nic0,net,map,to_device,0x5000,4294967296,99,'],
  ['len-max', '26,0,nic0,net,map,to_device,0x5000,4294967295,99,'],
  ['len-fraction', '26,0,nic0,net,map,to_device,0x5000,1.5,99,'],
  ['len-hex', '26,0,nic0,net,map,to_device,0x5000,0x40,99,'],
  ['handle-empty', '26,0,nic0,net,map,to_device,0x5000,64,,'],
  ['handle-text', '26,0,nic0,net,map,to_device,0x5000,64,some handle,'],
  ['handle-huge', '26,0,nic0,net,map,to_device,0x5000,64,0xffffffffffffffffff,'],
  ['handle-live', '26,0,nic0,net,map,to_device,0x5000,64,1,'],
  ['unmap-unmatched', '26,0,nic0,net,unmap,,,,12345,'],
  ['unit-text', '26,0,nic0,net,map,to_device,0x5000,64,99,packet one'],
  ['extra-field', '26,0,nic0,net,map,to_device,0x5000,64,99,,extra'],
  ['short-row', '26,0,nic0,net,map'],
  ['empty-fields', ',,,,,,,,,'],
  ['quote-open', '26,0,"nic0,net,map,to_device,0x5000,64,99,'],
  ['quote-closed', '26,0,"nic,0",net,map,to_device,0x5000,64,99,'],
  ['quote-middle', '26,0,ni"c0,net,map,to_device,0x5000,64,99,'],
  ['lone-cr', '26,0,nic0,net,map,to_device,0x5000,64,99,\r27,0,nic0,net,unmap,,,,99,'],
  ['nul-bytes', '26,0,nic\x000,net,map,to_device,0x5000,64,99,'],
  ['only-commas', ',,,,,,,,,,,,,,,,,,,,,,,,,,,,'],
  ['tab-separated', '26\t0\tnic0\tnet\tmap\tto_device\t0x5000\t64\t99\t'],
];

/** Whole-file hostile CSV texts (the header included when it belongs). */
function wholeFiles(): [string, string | Buffer][] {
  const good = [CANONICAL_HEADER, ...baseRows()].join('\n') + '\n';
  const lines = good.split('\n');
  return [
    ['empty', ''],
    ['header-only', CANONICAL_HEADER + '\n'],
    ['header-no-newline', CANONICAL_HEADER],
    ['no-header', baseRows().join('\n') + '\n'],
    ['header-misspelled', good.replace('handle', 'handel')],
    ['header-twice', [CANONICAL_HEADER, ...lines].join('\n')],
    ['header-reordered', ['guest,ts_ns,device,class,op,dir,addr,len,handle,unit', ...baseRows().map((r) => { const f = r.split(','); [f[0], f[1]] = [f[1], f[0]]; return f.join(','); })].join('\n') + '\n'],
    ['header-extra-column', [CANONICAL_HEADER + ',note', ...baseRows().map((r) => r + ',x')].join('\n') + '\n'],
    ['header-quoted', ['"ts_ns","guest","device","class","op","dir","addr","len","handle","unit"', ...baseRows()].join('\n') + '\n'],
    ['header-open-quote', ['"ts_ns,guest,device,class,op,dir,addr,len,handle,unit', ...baseRows()].join('\n') + '\n'],
    ['crlf', good.replace(/\n/g, '\r\n')],
    ['cr-only', good.replace(/\n/g, '\r')],
    ['mixed-endings', lines.map((l, i) => l + (i % 3 === 0 ? '\r\n' : i % 3 === 1 ? '\n' : '\r')).join('')],
    ['blank-lines', lines.join('\n\n\n')],
    ['bom-utf16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, 'utf16le')])],
    ['invalid-utf8', Buffer.concat([Buffer.from(good.slice(0, 200)), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x80]), Buffer.from(good.slice(200))])],
    ['binary', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ['nul-file', Buffer.alloc(10_000)],
    ['truncated-last-line', good.slice(0, good.length - 9)],
    ['many-bad-rows', [CANONICAL_HEADER, ...Array.from({ length: 15_000 }, (_, i) => `${i},0,nic0,net,map,to_device,0xzz,64,${i},`)].join('\n') + '\n'],
    ['many-devices', [CANONICAL_HEADER, ...Array.from({ length: 3_000 }, (_, i) => `${i},0,d${i},net,map,from_device,0x${(0x200000 + i * 0x1000).toString(16)},64,${i + 1},`)].join('\n') + '\n'],
    ['all-guests', [CANONICAL_HEADER, ...Array.from({ length: 1024 }, (_, g) => `${g},${g},nic${g},net,map,from_device,0x200000,2048,1,`), ...Array.from({ length: 1024 }, (_, g) => `${2000 + g},${g},nic${g},net,unmap,,,,1,`)].join('\n') + '\n'],
    ['long-sg-list', [CANONICAL_HEADER, ...Array.from({ length: 8000 }, (_, i) => `0,0,vda,disk,map,to_device,0x${(0x1000000 + i * 0x2000).toString(16)},4096,r1,`), '10,0,vda,disk,unmap,,,,r1,'].join('\n') + '\n'],
    ['remap-storm', [CANONICAL_HEADER, ...Array.from({ length: 5000 }, (_, i) => `${i},0,nic0,net,map,to_device,0x${(0x5000 + (i % 7) * 0x1000).toString(16)},64,${i % 3},`)].join('\n') + '\n'],
    ['one-long-line', 'x'.repeat(900_000)],
    ['quote-then-rest', [CANONICAL_HEADER, baseRows()[0], '1,0,"nic0,net', ...baseRows().slice(1)].join('\n') + '\n'],
  ];
}

/** Arrow traces: cut short, corrupted, or holding hostile values. */
function arrowFiles(): [string, Buffer][] {
  const good = Buffer.from(arrowTrace([MAP, UNMAP, { ...MAP, ts_ns: 20, handle_lo: 2, page: 0x300 }, { ...UNMAP, ts_ns: 30, handle_lo: 2 }]));
  const out: [string, Buffer][] = [['good', good], ['empty', Buffer.alloc(0)]];
  for (const cut of [4, 8, 12, 64, 200, good.length >> 1, good.length - 9, good.length - 8, good.length - 1]) out.push([`cut-${cut}`, good.subarray(0, cut)]);
  const rand = prng(16);
  for (let k = 0; k < 8; k++) {
    const b = Buffer.from(good);
    for (let j = 0; j < 1 + k; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    out.push([`flipped-${k}`, b]);
  }
  const bad: [string, Partial<ArrowRow>][] = [
    ['len-infinity', { len: Infinity }],
    ['len-1e15', { len: 1e15 }],
    ['len-nan', { len: NaN }],
    ['len-negative', { len: -1 }],
    ['page-nan', { page: NaN }],
    ['page-2p52', { page: 2 ** 52 }],
    ['page-negative', { page: -4 }],
    ['offset-big', { offset: 1e9 }],
    ['ts-infinity', { ts_ns: Infinity }],
    ['ts-negative', { ts_ns: -1 }],
    ['guest-big', { guest: 2 ** 31 - 1 }],
    ['op-255', { op: 255 }],
    ['dir-9', { dir: 9 }],
    ['class-7', { class: 7 }],
    ['dict-out-of-range', { device: 99 }],
    ['dict-negative', { device: -1 }],
    ['no-handle', { has_handle: 0 }],
    ['wrap', { page: 2 ** 52 - 1, len: 8192 }],
    ['access-nan', { op: 2, len: NaN, has_handle: 0 }],
  ];
  for (const [name, change] of bad) out.push([`value-${name}`, Buffer.from(arrowTrace([{ ...MAP, ...change }, UNMAP, { ...MAP, ts_ns: 20, handle_lo: 2 }, { ...UNMAP, ts_ns: 30, handle_lo: 2 }]))]);
  out.push(['device-empty-name', Buffer.from(arrowTrace([MAP, UNMAP], ['']))]);
  out.push(['device-escape-name', Buffer.from(arrowTrace([MAP, UNMAP], ['nic\x1b[2J']))]);
  out.push(['class-mismatch', Buffer.from(arrowTrace([MAP, UNMAP, { ...MAP, ts_ns: 20, class: 1, handle_lo: 3 }]))]);
  out.push(['many-rows-one-batch', Buffer.from(arrowTrace(Array.from({ length: 6000 }, (_, i) => (i % 2 === 0 ? { ...MAP, ts_ns: i, handle_lo: i } : { ...UNMAP, ts_ns: i, handle_lo: i - 1 }))))]);
  out.push(['not-arrow-text', Buffer.from(CANONICAL_HEADER + '\n')]);
  out.push(['arrow-file-magic', Buffer.concat([Buffer.from('ARROW1\0\0'), good])]);
  return out;
}

/** Raw kernel text (ftrace, perf script), hostile line by line. */
function rawFiles(): [string, string | Buffer][] {
  const ok = ftraceText(4).split('\n');
  const at = (line: string) => [...ok.slice(0, 4), line, ...ok.slice(4)].join('\n');
  const dmaLine = (payload: string) => `            dd-169   [001]     6.047512: ${payload}`;
  return [
    ['good', ftraceText(40)],
    ['perf', readFileSync('test/fixtures/kernel/perf-script.txt', 'utf8')],
    ['trace-cmd-dma', readFileSync('test/fixtures/kernel/trace-cmd-dma.txt', 'utf8')],
    ['bad-lines', readFileSync('test/fixtures/kernel/bad-lines.txt', 'utf8')],
    ['iova-banana', at('          wget-435     [000] b..1.     8.400000: map: IOMMU: iova=banana - 0x1 paddr=0x1 size=4096')],
    ['size-huge', at('          wget-435     [000] b..1.     8.400000: map: IOMMU: iova=0x00000000fff00000 - 0x00000000fff01000 paddr=0x0000000002000000 size=99999999999999999999')],
    ['size-zero', at('          wget-435     [000] b..1.     8.400000: map: IOMMU: iova=0x00000000fff00000 - 0x00000000fff00000 paddr=0x0000000002000000 size=0')],
    ['ts-huge', at('          wget-435     [000] b..1. 99999999999999999.999999: map: IOMMU: iova=0x00000000fff00000 - 0x00000000fff01000 paddr=0x0000000002000000 size=4096')],
    ['cpu-huge', at('          wget-435     [99999999999] b..1.     8.400000: map: IOMMU: iova=0x00000000fff00000 - 0x00000000fff01000 paddr=0x0000000002000000 size=4096')],
    ['device-escape', [dmaLine('dma_map_page: nic\x1b]0;x\x07 dir=TO_DEVICE dma_addr=fff80000 size=4096 phys_addr=6f9a000 attrs='), dmaLine('dma_unmap_page: nic\x1b]0;x\x07 dir=TO_DEVICE dma_addr=fff80000 size=4096 attrs=')].join('\n') + '\n'],
    ['dir-bogus', dmaLine('dma_map_page: 0000:00:03.0 dir=SIDEWAYS dma_addr=fff80000 size=4096 phys_addr=6f9a000 attrs=') + '\n'],
    ['sg-mismatched', dmaLine('dma_map_sg: 0000:00:04.0 dir=TO_DEVICE nents=3/3 ents=3/3 dma_addrs={0xffefc000} sizes={4096, 4096, 1500, 7} phys_addrs={} attrs=') + '\n'],
    ['sg-huge', dmaLine(`dma_map_sg: 0000:00:04.0 dir=TO_DEVICE nents=9999/9999 ents=9999/9999 dma_addrs={${Array.from({ length: 9999 }, (_, i) => '0x' + (0xf0000000 + i * 4096).toString(16)).join(', ')}} sizes={${Array.from({ length: 9999 }, () => '4096').join(', ')}} phys_addrs={${Array.from({ length: 9999 }, (_, i) => '0x' + (0x100000 + i * 4096).toString(16)).join(', ')}} attrs=`) + '\n'],
    ['sg-unclosed', dmaLine('dma_map_sg: 0000:00:04.0 dir=TO_DEVICE dma_addrs={0xffefc000, sizes={1500 phys_addrs={0x2329000 attrs=') + '\n'],
    ['unmap-only', dmaLine('dma_unmap_page: 0000:00:03.0 dir=FROM_DEVICE dma_addr=fff80000 size=131072 attrs=') + '\n'],
    ['spaces-line', at('x' + ' '.repeat(600_000) + '1')],
    ['dash-digits-line', at('-1 '.repeat(200_000))],
    ['crlf', ftraceText(20).replace(/\n/g, '\r\n')],
    ['nul-bytes', Buffer.concat([Buffer.from(ftraceText(5)), Buffer.alloc(5000), Buffer.from(ftraceText(5))])],
    ['comments-only', '# tracer: nop\n#\n# entries-in-buffer\n'],
    ['unicode', at('          wgét-435     [000] b..1.     8.400000: map: IOMMU: iova=0x00000000fff00000 - 0x00000000fff01000 paddr=0x0000000002000000 size=4096 ✓')],
    ['reversed-time', ftraceText(30).split('\n').reverse().join('\n')],
  ];
}

/** Result files for diff and figures: everything that is not `{"results": [RunResult...]}`. */
function resultsFiles(): [string, string][] {
  const good = readFileSync('test/fixtures/results/before.json', 'utf8');
  const r0 = JSON.parse(good).results[0];
  const one = (change: Record<string, unknown>) => JSON.stringify({ results: [{ ...r0, ...change }] });
  return [
    ['good', good],
    ['null', 'null'],
    ['array', '[]'],
    ['empty-object', '{}'],
    ['results-null', '{"results":null}'],
    ['results-of-null', '{"results":[null]}'],
    ['results-of-numbers', '{"results":[1,2,3]}'],
    ['not-json', '{"results": [,,]}'],
    ['empty', ''],
    ['deep', '['.repeat(200_000) + ']'.repeat(200_000)],
    ['proto', '{"__proto__":{"polluted":1},"results":[{"__proto__":{"dmas":5}}]}'],
    ['dmas-string', one({ dmas: 'many' })],
    ['cycles-null', one({ cycles: null })],
    ['by-category-nan', one({ cycles: { ...r0.cycles, by_category: { driver: 'NaN' } } })],
    ['iotlb-missing', one({ iotlb: undefined })],
    ['trace-number', one({ trace: 42 })],
    ['huge-number', one({ dmas: 1e308, cycles: { ...r0.cycles, total: 1e308 } })],
    ['counters-array', one({ counters: [1, 2] })],
  ];
}

/** Shard outputs for merge. */
function shardFiles(dir: string): [string, string | Buffer][] {
  const csvShard = (rows: string[]) => ['task,trace,strategy,iotlb.entries,profile,dmas', ...rows].join('\n') + '\n';
  return [
    ['csv-task-negative.csv', csvShard(['-1,t.csv,native,8,xen-2008,1'])],
    ['csv-task-float.csv', csvShard(['1.5,t.csv,native,8,xen-2008,1'])],
    ['csv-task-huge.csv', csvShard(['1000000000000000,t.csv,native,8,xen-2008,1'])],
    ['csv-task-gap.csv', csvShard(['0,t.csv,native,8,xen-2008,1', '2000000000,t.csv,native,8,xen-2008,1'])],
    ['csv-task-text.csv', csvShard(['zero,t.csv,native,8,xen-2008,1'])],
    ['csv-no-columns.csv', 'a,b\n1,2\n'],
    ['csv-ragged.csv', csvShard(['0,t.csv', '1,t.csv,native,8,xen-2008,1,extra'])],
    ['csv-open-quote.csv', csvShard(['0,"t.csv,native,8,xen-2008,1'])],
    ['csv-empty.csv', ''],
    ['json-null.json', 'null'],
    ['json-rows-null.json', '{"grid":[],"rows":[null]}'],
    ['json-rows-bare.json', '{"grid":[{"key":"iotlb.entries","values":[8]}],"rows":[{"task":0,"grid":{"iotlb.entries":8}}]}'],
    ['json-grid-bad.json', '{"grid":"x","rows":[]}'],
    ['json-replay.json', readFileSync('test/fixtures/results/before.json', 'utf8')],
    ['arrow-garbage.arrow', Buffer.from('\xff\xff\xff\xff garbage', 'latin1')],
    ['arrow-trace.arrow', Buffer.from(arrowTrace([MAP, UNMAP]))],
    ['arrow-empty.arrow', Buffer.alloc(0)],
  ].map(([name, content]) => [join(dir, name as string), content] as [string, string | Buffer]);
}

/** Profiles for -p FILE. */
function profileFiles(): [string, string][] {
  const base = JSON.parse(readFileSync('src/cost/profiles/xen-2008.json', 'utf8'));
  const withParam = (key: string, value: unknown) => JSON.stringify({ ...base, params: { ...base.params, [key]: { ...base.params[key], value } } });
  return [
    ['not-json', '{ id: xen }'],
    ['empty', ''],
    ['null', 'null'],
    ['no-params', JSON.stringify({ id: 'p' })],
    ['missing-param', JSON.stringify({ ...base, params: { ...base.params, 'iotlb.entries': undefined } })],
    ['unknown-param', JSON.stringify({ ...base, params: { ...base.params, 'bogus.key': { value: 1, source: 'x' } } })],
    ['iotlb-2p30', withParam('iotlb.entries', 2 ** 30)],
    ['memory-4tib', withParam('guest.memory_mib', 4194304)],
    ['fq-1e15', withParam('linux.fq_size', 1e15)],
    ['cost-string', withParam('pt.update_cycles', '200')],
    ['cost-infinite', withParam('pt.update_cycles', '1e999').replace('"1e999"', '1e999')],
    ['cost-negative', withParam('hypercall.cycles', -1)],
    ['proto', JSON.stringify({ ...base, __proto__: { polluted: true } }).replace('"id"', '"__proto__":{"x":1},"id"')],
    ['id-escape', JSON.stringify({ ...base, id: 'evil\x1b[2J<b>' })],
    ['no-source', JSON.stringify({ ...base, params: { ...base.params, 'cpu.hz': { value: 1e9 } } })],
  ];
}

export function writeCorpus(dir: string): HostileCase[] {
  const cases: HostileCase[] = [];
  const out = join(dir, 'out');
  mkdirSync(out, { recursive: true });
  let n = 0;
  /** A fresh output path for one case. */
  const output = (name: string) => {
    const d = join(out, String(n++));
    mkdirSync(d);
    return join(d, name);
  };
  const write = (sub: string, name: string, content: string | Buffer) => {
    mkdirSync(join(dir, sub), { recursive: true });
    const p = join(dir, sub, name);
    writeFileSync(p, content);
    return p;
  };
  const add = (group: string, command: string, argv: string[], inputs: string[], id: string, process?: HostileCase['process']) =>
    cases.push({ id: `${group}/${id}/${command}`, group, command, argv, inputs, process, work: WORK[id] ?? (command === 'figures' ? FIGURES_WORK : undefined) });

  /** The commands that read a trace, each on `trace` (fewer when `light`). */
  const traceCommands = (group: string, id: string, trace: string, light = false) => {
    add(group, 'replay', ['replay', trace], [trace], id);
    add(group, 'inspect', ['inspect', trace, '--json'], [trace], id);
    if (light) return;
    add(group, 'sweep', ['sweep', trace, '-s', 'native,single-use', '--grid', 'iotlb.entries=8,16', '--no-figures', '-o', output('sweep.csv')], [trace], id);
    add(group, 'attack', ['attack', '--trace', trace, '--samples', '2', '--no-figures', '--json'], [trace], id);
    add(group, 'ingest', ['ingest', trace, '-o', output('t.arrow')], [trace], id);
    add(group, 'diff', ['diff', 'single-use', 'persistent', '--trace', trace], [trace], id);
  };

  // 1. Canonical CSV, fast path and csv-parse path (the same rows after a BOM), and gzipped.
  const base = baseRows();
  ROW_MUTATIONS.forEach(([name, row]) => {
    const rows = [...base.slice(0, 4), row, ...base.slice(4)];
    const fast = write('csv-fast', `${name}.csv`, [CANONICAL_HEADER, ...rows].join('\n') + '\n');
    traceCommands('csv-fast', name, fast);
    const general = write('csv-parse', `${name}.csv`, ['\ufeff' + CANONICAL_HEADER, ...rows].join('\n') + '\n');
    traceCommands('csv-parse', name, general, true);
  });
  for (const [name, content] of wholeFiles()) {
    const p = write('csv-file', `${name}.csv`, content);
    traceCommands('csv-file', name, p, !['crlf', 'cr-only', 'mixed-endings', 'header-reordered', 'invalid-utf8', 'many-devices', 'all-guests'].includes(name));
  }
  // gzip: damaged, truncated, bombs (small compressed, large expanded), members, trailing garbage.
  const goodCsv = Buffer.from([CANONICAL_HEADER, ...base].join('\n') + '\n');
  const gz = gzipSync(goodCsv);
  const gzFiles: [string, Buffer][] = [
    ['good', gz],
    ['truncated-half', gz.subarray(0, gz.length >> 1)],
    ['truncated-trailer', gz.subarray(0, gz.length - 4)],
    ['header-only', gz.subarray(0, 10)],
    ['not-gzip', goodCsv],
    ['empty', Buffer.alloc(0)],
    ['two-members', Buffer.concat([gz, gz])],
    ['trailing-garbage', Buffer.concat([gz, Buffer.from('garbage after the stream')])],
    ['flipped', Buffer.from(gz.map((b, i) => (i === gz.length >> 1 ? b ^ 0xff : b)))],
    ['bomb-no-newline', gzipSync(Buffer.concat([Buffer.from(CANONICAL_HEADER + '\n'), Buffer.alloc(60 << 20, 0x61)]), { level: 9 })],
    ['bomb-newlines', gzipSync(Buffer.concat([Buffer.from(CANONICAL_HEADER + '\n'), Buffer.alloc(40 << 20, 0x0a)]), { level: 9 })],
    ['bomb-header-line', gzipSync(Buffer.alloc(60 << 20, 0x2c), { level: 9 })],
    ['bomb-open-quote', gzipSync(Buffer.concat([Buffer.from('\ufeff' + CANONICAL_HEADER + '\n1,0,"nic0\n'), Buffer.alloc(30 << 20, 0x78), Buffer.from('\n'), goodCsv.subarray(CANONICAL_HEADER.length + 1)]), { level: 9 })],
  ];
  for (const [name, content] of gzFiles) traceCommands('csv-gz', name, write('csv-gz', `${name}.csv.gz`, content), name !== 'good' && !name.startsWith('truncated'));

  // 2. Arrow traces.
  for (const [name, content] of arrowFiles()) traceCommands('arrow', name, write('arrow', `${name}.arrow`, content), !name.startsWith('value-') && name !== 'good');

  // 3. Raw kernel text, plain and gzipped.
  for (const [name, content] of rawFiles()) {
    const p = write('raw', `${name}.txt`, content);
    add('raw', 'ingest', ['ingest', p, '-o', output('raw.csv')], [p], name);
    add('raw', 'ingest-arrow', ['ingest', p, '-o', output('raw.arrow')], [p], name);
    add('raw', 'replay', ['replay', p, '-s', 'native,linux-strict'], [p], name);
    add('raw', 'inspect', ['inspect', p], [p], name);
  }
  const rawGz = gzipSync(ftraceText(2000));
  const rawGzFiles: [string, Buffer][] = [
    ['truncated', rawGz.subarray(0, rawGz.length >> 1)],
    ['not-gzip', Buffer.from(ftraceText(3))],
    ['bomb-no-newline', gzipSync(Buffer.alloc(60 << 20, 0x61), { level: 9 })],
    ['bomb-after-events', gzipSync(Buffer.concat([Buffer.from(ftraceText(3)), Buffer.alloc(60 << 20, 0x20), Buffer.from('\n' + ftraceText(3))]), { level: 9 })],
  ];
  for (const [name, content] of rawGzFiles) {
    const p = write('raw-gz', `${name}.txt.gz`, content);
    add('raw-gz', 'ingest', ['ingest', p, '-o', output('raw.csv')], [p], name);
    add('raw-gz', 'replay', ['replay', p, '-s', 'native'], [p], name);
    add('raw-gz', 'inspect', ['inspect', p], [p], name);
  }
  // --devices files for ingest.
  const devicesCases: [string, string][] = [
    ['bad-class', 'eth0,gpu\n'],
    ['sysfs-bad-class', 'device,driver,pci_class\n0000:00:03.0,e1000,banana\n'],
    ['binary', '\x00\x01\x02,\xff\n'],
    ['empty', ''],
  ];
  for (const [name, content] of devicesCases) {
    const p = write('devices', `${name}.csv`, content);
    add('devices', 'ingest', ['ingest', 'test/fixtures/kernel/trace-cmd-dma.txt', '--devices', p, '-o', output('d.csv')], [p], name);
  }
  add('devices', 'ingest', ['ingest', 'test/fixtures/kernel/trace-cmd-dma.txt', '--devices', '/dev/zero', '-o', output('d.csv')], [], 'dev-zero');

  // 4. Results files (diff, figures) and shards (merge).
  const good = write('results', 'reference.json', readFileSync('test/fixtures/results/before.json', 'utf8'));
  for (const [name, content] of resultsFiles()) {
    const p = write('results', `${name}.json`, content);
    add('results', 'diff', ['diff', p, good], [p, good], name);
    add('results', 'diff-json', ['diff', good, p, '--json'], [p, good], name);
    if (['results-of-null', 'dmas-string', 'huge-number', 'deep'].includes(name)) add('results', 'figures', ['figures', p, '-o', output('figs')], [p], name);
  }
  mkdirSync(join(dir, 'shards'), { recursive: true });
  for (const [p, content] of shardFiles(join(dir, 'shards'))) {
    writeFileSync(p, content);
    const ext = p.slice(p.lastIndexOf('.'));
    add('shards', 'merge', ['merge', p, '-o', output(`merged${ext}`)], [p], p.slice(p.lastIndexOf('/') + 1));
  }
  const twice = join(dir, 'shards', 'csv-task-gap.csv');
  add('shards', 'merge', ['merge', twice, twice, '-o', output('merged.csv')], [twice], 'same-shard-twice');

  // 5. Profiles.
  const small = write('csv-file', 'small.csv', [CANONICAL_HEADER, ...base].join('\n') + '\n');
  for (const [name, content] of profileFiles()) {
    const p = write('profiles', `${name}.json`, content);
    add('profiles', 'replay', ['replay', small, '-p', p], [p, small], name);
    add('profiles', 'profiles', ['profiles', p], [p], name);
    add('profiles', 'sweep', ['sweep', small, '-p', p, '--grid', 'iotlb.entries=8', '--no-figures'], [p, small], name);
  }
  for (const p of ['/dev/zero', '/dev/null', join(dir, 'profiles')]) add('profiles', 'replay', ['replay', small, '-p', p], [small], `path-${p.replace(/\W+/g, '-')}`);

  // 6. File-system traps.
  const link = join(dir, 'csv-file', 'link-to-small.csv');
  symlinkSync(small, link);
  const loop = join(dir, 'csv-file', 'loop.csv');
  symlinkSync(loop, loop);
  const fullLink = join(dir, 'csv-file', 'full.json');
  symlinkSync('/dev/full', fullLink);
  const nullLink = join(dir, 'csv-file', 'null.json');
  symlinkSync('/dev/null', nullLink);
  const notADir = write('csv-file', 'plain-file', 'x');
  const traps: [string, string[], string[]][] = [
    ['missing', ['replay', join(dir, 'no-such.csv')], []],
    ['directory', ['inspect', join(dir, 'csv-file')], []],
    ['symlink-loop', ['replay', loop], []],
    ['dev-null', ['replay', '/dev/null'], []],
    ['dev-zero-replay', ['replay', '/dev/zero'], []],
    ['dev-zero-inspect', ['inspect', '/dev/zero'], []],
    ['dev-zero-ingest', ['ingest', '/dev/zero', '-o', output('z.csv')], []],
    ['dev-zero-arrow', ['ingest', '/dev/zero', '-o', output('z.arrow')], []],
    ['output-is-input', ['replay', small, '-o', small], [small]],
    ['output-is-input-link', ['replay', small, '-o', link], [small]],
    ['sweep-output-is-input', ['sweep', small, '--grid', 'iotlb.entries=8', '--no-figures', '-o', small], [small]],
    ['ingest-output-is-input', ['ingest', 'test/fixtures/kernel/ftrace-iommu.txt', '-o', 'test/fixtures/kernel/ftrace-iommu.txt'], ['test/fixtures/kernel/ftrace-iommu.txt']],
    ['merge-output-is-input', ['merge', join(dir, 'shards', 'csv-task-gap.csv'), '-o', join(dir, 'shards', 'csv-task-gap.csv')], [join(dir, 'shards', 'csv-task-gap.csv')]],
    ['output-dev-full', ['replay', small, '-s', 'native', '-o', fullLink], [small]],
    ['output-dev-null', ['replay', small, '-s', 'native', '-o', nullLink], [small]],
    ['output-proc', ['replay', small, '-s', 'native', '-o', '/proc/self/x.json'], [small]],
    ['figures-proc', ['figures', small, '-o', '/proc/self/figs'], [small]],
    ['figures-dir-proc', ['sweep', small, '-s', 'native', '--grid', 'iotlb.entries=8,16', '--figures-dir', '/proc/self/sweep'], [small]],
    ['output-under-file', ['replay', small, '-s', 'native', '-o', join(notADir, 'x.json')], [small]],
    ['output-is-directory', ['replay', small, '-s', 'native', '-o', join(dir, 'csv-file') + '/'], [small]],
    ['synth-under-file', ['synth', 'netperf-rx', '--dmas', '10', '-o', join(notADir, 'x.csv')], []],
  ];
  for (const [name, argv, inputs] of traps) add('fs-traps', argv[0], argv, inputs, name);
  // A FIFO can only be fed by a process of our own: the test feeds it while the command reads.
  add('fs-traps', 'replay', ['replay', join(dir, 'fifo-canonical.pipe'), '-s', 'native', '--json'], [], 'fifo-canonical', { fifo: join(dir, 'fifo-canonical.pipe'), feed: small });
  add('fs-traps', 'inspect', ['inspect', join(dir, 'fifo-raw.pipe')], [], 'fifo-raw', { fifo: join(dir, 'fifo-raw.pipe'), feed: 'test/fixtures/kernel/ftrace-iommu.txt' });
  add('fs-traps', 'ingest', ['ingest', join(dir, 'fifo.csv'), '-o', output('fifo.arrow')], [], 'fifo-csv-to-arrow', { fifo: join(dir, 'fifo.csv'), feed: small });
  for (const argv of [['replay', small, '-s', 'native'], ['replay', small, '-s', 'native', '--json'], ['inspect', small], ['ingest', 'test/fixtures/kernel/ftrace-iommu.txt'], ['strategies'], ['synth', 'netperf-rx', '--dmas', '50']]) {
    add('fs-traps', argv[0], argv, argv.includes(small) ? [small] : [], `stdout-dev-full-${argv.join('-').replace(/\W+/g, '-')}`, { stdoutFull: true });
  }

  // 7. Flags no run needs.
  const flags: string[][] = [
    ['replay', small, '--set', 'iotlb.entries=1073741824'],
    ['replay', small, '--set', 'guest.memory_mib=4194304'],
    ['replay', small, '--set', 'linux.fq_size=1e15'],
    ['replay', small, '--set', 'iotlb.entries=NaN'],
    ['replay', small, '--set', 'iotlb.entries=Infinity'],
    ['replay', small, '--set', '=5'],
    ['replay', small, '--set', 'nosuch.key=1'],
    ['replay', small, '--set', '__proto__=1'],
    ['replay', small, '-s', 'nonesuch'],
    ['replay', small, '-s', ',,,'],
    ['replay', small, '--jobs', '1000'],
    ['replay', small, small, small, '--jobs', '99999999999999999999'],
    ['replay', small, '--jobs', '-1'],
    ['replay', small, '--shard', '5/2'],
    ['replay', small, '--shard', '1e3/1e4'],
    ['replay', small, '--format', 'yaml'],
    ['sweep', small, '--grid', 'iotlb.entries=abc', '--no-figures'],
    ['sweep', small, '--grid', 'iotlb.entries=3', '--no-figures'],
    ['sweep', small, '--grid', 'iotlb.entries=', '--no-figures'],
    ['sweep', small, '--grid', 'iotlb.entries=8', '--grid', 'iotlb.entries=16', '--no-figures'],
    ['sweep', small, ...['driver.map_cycles', 'driver.unmap_cycles', 'hypercall.cycles', 'validate.page_cycles', 'refcount.update_cycles'].flatMap((k) => ['--grid', `${k}=${Array.from({ length: 40 }, (_, i) => i).join(',')}`]), '--no-figures'],
    ['sweep', small, '--grid', 'iotlb.entries=8', '--jobs', '64', '--no-figures'],
    ['attack', '--trace', small, '--samples', '1000000', '--no-figures'],
    ['attack', '--trace', small, '--seed', '-99999999999', '--no-figures'],
    ['attack', '--trace', small, '--samples', '0'],
    ['diff', 'native', 'native', '--trace', small, '--fail-above', 'NaN'],
    ['diff', 'native', 'software', '--trace', small, '--metric', 'nosuch'],
    ['synth', 'nosuch', '--dmas', '10'],
    ['synth', 'netperf-rx', '--dmas', '10', '--opt', 'ring=abc'],
    ['synth', 'netperf-rx', '--dmas', '10', '--opt', 'ring=-5'],
    ['synth', 'netperf-rx', '--dmas', '10', '--guests', '27'],
    ['ingest', 'test/fixtures/kernel/ftrace-iommu.txt', '--format', 'nope'],
    ['ingest', 'test/fixtures/kernel/ftrace-iommu.txt', '--guest', '99999999'],
    ['ingest', 'test/fixtures/kernel/ftrace-iommu.txt', '--to', 'arrow'],
    ['profiles', 'nosuch'],
    ['merge', join(dir, 'shards', 'csv-task-gap.csv')],
  ];
  flags.forEach((argv, i) => add('flags', argv[0], argv, argv.filter((a) => a === small), `flags-${i}`));

  return cases;
}
