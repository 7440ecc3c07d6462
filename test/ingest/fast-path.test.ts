/**
 * ingest's fast path (bytes read in runs of whole lines, iommu: lines parsed in place, rows
 * written as bytes) against the reference path (every line through kernel-events.ts's parsers),
 * on generated traces full of odd lines: CRLF and lone CR line ends, truncated and mutated lines,
 * unknown events, non-ASCII and invalid UTF-8, hex in upper case and too long, sizes of 0 and of
 * 20 digits, events out of time order; read in chunks of a few bytes, so lines, CRLFs and UTF-8
 * sequences are split across chunks. Both must give the same text, summary and problems.
 * Also: the line splitter against readline, the reorder queue against MinHeap, the CSV writer's
 * numbers against String().
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { isAscii } from 'node:buffer';
import { ingestToCsv, type IngestOptions, type IngestSummary } from '../../src/ingest/ingest.js';
import { lineRuns, lineText } from '../../src/ingest/line-reader.js';
import { scanIommuLine, parseIommuMapAt, parseIommuUnmapAt, newFastFields, MAP, UNMAP, UNSURE } from '../../src/ingest/fast-iommu.js';
import { parseLine, parsePayload, type KernelEvent } from '../../src/ingest/kernel-events.js';
import { ReorderQueue } from '../../src/ingest/reorder.js';
import { CsvOut } from '../../src/ingest/csv-out.js';
import { MinHeap } from '../../src/util/min-heap.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';

const dir = mkdtempSync(join(tmpdir(), 'dmareplay-fast-path-'));
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
const dmaPayload = fc.tuple(addr, addr, size, fc.constantFrom('TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE')).map(([d, p, sz, dir]) => `0000:00:03.0 dir=${dir} dma_addr=${d} size=${sz} phys_addr=${p} attrs=`);
const event = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom('map', 'unmap', 'iommu:map', 'iommu:unmap', 'dma:map'), iommuPayload) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('dma_map_page', 'dma_unmap_page'), dmaPayload) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('sched_switch', 'io_page_fault', 'map_x', 'sched:sched_switch'), fc.constant('prev_comm=wget prev_pid=435')) },
);
const ftraceLine = fc
  .tuple(task, fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 31 }), fc.constantFrom('b..1.', 'd.h1.', '..s1.', '.....', 'd..2', '', 'bad!!'), ts, event, fc.constantFrom(' ', '  ', ''))
  .map(([t, pid, cpu, flags, time, [ev, payload], gap]) => `${t.padStart(16)}-${pid}     [${String(cpu).padStart(3, '0')}] ${flags}${flags ? ' ' : ''}${time.padStart(12)}: ${ev}:${gap}${payload}`);
const perfLine = fc
  .tuple(task, fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 31 }), ts, event)
  .map(([t, pid, cpu, time, [ev, payload]]) => `${t.padStart(16)} ${String(pid).padStart(5)} [${String(cpu).padStart(3, '0')}] ${time}: ${ev.includes(':') ? ev : `iommu:${ev}`}: ${payload}`);
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

describe('ingest: fast path = reference path', () => {
  it('gives the same chunks, summary and problems on generated traces read in small chunks', async () => {
    // Every trace starts with one good line so that the format is detected and the rest is read.
    const first = '          wget-435     [000] b..1.     8.363915: map: IOMMU: iova=0x00000000ffefc000 - 0x00000000ffefd000 paddr=0x0000000002329000 size=4096\n';
    await fc.assert(
      // (reads of a few bytes are slow: a stream event each; most runs use more)
      fc.asyncProperty(traceBytes, fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 5, arbitrary: fc.integer({ min: 9, max: 400 }) }), fc.constantFrom(0, 1000, 1_000_000), fc.boolean(), async (bytes, chunkBytes, window, named) => {
        const path = join(dir, `t${fileNo++}.txt`);
        writeFileSync(path, Buffer.concat([Buffer.from(first), bytes]));
        const opts: IngestOptions = { reorderWindowNs: window, ...(named ? { device: 'eth0', cls: 'net' } : {}) };
        const fast = await run(path, { ...opts, chunkBytes });
        const reference = await run(path, { ...opts, fastPath: false });
        // The chunks themselves (not only their text) are the same: they are cut after the same rows.
        expect(fast).toEqual(reference);
      }),
      { numRuns: Number(process.env.FAST_PATH_RUNS ?? 200) },
    );
  }, 180_000);

  it('answers for the common lines (so the comparison above is not between two slow paths)', async () => {
    const text = [
      '          wget-435     [000] b..1.     8.363915: map: IOMMU: iova=0x00000000ffefc000 - 0x00000000ffefd000 paddr=0x0000000002329000 size=4096',
      '        <idle>-0       [001] ..s1.     8.364727: unmap: IOMMU: iova=0x00000000ffefc000 - 0x00000000ffefd000 size=4096 unmapped_size=4096',
      '            wget   435 [000]     8.363920: iommu:map: IOMMU: iova=0x00000000ffefd000 paddr=0x0000000007a11000 size=4096',
      '         swapper     0 [001]     8.364727: iommu:unmap: IOMMU: iova=0x00000000ffefc000 size=8192 unmapped_size=8192',
    ];
    const f = newFastFields();
    const kinds = text.map((l) => {
      const b = Buffer.from(l + '\n');
      const kind = scanIommuLine(b, 0, l.length, f);
      const ok = kind === MAP ? parseIommuMapAt(b, f.payload, l.length, f) : parseIommuUnmapAt(b, f.payload, l.length, f);
      return ok ? kind : UNSURE;
    });
    expect(kinds).toEqual([MAP, UNMAP, MAP, UNMAP]);
  });

  it('whenever the fast parsers answer for a line, the reference parsers give the same event', () => {
    const f = newFastFields();
    fc.assert(
      fc.property(line, (l) => {
        const b = Buffer.from(l + '\n', 'utf8');
        if (!isAscii(b)) return; // the caller's rule: ASCII lines only
        const kind = scanIommuLine(b, 0, l.length, f);
        if (kind === UNSURE) return;
        const parts = parseLine(l);
        expect(parts).not.toBeNull();
        expect(parts!.tsNs).toBe(f.tsNs);
        expect(parts!.event).toBe(kind === MAP ? 'map' : 'unmap');
        expect(['', 'iommu']).toContain(parts!.group);
        expect(parts!.payload).toBe(l.slice(f.payload).trimStart());
        const ok = kind === MAP ? parseIommuMapAt(b, f.payload, l.length, f) : parseIommuUnmapAt(b, f.payload, l.length, f);
        if (!ok) return;
        const ev = parsePayload(parts!.event, parts!.payload) as KernelEvent;
        const text = (v: number) => '0x' + v.toString(16);
        if (ev.kind === 'iommu-map') {
          expect([text(f.iova), text(f.paddr), f.size, f.page]).toEqual([ev.iova, ev.paddr, ev.size, parseInt(ev.iova.length > 5 ? ev.iova.slice(2, -3) : '0', 16)]);
        } else if (ev.kind === 'iommu-unmap') {
          expect([f.size, f.page]).toEqual([ev.size, parseInt(ev.iova.length > 5 ? ev.iova.slice(2, -3) : '0', 16)]);
        } else expect.fail(`fast path read ${ev.kind}`);
      }),
      { numRuns: 20000 },
    );
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
