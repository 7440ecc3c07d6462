/**
 * Arrow traces are checked like CSV traces (issue 16): every row goes through the same limits,
 * with the same reasons, reported as `file.arrow:row N` and skipped, and the rest is replayed. A
 * length of Infinity or 1e15 once made replay, figures and attack walk that many pages (hours,
 * gigabytes); now it is one reported row. A 0-byte .arrow is an error, as an empty CSV is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replayTrace } from '../../src/replay/replay.js';
import { resolveProfileByName } from '../../src/cost/profile.js';
import { parseStrategyList } from '../../src/strategies/index.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { arrowTrace, MAP, UNMAP, type ArrowRow } from '../helpers/arrow-file.js';
import { cli, cliChild, scratchDir, stackTraceLines } from '../helpers/cli.js';

const scratch = scratchDir('dmareplay-arrow-rows-');
afterAll(() => scratch.remove());
const profile = resolveProfileByName('xen-2008');

/** A trace of `bad` (row 1) and a good DMA of handle 2 (rows 2-3), replayed through single-use. */
async function withBadRow(name: string, bad: ArrowRow, names?: string[]) {
  const path = scratch.file(name, Buffer.from(arrowTrace([bad, { ...MAP, handle_lo: 2 }, { ...UNMAP, handle_lo: 2 }], names)));
  const diagnostics = new Diagnostics();
  const run = await replayTrace(path, { strategies: parseStrategyList('single-use'), profile, diagnostics });
  return { path, dmas: run.results[0].dmas, problems: diagnostics.problems.map(formatProblem) };
}

describe('each bad Arrow row is reported as file:row N with the reason a CSV row gets, and skipped', () => {
  const cases: [string, Partial<ArrowRow>, string][] = [
    ['len Infinity', { len: Infinity }, "len 'Infinity' is not a positive whole number of bytes (at most 4294967295)"],
    ['len 1e15', { len: 1e15 }, "len '1000000000000000' is not a positive whole number of bytes (at most 4294967295)"],
    ['len NaN', { len: NaN }, "len 'NaN' is not a positive whole number of bytes (at most 4294967295)"],
    ['a negative len', { len: -4096 }, "len '-4096' is not a positive whole number of bytes (at most 4294967295)"],
    ['a fractional len', { len: 1.5 }, "len '1.5' is not a positive whole number of bytes (at most 4294967295)"],
    ['page NaN', { page: NaN }, 'address page NaN offset 0 is not a 64-bit address (page a whole number below 2^52, offset 0..4095)'],
    ['a negative page', { page: -1 }, 'address page -1 offset 0 is not a 64-bit address (page a whole number below 2^52, offset 0..4095)'],
    ['a page of 2^52', { page: 2 ** 52 }, 'address page 4503599627370496 offset 0 is not a 64-bit address (page a whole number below 2^52, offset 0..4095)'],
    ['an offset beyond its page', { offset: 5000 }, 'address page 512 offset 5000 is not a 64-bit address (page a whole number below 2^52, offset 0..4095)'],
    ['a buffer wrapping past 2^64', { page: 2 ** 52 - 1, len: 8192 }, 'buffer at 0xfffffffffffff000 of 8192 bytes runs past the end of the 64-bit address space'],
    ['ts Infinity', { ts_ns: Infinity }, "ts_ns 'Infinity' is not a non-negative integer of nanoseconds"],
    ['ts NaN', { ts_ns: NaN }, "ts_ns 'NaN' is not a non-negative integer of nanoseconds"],
    ['a fractional ts', { ts_ns: 0.5 }, "ts_ns '0.5' is not a non-negative integer of nanoseconds"],
    ['a guest out of range', { guest: 5000 }, "guest '5000' is not an integer in 0..1023"],
    ['an op code out of range', { op: 9 }, "op 'code 9' is not one of map, unmap, access"],
    ['a dir code out of range', { dir: 7 }, "dir 'code 7' is not one of to_device, from_device, bidirectional"],
    ['a class code out of range', { class: 4 }, "class 'code 4' is not one of net, disk"],
    ['a dictionary index out of range', { device: 7 }, "device index 7 is not in the batch's dictionary of 1 names"],
    ['a negative dictionary index', { device: -1 }, "device index -1 is not in the batch's dictionary of 1 names"],
    ['a map without a handle', { has_handle: 0 }, 'handle is empty (a map needs one to pair map and unmap)'],
    ['an access of NaN bytes', { op: 2, len: NaN, has_handle: 0 }, "len 'NaN' is not a positive whole number of bytes (at most 4294967295)"],
  ];
  for (const [what, change, message] of cases) {
    it(`${what}: "${message}"`, async () => {
      const r = await withBadRow(`${what.replace(/\W+/g, '-')}.arrow`, { ...MAP, ...change });
      expect(r.problems).toEqual([`${r.path}:row 1: ${message}`]);
      expect(r.dmas).toBe(1);
    });
  }

  it('an empty device name', async () => {
    const r = await withBadRow('empty-device.arrow', { ...MAP, device: 1 }, ['nic0', '']);
    expect(r.problems).toEqual([`${r.path}:row 1: device is empty`]);
    expect(r.dmas).toBe(1);
  });

  it('a class mismatch: a device net on row 1 and disk on row 3', async () => {
    const path = scratch.file('class.arrow', Buffer.from(arrowTrace([MAP, UNMAP, { ...MAP, ts_ns: 20, class: 1, handle_lo: 3 }])));
    const diagnostics = new Diagnostics();
    const run = await replayTrace(path, { strategies: parseStrategyList('single-use'), profile, diagnostics });
    expect(diagnostics.problems.map(formatProblem)).toEqual([`${path}:row 3: device 'nic0' is class disk here but net earlier`]);
    expect(run.results[0].dmas).toBe(1);
  });
});

describe('hostile lengths cost one reported row, not hours', () => {
  // Rows 1 and 3 are the hostile maps; rows 5-6 a good DMA, so there is something to plot.
  const huge = scratch.file('huge.arrow', Buffer.from(arrowTrace([{ ...MAP, len: 1e15 }, { ...UNMAP }, { ...MAP, ts_ns: 20, len: Infinity, handle_lo: 2 }, { ...UNMAP, ts_ns: 30, handle_lo: 2 }, { ...MAP, ts_ns: 40, handle_lo: 3 }, { ...UNMAP, ts_ns: 50, handle_lo: 3 }])));
  // figures also replays the synthetic rx-100g workload for its per-page figure: about 400 MB
  // whatever its inputs, so it gets a limit of its own (the hostile lengths once took hours).
  const commands: [string, string[], number][] = [
    ['replay', ['replay', huge], 300],
    ['attack', ['attack', '--trace', huge, '--no-figures'], 300],
    ['figures', ['figures', huge, '-o', join(scratch.dir, 'figs')], 800],
  ];
  for (const [name, argv, limitMb] of commands) {
    it(`given ${name} of a trace whose maps are 1e15 and Infinity bytes long, then both rows reported, under ${limitMb} MB, no hang`, async () => {
      const r = await cliChild(argv, { timeoutMs: 60_000 });
      expect(r.timedOut).toBe(false);
      expect(stackTraceLines(r.stdout + r.stderr)).toEqual([]);
      expect(r.stderr).toContain(`${huge}:row 1: len '1000000000000000' is not a positive whole number of bytes`);
      expect(r.stderr).toContain(`${huge}:row 3: len 'Infinity' is not a positive whole number of bytes`);
      expect(r.maxRssMb).toBeLessThan(limitMb);
    });
  }
});

describe('a 0-byte .arrow is an error, as an empty CSV is', () => {
  it('given replay of an empty .arrow, then one line naming it, exit 1', () => {
    const empty = scratch.file('empty.arrow', '');
    const r = cli('replay', empty, '-s', 'native');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${empty}: empty file (not an Arrow stream; an Arrow trace holds at least its schema)\n`);
  });

  it('given inspect of it, then the same line', () => {
    const empty = join(scratch.dir, 'empty.arrow');
    writeFileSync(empty, '');
    const r = cli('inspect', empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${empty}: empty file (not an Arrow stream; an Arrow trace holds at least its schema)\n`);
  });
});
