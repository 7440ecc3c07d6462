/**
 * Outputs never destroy data (issue 16, "Data loss"): an output naming one of the inputs is a
 * usage error that leaves the input alone; every output is written beside its target and renamed
 * into place only when the command succeeds, so a failing or interrupted command keeps whatever
 * file was there; and an Arrow stream cut short (no end-of-stream marker) is rejected, not read
 * as a shorter trace.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, linkSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cli, cliChild, scratchDir } from '../helpers/cli.js';
import { canonicalRows, canonicalText, ftraceText } from '../helpers/kernel-text.js';
import { CANONICAL_HEADER } from '../../src/trace/canonical.js';

const scratch = scratchDir('dmareplay-outputs-');
afterAll(() => scratch.remove());
const { dir, file } = scratch;

const raw = file('raw.txt', ftraceText(20));
const rawGz = file('raw.txt.gz', gzipSync(ftraceText(20)));
const csv = file('t.csv', canonicalText(20));
const arrow = join(dir, 't.arrow');
execFileSync(process.execPath, ['bin/run.js', 'ingest', csv, '-o', arrow], { stdio: 'ignore' });

/** Temporary outputs (`.<name>.<pid>-<random>.tmp`) in the scratch directory, of one target or all. */
const temporaries = (target = '') => readdirSync(dir).filter((n) => n.startsWith(`.${target}`) && n.endsWith('.tmp'));
const leftovers = () => temporaries();

describe('an output that is one of the inputs: a usage error, and the input is untouched', () => {
  const cases: { name: string; input: string; argv: (out: string) => string[] }[] = [
    { name: 'ingest of raw text', input: raw, argv: (o) => ['ingest', raw, '-o', o] },
    { name: 'ingest of .txt.gz', input: rawGz, argv: (o) => ['ingest', rawGz, '-o', o] },
    { name: 'ingest of an Arrow trace', input: arrow, argv: (o) => ['ingest', arrow, '-o', o] },
    { name: 'ingest of canonical CSV (to Arrow)', input: csv, argv: (o) => ['ingest', csv, '--to', 'arrow', '-o', o] },
    { name: 'replay -o', input: csv, argv: (o) => ['replay', csv, '-s', 'native', '-o', o] },
    { name: 'sweep -o', input: csv, argv: (o) => ['sweep', csv, '-s', 'native', '--grid', 'iotlb.entries=8', '--no-figures', '-o', o] },
  ];
  for (const c of cases) {
    it(`given ${c.name} with -o the input itself, then exit 2 naming both, and the input's bytes unchanged`, () => {
      const before = readFileSync(c.input);
      const r = cli(...c.argv(c.input));
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`error: ${c.input}: is the same file as the input ${c.input}; write the output to another file\n`);
      expect(readFileSync(c.input).equals(before)).toBe(true);
    });
  }

  it('given -o a symbolic link to the input, then the same usage error', () => {
    const link = join(dir, 'link.csv');
    symlinkSync(csv, link);
    const before = readFileSync(csv);
    const r = cli('replay', csv, '-s', 'native', '-o', link);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${link}: is the same file as the input ${csv}; write the output to another file\n`);
    expect(readFileSync(csv).equals(before)).toBe(true);
  });

  it('given -o a hard link to the input, then the same usage error', () => {
    const hard = join(dir, 'hard.csv');
    linkSync(csv, hard);
    const r = cli('sweep', csv, '-s', 'native', '--grid', 'iotlb.entries=8', '--no-figures', '-o', hard);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${hard}: is the same file as the input ${csv}; write the output to another file\n`);
    expect(statSync(csv).size).toBe(Buffer.byteLength(canonicalText(20)));
  });
});

describe('a command that fails keeps the file already at -o', () => {
  it('given ingest of an unrecognised file, then exit 1 and the existing output still reads "precious"', () => {
    const out = file('e.csv', 'precious\n');
    const r = cli('ingest', file('unrecognised.txt', 'hello\nworld\n'), '-o', out);
    expect(r.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(leftovers()).toEqual([]);
  });

  it('given ingest --strict of a file with a bad line, then exit 1 and the existing output kept', () => {
    const out = file('s.csv', 'precious\n');
    const r = cli('ingest', 'test/fixtures/kernel/bad-lines.txt', '--strict', '-o', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: test\/fixtures\/kernel\/bad-lines\.txt:2: /);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(leftovers()).toEqual([]);
  });

  it('given ingest --strict to Arrow, then exit 1 and the existing Arrow output kept', () => {
    const out = file('s.arrow', 'precious\n');
    const bad = file('bad-row.csv', [CANONICAL_HEADER, ...canonicalRows(2), '99,0,nic0,net,map,to_device,0xzz,64,7,'].join('\n') + '\n');
    const r = cli('ingest', bad, '--strict', '-o', out);
    expect(r.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(leftovers()).toEqual([]);
  });

  it('given replay --strict of a bad trace, then exit 1 and the existing results kept', () => {
    const out = file('r.json', 'precious\n');
    const bad = file('bad-replay.csv', [CANONICAL_HEADER, '1,0,nic0,net,map,to_device,0xzz,64,1,'].join('\n') + '\n');
    const r = cli('replay', bad, '--strict', '-o', out);
    expect(r.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(leftovers()).toEqual([]);
  });
});

describe('an interrupted ingest leaves no partial output', () => {
  it('given SIGINT while ingest streams a canonical trace from a FIFO into -o x.arrow, then no x.arrow, no temporary file, exit 130', async () => {
    const fifo = join(dir, 'slow.csv');
    spawnSync('mkfifo', [fifo]);
    const out = join(dir, 'x.arrow');
    let child: ReturnType<typeof import('node:child_process').spawn> | undefined;
    const run = cliChild(['ingest', fifo, '-o', out], { timeoutMs: 60_000, onSpawn: (c) => (child = c) });
    // Feed 10,000 DMAs (more than two record batches) and keep the FIFO open: ingest cannot finish.
    const writer = createWriteStream(fifo);
    writer.on('error', () => {}); // EPIPE once ingest is gone: expected
    writer.write([CANONICAL_HEADER, ...canonicalRows(10_000)].join('\n') + '\n');
    // Wait (no time limit of our own) until the temporary output holds data, then interrupt.
    for (;;) {
      const tmp = temporaries('x.arrow.')[0];
      if (tmp && statSync(join(dir, tmp)).size > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child!.kill('SIGINT');
    const r = await run;
    writer.destroy();
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(130);
    expect(existsSync(out)).toBe(false);
    expect(temporaries('x.arrow.')).toEqual([]);
  });

  it('given SIGINT while ingest converts raw text to -o y.csv, then y.csv keeps its old content and no temporary file is left', async () => {
    const big = file('big.txt', ftraceText(200_000));
    const out = file('y.csv', 'precious\n');
    let child: ReturnType<typeof import('node:child_process').spawn> | undefined;
    const run = cliChild(['ingest', big, '-o', out], { timeoutMs: 120_000, onSpawn: (c) => (child = c) });
    let exited = false;
    void run.then(() => (exited = true));
    while (!exited && temporaries('y.csv.').length === 0) await new Promise((r) => setTimeout(r, 5));
    child!.kill('SIGINT');
    const r = await run;
    expect(r.code).toBe(130);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(temporaries('y.csv.')).toEqual([]);
  });
});

describe('an Arrow stream without its end-of-stream marker is rejected', () => {
  it('given an Arrow trace cut before its last 8 bytes (the marker), then replay names it truncated, exit 1', () => {
    const bytes = readFileSync(arrow);
    expect(bytes.subarray(bytes.length - 8).equals(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]))).toBe(true);
    const cut = file('cut.arrow', bytes.subarray(0, bytes.length - 8));
    const r = cli('replay', cut, '-s', 'native');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${cut}: truncated Arrow stream (no end-of-stream marker: the writer did not finish)\n`);
  });

  it('given the same file to inspect, then the same one line, exit 1', () => {
    const bytes = readFileSync(arrow);
    const cut = file('cut2.arrow', bytes.subarray(0, bytes.length - 8));
    const r = cli('inspect', cut);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${cut}: truncated Arrow stream (no end-of-stream marker: the writer did not finish)\n`);
  });
});

describe('a successful run replaces the output whole', () => {
  it('given replay -o over an existing file, then the new results and nothing else in the directory', () => {
    const out = file('ok.json', 'old\n');
    const r = cli('replay', csv, '-s', 'native', '-o', out);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).results[0].dmas).toBe(20);
    expect(leftovers()).toEqual([]);
  });
});

