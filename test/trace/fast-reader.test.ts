/**
 * The fast canonical scanner and the csv-parse path give identical events and identical
 * diagnostics: on every bundled trace, and on fuzzed inputs (canonical rows with random
 * corruptions: wrong words, non-hex, empty fields, extra or missing commas, \r\n endings,
 * non-numeric ids; quotes excluded, since the fast path parses them within one line; line
 * endings the same throughout a file, since csv-parse miscounts line numbers when \n and \r\n
 * are mixed, where the fast path counts '\n').
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CanonicalCsvReader } from '../../src/trace/csv-reader.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { bundledTraces } from '../../src/replay/golden.js';
import { CANONICAL_HEADER } from '../../src/trace/canonical.js';
import type { EventBatch } from '../../src/types/event.js';
import { tempDir } from '../helpers/temp-dir.js';

const COLS = ['line', 'ts', 'guest', 'device', 'cls', 'op', 'dir', 'page', 'offset', 'len', 'handleHi', 'handleLo', 'hasUnit', 'unitHi', 'unitLo'] as const;

async function read(text: Buffer, fast: boolean, chunk = 65536) {
  const chunks: Buffer[] = [];
  for (let i = 0; i < text.length; i += chunk) chunks.push(text.subarray(i, i + chunk));
  const diagnostics = new Diagnostics();
  const reader = new CanonicalCsvReader('t.csv', diagnostics, { source: chunks, fast });
  const rows: string[] = [];
  for await (const b of reader.batches()) for (let i = 0; i < b.length; i++) rows.push(COLS.map((c) => (b as EventBatch)[c][i]).join(',') + ',' + reader.devices.names[b.device[i]]);
  return { rows, problems: diagnostics.problems.map(formatProblem), warnings: diagnostics.warnings, read: reader.rowsRead, accepted: reader.rowsAccepted };
}

describe('fast scanner vs csv-parse', () => {
  for (const path of bundledTraces()) {
    it(`identical on ${path}`, async () => {
      let text = readFileSync(path);
      if (path.endsWith('.gz')) text = gunzipSync(text);
      const fast = await read(text, true, 4099); // an odd chunk size splits lines everywhere
      const slow = await read(text, false);
      expect(fast.rows.length).toBeGreaterThan(0);
      expect(fast).toEqual(slow);
    });
  }

  const good = [
    '0,0,nic0,net,map,from_device,0x2000000,2048,1,1',
    '10,1,vda,disk,map,to_device,0xffffffffffff000,4096,0xffefc000,r7',
    '20,0,nic0,net,unmap,,,,1,',
    '30,1,vda,disk,unmap,to_device,0xffffffffffff000,4096,0xffefc000,r7',
    '40,0,nic0,net,access,from_device,0x2000010,16,,',
    '50,0,eth 0,net,map,bidirectional,0x0000000000001000,1,abc,0x1',
  ];
  const corrupt = fc.oneof(
    fc.constant('map'),
    fc.constant('disk'),
    fc.constant(''),
    fc.constant('0x'),
    fc.constant('0xg1'),
    fc.constant('-1'),
    fc.constant('1e3'),
    fc.constant('0x1ffffffffffffffff'),
    fc.constant(',,'),
    fc.constant('nic0'),
    fc.constant('sideways'),
    fc.string({ maxLength: 6 }).map((t) => t.replace(/["\n\r]/g, '')),
  );

  it('identical on fuzzed inputs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ row: fc.integer({ min: 0, max: good.length - 1 }), field: fc.integer({ min: -1, max: 9 }), value: corrupt }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 97 }),
        fc.boolean(),
        async (edits, chunk, crlf) => {
          const lines = edits.map((e) => {
            const f = good[e.row].split(',');
            if (e.field >= 0) f[e.field] = e.value;
            return f.join(',');
          });
          const text = Buffer.from([CANONICAL_HEADER, ...lines].join(crlf ? '\r\n' : '\n'));
          const fast = await read(text, true, chunk);
          const slow = await read(text, false);
          expect(fast).toEqual(slow);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('replay results through either reader', () => {
  it('are identical for every strategy on every bundled trace', async () => {
    const { replayTrace } = await import('../../src/replay/replay.js');
    const { resolveProfileByName } = await import('../../src/cost/profile.js');
    const { STRATEGIES } = await import('../../src/strategies/index.js');
    const profile = resolveProfileByName();
    for (const path of bundledTraces()) {
      const fast = await replayTrace(path, { strategies: STRATEGIES, profile });
      const slow = await replayTrace(path, { strategies: STRATEGIES, profile, read: { fast: false } });
      expect(JSON.stringify(fast.results), path).toBe(JSON.stringify(slow.results));
    }
  });
});

describe('the Arrow trace path', () => {
  it('converting a trace to Arrow and replaying it gives the same results as the CSV', async () => {
    const { join } = await import('node:path');
    const { replayTrace } = await import('../../src/replay/replay.js');
    const { resolveProfileByName } = await import('../../src/cost/profile.js');
    const { STRATEGIES } = await import('../../src/strategies/index.js');
    const { writeArrowTrace } = await import('../../src/trace/arrow-trace.js');
    const dir = tempDir('dmareplay-arrow-');
    const profile = resolveProfileByName();
    for (const path of ['traces/scenario-two-guests.csv', 'traces/scenario-tx-multipage.csv', 'traces/netperf-rx.csv', 'traces/qemu-nvme-lazy.csv.gz']) {
      const reader = new CanonicalCsvReader(path, new Diagnostics());
      const out = join(dir, 'x.arrow');
      await writeArrowTrace(out, reader.batches(), reader.devices);
      const a = await replayTrace(out, { strategies: STRATEGIES, profile, name: 't' });
      const c = await replayTrace(path, { strategies: STRATEGIES, profile, name: 't' });
      expect(JSON.stringify(a.results), path).toBe(JSON.stringify(c.results));
    }
  });

  it('a file that is not an Arrow stream is one clear error', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const p = join(tempDir('dmareplay-arrow-'), 'bad.arrow');
    writeFileSync(p, 'not arrow at all');
    const reader = new CanonicalCsvReader(p, new Diagnostics());
    await expect((async () => { for await (const _ of reader.batches()); })()).rejects.toThrow(/bad.arrow: not an Arrow IPC stream/);
  });
});
