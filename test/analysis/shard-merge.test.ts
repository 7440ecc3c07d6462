/**
 * Sharded sweeps merge back into exactly the single-machine result; the shard comes from
 * --shard or from Slurm / Kubernetes environment variables.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweep } from '../../src/analysis/sweep.js';
import { sweepToArrow, flattenSweepRow } from '../../src/analysis/sweep-io.js';
import { mergeShards } from '../../src/analysis/merge.js';
import { parseShard } from '../../src/analysis/shard.js';

const dir = mkdtempSync(join(tmpdir(), 'dmareplay-shards-'));
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
