/**
 * No row is dropped in silence (issue 16): every line of a trace is either an event or a reported
 * problem. A row is one line on both CSV paths: an unterminated quote costs its own line only
 * (csv-parse alone swallowed the rest of the file into one field), a lone CR ends a row (the fast
 * path used to keep only the first of the rows it separated), and a row with a field too many or
 * a buffer running past the end of the 64-bit address space is reported, not accepted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replayTrace } from '../../src/replay/replay.js';
import { resolveProfileByName } from '../../src/cost/profile.js';
import { parseStrategyList } from '../../src/strategies/index.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { CANONICAL_HEADER } from '../../src/trace/canonical.js';
import { canonicalRows } from '../helpers/kernel-text.js';
import { scratchDir } from '../helpers/cli.js';

const scratch = scratchDir('dmareplay-drops-');
afterAll(() => scratch.remove());
const profile = resolveProfileByName('xen-2008');
const BOM = '\ufeff';

/** Replays `text` (written to `name`) through single-use; the DMAs and every problem as printed. */
async function replayOf(name: string, text: string) {
  const path = join(scratch.dir, name);
  writeFileSync(path, text);
  const diagnostics = new Diagnostics();
  const run = await replayTrace(path, { strategies: parseStrategyList('single-use'), profile, diagnostics });
  return { path, dmas: run.results[0].dmas, live: run.results[0].live_at_end, problems: diagnostics.problems.map(formatProblem), kinds: Object.fromEntries(diagnostics.countsByKind) };
}

/** The same rows under the canonical header (fast path) and under a BOM + header (csv-parse path). */
const bothPaths = (rows: string[]) => [
  ['the fast path', `${CANONICAL_HEADER}\n${rows.join('\n')}\n`],
  ['the csv-parse path (header after a BOM)', `${BOM}${CANONICAL_HEADER}\n${rows.join('\n')}\n`],
] as const;

describe('an unterminated quote costs one line, not the rest of the file', () => {
  // 2,000 DMAs; line 10 (the map of handle 5) opens a quote it never closes.
  const rows = canonicalRows(2000);
  rows[8] = rows[8].replace(',nic0,', ',"nic0,');
  for (const [path, text] of bothPaths(rows)) {
    it(`on ${path}: line 10 reported, its unmap (line 11) unmatched, the other 1,999 DMAs replayed`, async () => {
      const r = await replayOf(`quote-${path.length}.csv`, text);
      expect(r.problems).toEqual([
        `${r.path}:10: a quoted field is not closed on this line (a row is one line: reading goes on with the next)`,
        `${r.path}:11: unmap of handle 0x5 on nic0 with no live map`,
      ]);
      expect(r.dmas).toBe(1999);
    });
  }
});

describe('a lone CR ends a row on both paths', () => {
  // Line 3 holds a map, a CR, then its unmap: two rows. A bad row follows on line 6.
  const rows = ['0,0,nic0,net,map,to_device,0x1000,64,1,', '5,0,nic0,net,map,to_device,0x2000,64,2,\r6,0,nic0,net,unmap,,,,2,', '9,0,nic0,net,unmap,,,,1,', '10,0,nic0,net,map,to_device,0xzz,64,3,'];
  for (const [path, text] of bothPaths(rows)) {
    it(`on ${path}: both rows replayed (2 DMAs, none left mapped), and the bad row after them is line 6`, async () => {
      const r = await replayOf(`cr-${path.length}.csv`, text);
      expect(r.dmas).toBe(2);
      expect(r.live).toBe(0);
      expect(r.problems).toEqual([`${r.path}:6: address '0xzz' is not hex (expected 0x...)`]);
    });
  }
});

describe('rows reported, not accepted', () => {
  const good = ['100,0,nic0,net,map,to_device,0x5000,64,9,', '200,0,nic0,net,unmap,,,,9,'];
  const cases: { name: string; row: string; kind: string; message: string }[] = [
    { name: 'a row with a field too many', row: '1,0,nic0,net,map,to_device,0x1000,64,1,,extra', kind: 'long-row', message: 'expected 10 fields, found 11 (a comma too many?)' },
    { name: 'a buffer whose addr + len wraps past 2^64', row: '1,0,nic0,net,map,to_device,0xfffffffffffff000,8192,1,', kind: 'bad-address', message: 'buffer at 0xfffffffffffff000 of 8192 bytes runs past the end of the 64-bit address space' },
    { name: 'an access wrapping past 2^64', row: '1,0,nic0,net,access,to_device,0xffffffffffffffff,2,,', kind: 'bad-address', message: 'buffer at 0xffffffffffffffff of 2 bytes runs past the end of the 64-bit address space' },
  ];
  for (const c of cases) {
    for (const [path, text] of bothPaths([c.row, ...good])) {
      it(`${c.name}, on ${path}: line 2 reported as ${c.kind}, the good DMA replayed`, async () => {
        const r = await replayOf(`${c.kind}-${c.name.length}-${path.length}.csv`, text);
        expect(r.problems).toEqual([`${r.path}:2: ${c.message}`]);
        expect(r.kinds).toEqual({ [c.kind]: 1 });
        expect(r.dmas).toBe(1);
      });
    }
  }

  it('a buffer ending exactly at the last 64-bit address is accepted', async () => {
    const r = await replayOf('last-page.csv', `${CANONICAL_HEADER}\n1,0,nic0,net,map,to_device,0xfffffffffffff000,4096,1,\n2,0,nic0,net,unmap,,,,1,\n`);
    expect(r.problems).toEqual([]);
    expect(r.dmas).toBe(1);
  });
});
