/**
 * Every failure is one line, `error: <file>: <reason>`, with the right exit code, and no stack
 * trace (issue 16); with --json it is `{"error": {"kind", "message", "file"}}` on stdout with the
 * message kept. Each case once printed a stack, a raw exception or `{"error": {}}`, or hung.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createWriteStream, mkdirSync, openSync, closeSync, readFileSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cli, cliChild, scratchDir, stackTraceLines } from '../helpers/cli.js';
import { canonicalText, ftraceText } from '../helpers/kernel-text.js';
import { replay } from '../../src/pipeline.js';
import { sweep } from '../../src/runs/sweep.js';
import { UsageError } from '../../src/util/errors.js';

const scratch = scratchDir('dmareplay-one-line-');
afterAll(() => scratch.remove());
const { dir, file } = scratch;

const csv = file('t.csv', canonicalText(10));
const gz = gzipSync(ftraceText(3000));
const truncatedRaw = file('cut.txt.gz', gz.subarray(0, gz.length >> 1));
const csvGz = gzipSync(canonicalText(3000));
const truncatedCsv = file('cut.csv.gz', csvGz.subarray(0, csvGz.length >> 1));
const notGzip = file('plain.txt.gz', 'this is not gzip\n');

/** Runs the CLI in a child (killed after 60 s: hang detection) and checks it printed no stack trace. */
async function run(args: string[], stdout?: number) {
  const r = await cliChild(args, { timeoutMs: 60_000, stdout });
  expect(r.timedOut, `${args.join(' ')} hung`).toBe(false);
  expect(stackTraceLines(r.stdout + r.stderr)).toEqual([]);
  return r;
}

describe('a truncated raw .txt.gz: one line in every command', () => {
  const line = `error: ${truncatedRaw}: truncated gzip file (unexpected end of file)`;
  const cases: [string, string[]][] = [
    ['replay', ['replay', truncatedRaw, '-s', 'native']],
    ['inspect', ['inspect', truncatedRaw]],
    ['ingest', ['ingest', truncatedRaw, '-o', join(dir, 'cut-ingested.csv')]],
    ['sweep', ['sweep', truncatedRaw, '-s', 'native', '--grid', 'iotlb.entries=8', '--no-figures']],
    ['attack', ['attack', '--trace', truncatedRaw, '-s', 'native', '--no-figures']],
    ['figures', ['figures', truncatedRaw, '-o', join(dir, 'cut-figs')]],
  ];
  for (const [name, argv] of cases) {
    it(`given ${name}, then "${line.replace(dir, '...')}", exit 1`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('error: '))).toEqual([line]);
    });
  }

  it('given inspect --json, then the error object keeps the message and names the file', async () => {
    const r = await run(['inspect', truncatedRaw, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { kind: 'input', message: `${truncatedRaw}: truncated gzip file (unexpected end of file)`, file: truncatedRaw } });
  });
});

describe('gzip input that ingest cannot read', () => {
  it('given a truncated .csv.gz to convert to Arrow, then one line naming it', async () => {
    const r = await run(['ingest', truncatedCsv, '-o', join(dir, 'cut.arrow')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${truncatedCsv}: truncated gzip file (unexpected end of file)\n`);
  });

  it('given a .gz that is not gzip at all, then one line naming it', async () => {
    const r = await run(['ingest', notGzip, '-o', join(dir, 'plain.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${notGzip}: not a valid gzip file (incorrect header check)\n`);
  });
});

describe('outputs that fail while written', () => {
  it('given an Arrow output that is a directory, then one line naming it, exit 1 (it was an unhandled rejection)', async () => {
    const d = join(dir, 'is-a-dir.arrow');
    mkdirSync(d);
    const r = await run(['ingest', csv, '-o', d]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([`error: ${d}: cannot write (it is a directory)`]);
  });

  it('given an Arrow output that is a link to /dev/full, then one line naming it, exit 1', async () => {
    const full = join(dir, 'full.arrow');
    symlinkSync('/dev/full', full);
    const r = await run(['ingest', csv, '-o', full]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([`error: ${full}: cannot write (no space left on device)`]);
  });

  const stdoutCases: [string, string[]][] = [
    ['replay', ['replay', csv, '-s', 'native']],
    ['replay --json', ['replay', csv, '-s', 'native', '--json']],
    ['inspect', ['inspect', csv]],
    ['ingest to stdout', ['ingest', 'test/fixtures/kernel/ftrace-iommu.txt']],
  ];
  for (const [name, argv] of stdoutCases) {
    it(`given ${name} > /dev/full, then "error: stdout: cannot write (no space left on device)", exit 1`, async () => {
      const fd = openSync('/dev/full', 'w');
      try {
        const r = await run(argv, fd);
        expect(r.code).toBe(1);
        expect(r.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual(['error: stdout: cannot write (no space left on device)']);
      } finally {
        closeSync(fd);
      }
    });
  }
});

describe('results files that are not results', () => {
  const nullResult = file('null-result.json', '{"results":[null]}');
  const halfResult = file('half-result.json', JSON.stringify({ results: [{ trace: 't.csv', strategy: 'native', profile: 'xen-2008', dmas: 'many' }] }));
  const line = `error: ${nullResult}: result 1 is not a replay result (it is null, not an object)`;

  it('given diff of a results file holding null, then one line naming it, exit 1', async () => {
    const r = await run(['diff', nullResult, nullResult]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${line}\n`);
  });

  it('given diff --json of it, then the message is in the error object', async () => {
    const r = await run(['diff', nullResult, nullResult, '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ error: { kind: 'input', message: line.slice('error: '.length), file: nullResult } });
  });

  it('given figures of a result whose dmas is a string, then one line naming the field', async () => {
    const r = await run(['figures', halfResult, '-o', join(dir, 'half-figs')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${halfResult}: result 1 is not a replay result (dmas is "many", not a number)\n`);
  });

  it('given merge of a sweep .json whose row has no results, then one line naming it', async () => {
    const shard = file('bare-row.json', JSON.stringify({ grid: [{ key: 'iotlb.entries', values: [8] }], rows: [{ task: 0, grid: { 'iotlb.entries': 8 } }] }));
    const r = await run(['merge', shard, '-o', join(dir, 'bare-merged.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${shard}: row 1 is not a sweep result (trace is missing, not a string)\n`);
  });
});

describe('inputs and outputs that used to hang', () => {
  it('given replay of a FIFO (not named .csv) carrying a canonical trace, then it is read once and replayed', async () => {
    const fifo = join(dir, 'trace.pipe');
    spawnSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    writer.on('error', () => {});
    writer.end(canonicalText(10));
    const r = await run(['replay', fifo, '-s', 'native', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results[0].dmas).toBe(10);
  });

  it('given inspect of a FIFO carrying raw kernel text, then one line saying it must be a file', async () => {
    const fifo = join(dir, 'raw.pipe');
    spawnSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    writer.on('error', () => {});
    writer.end(readFileSync('test/fixtures/kernel/ftrace-iommu.txt'));
    const r = await run(['inspect', fifo]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${fifo}: raw kernel trace text must be a regular file, not a FIFO or device (it is read twice); save it to a file first\n`);
  });

  const procCases: [string, string[], string][] = [
    ['figures -o /proc/self/figs', ['figures', csv, '-o', '/proc/self/figs'], '/proc/self/figs'],
    ['replay -o /proc/self/x.json', ['replay', csv, '-s', 'native', '-o', '/proc/self/x.json'], '/proc/self/x.json'],
    ['sweep --figures-dir /proc/self/sweep', ['sweep', csv, '-s', 'native', '--grid', 'iotlb.entries=8,16', '--figures-dir', '/proc/self/sweep'], '/proc/self/sweep'],
  ];
  for (const [name, argv, target] of procCases) {
    it(`given ${name}, then one line naming it, exit 1`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([`error: ${target}: cannot write (no such directory)`]);
    });
  }
});

describe('bad --grid values are reported as --grid', () => {
  it('given --grid iotlb.entries=abc, then exit 2 naming --grid', () => {
    const r = cli('sweep', csv, '--grid', 'iotlb.entries=abc', '--no-figures');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --grid iotlb.entries: 'abc' is not a number\n");
  });

  it('given --grid iotlb.entries=12, then exit 2 naming --grid and the rule', () => {
    const r = cli('sweep', csv, '--grid', 'iotlb.entries=12', '--no-figures');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --grid 'iotlb.entries' must be a power of two\n");
  });
});

describe('the library given a path where a list belongs', () => {
  it("given replay('t.csv'), then a UsageError saying to pass an array", async () => {
    await expect(replay('traces/scenario-disk-sg.csv' as unknown as string[])).rejects.toThrow(UsageError);
    await expect(replay('traces/scenario-disk-sg.csv' as unknown as string[])).rejects.toThrow("replay(paths): expected an array of trace paths, got the string 'traces/scenario-disk-sg.csv' (write replay(['traces/scenario-disk-sg.csv']))");
  });

  it("given sweep('t.csv', ...), then the same for sweep", async () => {
    await expect(sweep('traces/scenario-disk-sg.csv' as unknown as string[], { grid: ['iotlb.entries=8'] })).rejects.toThrow("sweep(paths): expected an array of trace paths, got the string 'traces/scenario-disk-sg.csv' (write sweep(['traces/scenario-disk-sg.csv']))");
  });
});
