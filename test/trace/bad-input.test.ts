/**
 * Bad input: each problem is one `file:line: reason` line, the row is skipped, the rest of the
 * trace is still replayed, and --strict turns the first problem into an error.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { replayTrace } from '../../src/replay/replay.js';
import { resolveProfileByName } from '../../src/cost/profile.js';
import { parseStrategyList } from '../../src/strategies/index.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { InputError, StrictInputError } from '../../src/util/errors.js';
import { HEADER } from '../helpers/replay-text.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('dmareplay-bad-');
const profile = resolveProfileByName('xen-2008');
const GOOD_MAP = '100,0,nic0,net,map,to_device,0x1000,64,9,';
const GOOD_UNMAP = '200,0,nic0,net,unmap,,,,9,';

async function run(name: string, content: string | Buffer, strict = false) {
  const path = join(dir, name);
  writeFileSync(path, content);
  const diagnostics = new Diagnostics(strict);
  const r = await replayTrace(path, { strategies: parseStrategyList('single-use'), profile, diagnostics });
  return { path, r, diagnostics, lines: diagnostics.problems.map(formatProblem) };
}

/** A trace whose line 2 is `bad` followed by a good map/unmap pair (lines 3-4). */
async function oneBadRow(name: string, bad: string) {
  const out = await run(name, [HEADER, bad, GOOD_MAP, GOOD_UNMAP].join('\n') + '\n');
  // the good pair was still replayed
  expect(out.r.results[0].dmas).toBe(1);
  expect(out.diagnostics.total).toBe(1);
  return out;
}

describe('bad rows are reported as file:line and skipped', () => {
  const cases: [string, string, string, RegExp][] = [
    ['non-hex address', '1,0,nic0,net,map,to_device,0xzz,64,1,', 'bad-address', /address '0xzz' is not hex/],
    ['address without 0x', '1,0,nic0,net,map,to_device,4096,64,1,', 'bad-address', /is not hex/],
    ['address over 64 bits', '1,0,nic0,net,map,to_device,0x1ffffffffffffffff,64,1,', 'bad-address', /wider than 64 bits/],
    ['zero length', '1,0,nic0,net,map,to_device,0x1000,0,1,', 'bad-length', /len '0' is not a positive/],
    ['negative length', '1,0,nic0,net,map,to_device,0x1000,-5,1,', 'bad-length', /len '-5'/],
    ['unknown op', '1,0,nic0,net,remap,to_device,0x1000,64,1,', 'bad-op', /op 'remap' is not one of map, unmap, access/],
    ['unknown dir', '1,0,nic0,net,map,sideways,0x1000,64,1,', 'bad-dir', /dir 'sideways'/],
    ['unknown class', '1,0,nic0,gpu,map,to_device,0x1000,64,1,', 'bad-class', /class 'gpu' is not one of net, disk/],
    ['bad timestamp', 'soon,0,nic0,net,map,to_device,0x1000,64,1,', 'bad-timestamp', /ts_ns 'soon'/],
    ['timestamp in exponent form', '1e3,0,nic0,net,map,to_device,0x1000,64,1,', 'bad-timestamp', /ts_ns '1e3' is not a non-negative integer/],
    ['length in hex', '1,0,nic0,net,map,to_device,0x1000,0x40,1,', 'bad-length', /len '0x40'/],
    ['guest out of range', '1,5000,nic0,net,map,to_device,0x1000,64,1,', 'bad-guest', /guest '5000' is not an integer in 0..1023/],
    ['unmatched unmap', '1,0,nic0,net,unmap,,,,77,', 'unmatched-unmap', /unmap of handle 0x4d on nic0 with no live map/],
  ];
  for (const [what, row, kind, message] of cases) {
    it(what, async () => {
      const { path, lines, diagnostics } = await oneBadRow(`${kind}-${what.replace(/\W/g, '')}.csv`, row);
      expect(diagnostics.countsByKind.get(kind)).toBe(1);
      expect(lines[0].startsWith(`${path}:2: `)).toBe(true);
      expect(lines[0]).toMatch(message);
    });
  }

  it('a map of a live handle that does not follow its other segments names the line of the first', async () => {
    const { path, lines, r } = await run('dup.csv', [HEADER, GOOD_MAP, '120,0,nic0,net,map,to_device,0x5000,64,10,', '150,0,nic0,net,map,to_device,0x2000,64,9,', GOOD_UNMAP, '250,0,nic0,net,unmap,,,,10,'].join('\n'));
    expect(lines).toEqual([`${path}:4: handle 0x9 is already mapped (since line 2) and not unmapped (the segments of one scatter-gather DMA are consecutive map rows)`]);
    expect([r.results[0].dmas, r.results[0].segments]).toEqual([2, 2]);
  });

  it('given consecutive map rows of one handle, then they are one DMA of several segments, not a problem', async () => {
    const { lines, r } = await run('sg.csv', [HEADER, GOOD_MAP, '100,0,nic0,net,map,to_device,0x7000,8192,9,', GOOD_UNMAP].join('\n'));
    expect(lines).toEqual([]);
    expect([r.results[0].dmas, r.results[0].segments, r.results[0].pages, r.results[0].hypercalls]).toEqual([1, 2, 3, 2]);
  });

  it('a segment whose direction differs from its DMA\'s is reported and skipped; the DMA keeps its other segments', async () => {
    const { path, lines, r } = await run('sgdir.csv', [HEADER, GOOD_MAP, '100,0,nic0,net,map,from_device,0x7000,64,9,', '100,0,nic0,net,map,to_device,0x8000,64,9,', GOOD_UNMAP].join('\n'));
    expect(lines).toEqual([`${path}:3: segment of handle 0x9 is from_device, but its DMA (line 2) is to_device`]);
    expect([r.results[0].dmas, r.results[0].segments, r.results[0].pages]).toEqual([1, 2, 2]);
  });

  it('a timestamp going backwards', async () => {
    const { path, lines, r } = await run('back.csv', [HEADER, GOOD_MAP, '50,0,nic0,net,map,to_device,0x2000,64,10,', GOOD_UNMAP].join('\n'));
    expect(lines).toEqual([`${path}:3: timestamp 50 goes backwards (previous 100)`]);
    expect(r.results[0].dmas).toBe(1);
  });

  it('a truncated last line', async () => {
    const { path, lines, r } = await run('trunc.csv', [HEADER, GOOD_MAP, GOOD_UNMAP, '300,0,nic0,net,ma'].join('\n'));
    expect(lines).toEqual([`${path}:4: expected 10 fields, found 5 (truncated line?)`]);
    expect(r.results[0].dmas).toBe(1);
  });

  it('binary garbage after a good header is rejected line by line, never thrown', async () => {
    const garbage = Buffer.from([0x00, 0xff, 0x13, 0x2c, 0x22, 0x0a, 0x89, 0x50, 0x4e, 0x47, 0x0a, 0xde, 0xad, 0x2c, 0x2c]);
    const { r, diagnostics } = await run('garbage.csv', Buffer.concat([Buffer.from(HEADER + '\n' + GOOD_MAP + '\n'), garbage, Buffer.from('\n' + GOOD_UNMAP + '\n')]));
    expect(diagnostics.total).toBeGreaterThan(0);
    expect(r.results[0].dmas).toBe(1);
  });

  it('extra columns are ignored with one warning', async () => {
    const { diagnostics, r } = await run('extra.csv', [HEADER + ',comment', GOOD_MAP + ',hello', GOOD_UNMAP + ',x'].join('\n'));
    expect(diagnostics.total).toBe(0);
    expect(diagnostics.warnings).toEqual([`${join(dir, 'extra.csv')}:1: extra column ignored: comment`]);
    expect(r.results[0].dmas).toBe(1);
  });

  it('the summary counts skipped rows by kind', async () => {
    const { diagnostics } = await run('many.csv', [HEADER, '1,0,nic0,net,map,to_device,0xzz,64,1,', '2,0,nic0,net,map,to_device,0xyy,64,2,', '3,0,nic0,net,map,to_device,0x1000,0,3,'].join('\n'));
    expect(diagnostics.summary()).toBe('3 problems (rows skipped): 2 bad-address, 1 bad-length');
  });
});

describe('files that cannot be used at all', () => {
  it('a missing header column, with a did-you-mean for a misspelling', async () => {
    const header = HEADER.replace('handle', 'handel');
    await expect(run('misspelled.csv', header + '\n' + GOOD_MAP)).rejects.toThrow(/:1: missing column 'handle' \(did you mean 'handel'\?\); the header must be: ts_ns,guest/);
  });
  it('an empty file', async () => {
    await expect(run('empty.csv', '')).rejects.toThrow(/empty\.csv: empty file \(no header line/);
  });
  it('a missing file', async () => {
    const diagnostics = new Diagnostics();
    await expect(replayTrace(join(dir, 'nope.csv'), { strategies: parseStrategyList('native'), profile, diagnostics })).rejects.toThrow(InputError);
    await expect(replayTrace(join(dir, 'nope.csv'), { strategies: parseStrategyList('native'), profile, diagnostics })).rejects.toThrow(/nope\.csv: no such file/);
  });
  it('a directory', async () => {
    const d = join(dir, 'adir.csv');
    mkdirSync(d, { recursive: true });
    await expect(replayTrace(d, { strategies: parseStrategyList('native'), profile })).rejects.toThrow(/adir\.csv: is a directory, not a trace file/);
  });
  it('binary garbage as the whole file', async () => {
    await expect(run('allgarbage.csv', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x0a, 0x00]))).rejects.toThrow(/:1: missing columns/);
  });
});

describe('--strict', () => {
  it('turns the first problem into an error naming file and line', async () => {
    const bad = [HEADER, GOOD_MAP, '150,0,nic0,net,map,to_device,0xq,64,2,', GOOD_UNMAP].join('\n');
    await expect(run('strict.csv', bad, true)).rejects.toThrow(StrictInputError);
    await expect(run('strict2.csv', bad, true)).rejects.toThrow(/strict2\.csv:3: address '0xq' is not hex/);
  });
});
