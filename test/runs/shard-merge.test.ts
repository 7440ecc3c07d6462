/**
 * Sharded sweeps and replays merge back into exactly the single-machine result (the same bytes
 * in the same format); the shard comes from --shard or from Slurm / Kubernetes environment
 * variables.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweep } from '../../src/runs/sweep.js';
import { sweepToArrow, sweepToCsv, sweepToJson, flattenSweepRow } from '../../src/analysis/sweep-io.js';
import { mergeShards, mergedOutput } from '../../src/runs/merge.js';
import * as helpers from '../helpers/cli.js';
import { parseShard } from '../../src/runs/shard.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('dmareplay-shards-');
const traces = ['traces/scenario-rx-recycle.csv', 'traces/scenario-two-guests.csv', 'traces/scenario-disk-sg.csv'];
const opts = { grid: ['iotlb.entries=4,16', 'linux.fq_size=1,8'], strategies: 'single-use,persistent,linux-lazy' };

describe('shards and merge', () => {
  it('N shards run locally, merged, equal the single run row for row', async () => {
    const single = await sweep(traces, opts);
    const N = 4;
    const files: string[] = [];
    let total = 0;
    for (let i = 0; i < N; i++) {
      const part = await sweep(traces, { ...opts, shard: { index: i, count: N, source: 'test' } });
      total += part.rows.length;
      const f = join(dir, `shard-${i}.arrow`);
      writeFileSync(f, sweepToArrow(part.rows, part.axes));
      files.push(f);
    }
    expect(total).toBe(single.rows.length);
    const merged = await mergeShards(files.reverse()); // input order does not matter
    expect(merged.missingTasks).toEqual([]);
    const expected = single.rows.map((r) => flattenSweepRow(r, single.axes));
    expect(merged.rows).toEqual(expected);
  });

  it('overlapping shards are an error; a missing shard is reported', async () => {
    const part = await sweep(traces, { ...opts, shard: { index: 1, count: 3, source: 'test' } });
    const a = join(dir, 'a.arrow');
    const b = join(dir, 'b.arrow');
    writeFileSync(a, sweepToArrow(part.rows, part.axes));
    writeFileSync(b, sweepToArrow(part.rows, part.axes));
    await expect(mergeShards([a, b])).rejects.toThrow(/task 1 appears in both/);
    // tasks after the last one present cannot be known missing: 0..10 are checked
    expect((await mergeShards([a])).missingTasks).toEqual([0, 2, 3, 5, 6, 8, 9]);
  });

  it('reads the shard from --shard, Slurm or a Kubernetes indexed Job', () => {
    expect(parseShard('2/5', {})).toEqual({ index: 2, count: 5, source: '--shard' });
    expect(parseShard(undefined, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' })).toMatchObject({ index: 3, count: 8 });
    expect(parseShard(undefined, { JOB_COMPLETION_INDEX: '0', DMAREPLAY_SHARDS: '3' })).toMatchObject({ index: 0, count: 3 });
    expect(parseShard(undefined, {})).toBeNull();
    expect(() => parseShard('3/3', {})).toThrow(/0 <= i < N/);
    expect(() => parseShard(undefined, { JOB_COMPLETION_INDEX: '0' })).toThrow(/DMAREPLAY_SHARDS/);
  });
});

describe('replay --shard and merge, as commands', () => {
  it('two shards of four traces merge into the single run', async () => {
    const { spawnSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const cli = (...a: string[]) => spawnSync(process.execPath, ['bin/run.js', ...a], { encoding: 'utf8' });
    const all = ['traces/scenario-rx-recycle.csv', 'traces/scenario-two-guests.csv', 'traces/scenario-disk-sg.csv', 'traces/scenario-tx-multipage.csv'];
    for (const i of [0, 1]) expect(cli('replay', ...all, '--shard', `${i}/2`, '-o', join(dir, `r${i}.arrow`), '--json').status).toBe(0);
    expect(cli('replay', ...all, '-o', join(dir, 'r.arrow'), '--json').status).toBe(0);
    expect(cli('merge', join(dir, 'r1.arrow'), join(dir, 'r0.arrow'), '-o', join(dir, 'merged.csv')).status).toBe(0);
    expect(cli('merge', join(dir, 'r.arrow'), '-o', join(dir, 'single.csv')).status).toBe(0);
    expect(readFileSync(join(dir, 'merged.csv'), 'utf8')).toBe(readFileSync(join(dir, 'single.csv'), 'utf8'));
    const partial = cli('merge', join(dir, 'r1.arrow'), '-o', join(dir, 'partial.csv'));
    expect(partial.status).toBe(1);
    expect(partial.stderr).toContain('tasks missing from the inputs');
  });
});

/**
 * `merge` as a user runs it: the merged file is byte for byte what the unsharded command writes
 * in the same format; overlapping shards and files that are not shard outputs are refused with
 * one line.
 */
describe('merge writes what the single-machine run writes', () => {
  const { cli } = helpers;
  const sweepArgs = [...traces, '--grid', 'iotlb.entries=4,16', '--grid', 'linux.fq_size=1,8', '-s', 'single-use,persistent,linux-lazy', '--no-figures'];
  const replayTraces = ['traces/scenario-rx-recycle.csv', 'traces/scenario-two-guests.csv', 'traces/scenario-disk-sg.csv'];
  const at = (name: string) => join(dir, name);
  /** A file's content: text for .json and .csv (readable diffs), bytes for .arrow. */
  const bytes = (name: string): string | Buffer => (name.endsWith('.arrow') ? readFileSync(at(name)) : readFileSync(at(name), 'utf8'));

  it('given sweep shards in .json, .csv and .arrow, each merges into exactly the unsharded sweep -o file of that format', async () => {
    // given: the whole sweep, and 3 shards, written by the writers sweep -o uses
    const single = await sweep(traces, opts);
    const parts = await Promise.all([0, 1, 2].map((i) => sweep(traces, { ...opts, shard: { index: i, count: 3, source: 'test' } })));
    const write = { json: sweepToJson, csv: sweepToCsv, arrow: sweepToArrow } as const;
    for (const fmt of ['json', 'csv', 'arrow'] as const) {
      parts.forEach((p, i) => writeFileSync(at(`m-s${i}.${fmt}`), write[fmt](p.rows, p.axes)));
      writeFileSync(at(`m-single.${fmt}`), write[fmt](single.rows, single.axes));
    }
    // when/then: every output a shard format can give equals the unsharded file byte for byte
    const reachable = { json: ['json', 'csv', 'arrow'], arrow: ['csv', 'arrow'], csv: ['csv'] } as const;
    for (const from of ['json', 'csv', 'arrow'] as const) {
      const merged = await mergeShards([2, 0, 1].map((i) => at(`m-s${i}.${from}`)));
      expect(merged.missingTasks).toEqual([]);
      for (const to of reachable[from]) expect(Buffer.from(mergedOutput(merged, to)), `${from} -> ${to}`).toEqual(readFileSync(at(`m-single.${to}`)));
    }
  });

  it('given sweep --shard 0/2 and 1/2 -o x.json, merge -o x.json/.csv/.arrow is cmp-identical to sweep -o of the whole grid', () => {
    // given
    for (const i of [0, 1]) expect(cli('sweep', ...sweepArgs, '--shard', `${i}/2`, '-o', at(`c-s${i}.json`)).code).toBe(0);
    for (const fmt of ['json', 'csv', 'arrow']) expect(cli('sweep', ...sweepArgs, '-o', at(`c-single.${fmt}`)).code).toBe(0);
    for (const fmt of ['json', 'csv', 'arrow']) {
      // when
      const r = cli('merge', at('c-s1.json'), at('c-s0.json'), '-o', at(`c-merged.${fmt}`));
      // then
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`wrote ${at(`c-merged.${fmt}`)}: 36 rows from 2 files\n`);
      expect(bytes(`c-merged.${fmt}`)).toEqual(bytes(`c-single.${fmt}`));
    }
  });

  it('given replay --shard 0/2 and 1/2 -o x.arrow, merge -o x.csv/.arrow is cmp-identical to replay -o of all traces', () => {
    // given
    for (const i of [0, 1]) expect(cli('replay', ...replayTraces, '--shard', `${i}/2`, '-o', at(`r-s${i}.arrow`), '--json').code).toBe(0);
    for (const fmt of ['csv', 'arrow']) expect(cli('replay', ...replayTraces, '-o', at(`r-single.${fmt}`), '--json').code).toBe(0);
    for (const fmt of ['csv', 'arrow']) {
      // when
      const r = cli('merge', at('r-s1.arrow'), at('r-s0.arrow'), '-o', at(`r-merged.${fmt}`));
      // then: replay -o x.csv has no task column, and the merged .csv has none either
      expect(r.code).toBe(0);
      expect(bytes(`r-merged.${fmt}`)).toEqual(bytes(`r-single.${fmt}`));
    }
    expect((bytes('r-merged.csv') as string).split('\n')[0]).toMatch(/^trace,strategy,profile,/);
  });

  it('given one shard named twice, merge exits 1 naming the file and the task in both (replay .arrow and sweep .json)', () => {
    // given
    expect(cli('replay', 'traces/scenario-rx-recycle.csv', 'traces/scenario-two-guests.csv', '--shard', '0/2', '-o', at('o-r0.arrow'), '--json').code).toBe(0);
    expect(cli('sweep', ...sweepArgs, '--shard', '1/2', '-o', at('o-s1.json')).code).toBe(0);
    // when
    const replayTwice = cli('merge', at('o-r0.arrow'), at('o-r0.arrow'), '-o', at('o-merged.arrow'));
    const sweepTwice = cli('merge', at('o-s1.json'), at('o-s1.json'), '-o', at('o-merged.json'));
    // then
    expect(replayTwice.code).toBe(1);
    expect(replayTwice.stderr).toBe(`error: task 0 appears in both ${at('o-r0.arrow')} and ${at('o-r0.arrow')}: overlapping shards (the same file given twice)\n`);
    expect(sweepTwice.code).toBe(1);
    expect(sweepTwice.stderr).toBe(`error: task 1 appears in both ${at('o-s1.json')} and ${at('o-s1.json')}: overlapping shards (the same file given twice)\n`);
    expect(existsSync(at('o-merged.arrow')) || existsSync(at('o-merged.json'))).toBe(false);
  });

  it('given sweep .csv shards, merge -o x.csv accepts them; replay .json and .csv shards are refused with exit 2 and the formats merge takes', () => {
    // given
    for (const i of [0, 1]) expect(cli('sweep', ...sweepArgs, '--shard', `${i}/2`, '-o', at(`f-s${i}.csv`)).code).toBe(0);
    expect(cli('sweep', ...sweepArgs, '-o', at('f-single.csv')).code).toBe(0);
    for (const fmt of ['json', 'csv']) expect(cli('replay', ...replayTraces, '--shard', '0/2', '-o', at(`f-r0.${fmt}`), '--json').code).toBe(0);
    // when
    const csv = cli('merge', at('f-s0.csv'), at('f-s1.csv'), '-o', at('f-merged.csv'));
    const replayJson = cli('merge', at('f-r0.json'), '-o', at('f-r.json'));
    const replayCsv = cli('merge', at('f-r0.csv'), '-o', at('f-r.csv'));
    const csvToArrow = cli('merge', at('f-s0.csv'), at('f-s1.csv'), '-o', at('f-merged.arrow'));
    // then
    expect(csv.code).toBe(0);
    expect(bytes('f-merged.csv')).toEqual(bytes('f-single.csv'));
    const takes = 'merge takes shards written by `sweep --shard i/N -o` (.arrow, .json or .csv) or `replay --shard i/N -o` (.arrow)';
    expect(replayJson.code).toBe(2);
    expect(replayJson.stderr).toBe(`error: ${at('f-r0.json')}: a replay .json has no task numbers, so its shards cannot be put back in order; write replay shards with -o shard.arrow (${takes})\n`);
    expect(replayCsv.code).toBe(2);
    expect(replayCsv.stderr).toBe(`error: ${at('f-r0.csv')}: a replay .csv has no task column, so its shards cannot be put back in order; write replay shards with -o shard.arrow (${takes})\n`);
    expect(csvToArrow.code).toBe(2);
    expect(csvToArrow.stderr).toBe('error: a merged .arrow needs .arrow or .json shards (.csv shards carry no column types): merge .csv shards to .csv\n');
  });

  it('given files that are not shard outputs (a trace, an ingested trace, other JSON, a text file), merge exits 2 with one line', () => {
    // given
    expect(cli('ingest', 'traces/scenario-rx-recycle.csv', '--to', 'arrow', '-o', at('w-trace.arrow')).code).toBe(0);
    writeFileSync(at('w-notes.txt'), 'not a shard\n');
    writeFileSync(at('w-text.arrow'), 'task,trace\n0,x\n');
    const takes = 'merge takes shards written by `sweep --shard i/N -o` (.arrow, .json or .csv) or `replay --shard i/N -o` (.arrow)';
    const cases: [string, string][] = [
      ['traces/scenario-rx-recycle.csv', 'not a sweep or replay output (no task, trace, strategy, profile columns in the CSV table)'],
      [at('w-trace.arrow'), 'not a sweep or replay output (no task, trace, strategy, profile columns in the Arrow table)'],
      ['package.json', 'not a sweep output (expected {"grid": [...], "rows": [...]})'],
      [at('w-notes.txt'), 'not a .arrow, .json or .csv file'],
      [at('w-text.arrow'), 'not an Arrow IPC file'],
    ];
    for (const [file, why] of cases) {
      // when
      const r = cli('merge', file, '-o', at('w-merged.csv'));
      // then
      expect({ file, code: r.code, stderr: r.stderr }).toEqual({ file, code: 2, stderr: `error: ${file}: ${why}; ${takes}\n` });
    }
  });
});
