/**
 * The library's replay(paths, { jobs }) and sweep on worker threads: identical runs to one thread,
 * including the problems a Diagnostics keeps, prints and only counts past its limit.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replay } from '../../src/pipeline.js';
import { sweep } from '../../src/runs/sweep.js';
import { largestFirst } from '../../src/runs/worker-pool.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { trace } from '../helpers/replay-text.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('dmareplay-replay-jobs-');
function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** A ring trace with `bad` rejected rows of two kinds sprinkled in. */
function ring(name: string, n: number, bad: number): string {
  const rows: string[] = [];
  for (let k = 0; k < n; k++) {
    rows.push(`${k * 1000},0,nic0,net,map,from_device,0x${((0x2000 + (k % 12)) * 4096).toString(16)},2048,${k},${k}`);
    if (k >= 4) rows.push(`${k * 1000 + 500},0,nic0,net,unmap,,,,${k - 4},${k - 4}`);
    if (k < bad) rows.push(k % 2 ? `${k * 1000 + 600},0,nic0,net,map,from_device,0xbad${k}g,64,${9000 + k},` : `${k * 1000 + 700},0,nic0,net,unmap,,,,${8000 + k},`);
  }
  return file(name, trace(...rows));
}

const traces = [ring('a.csv', 50, 3), ring('b.csv', 400, 0), ring('c.csv', 30, 5), 'traces/scenario-tx-pool.csv', ring('d.csv', 200, 2)];

describe('replay on worker threads', () => {
  it('jobs 2 and 3 give the run of one thread: results, warnings, kept, printed and counted problems', async () => {
    const run = async (jobs: number) => {
      const printed: string[] = [];
      const diagnostics = new Diagnostics(false, 4, (p) => printed.push(formatProblem(p)));
      const done: number[] = [];
      const r = await replay(traces, { strategies: 'native,persistent,linux-lazy', set: ['iotlb.entries=16'], diagnostics, jobs, onTraceDone: (d) => done.push(d) });
      return {
        results: JSON.stringify(r.results),
        byTrace: r.byTrace.map((t) => t.trace),
        warnings: r.warnings,
        failures: r.failures,
        printed,
        kept: diagnostics.problems.map(formatProblem),
        total: diagnostics.total,
        summary: diagnostics.summary(),
        done,
      };
    };
    const one = await run(1);
    expect(one.total).toBe(10);
    expect(one.kept).toHaveLength(4); // the rest are only counted
    expect(one.summary).toBe('10 problems (rows skipped): 6 unmatched-unmap, 4 bad-address');
    expect(one.done).toEqual([1, 2, 3, 4, 5]);
    expect(await run(2)).toEqual(one);
    expect(await run(3)).toEqual(one);
  });

  it('sweep replays several grid points in one pass: every row equals a separate replay, also when a point changes the buffer tracker', async () => {
    const bundled = ['traces/qemu-nvme-strict.csv.gz', 'traces/scenario-rx-ring8.csv', 'traces/scenario-disk-qd4.csv'];
    const grid = ['iotlb.entries=8,64', 'disk.queue_depth=4,32', 'persistent.capacity=0,16'];
    for (const jobs of [1, 2]) {
      const run = await sweep(bundled, { grid, strategies: 'native,persistent,linux-lazy', jobs });
      expect(run.rows).toHaveLength(3 * 8 * 3);
      for (let k = 0; k < run.rows.length; k += 3) {
        const { grid: g, task, trace: path } = run.rows[k];
        const single = await replay([path], { strategies: 'native,persistent,linux-lazy', set: Object.entries(g).map(([key, v]) => `${key}=${v}`) });
        expect(run.rows.slice(k, k + 3).map(({ grid: _g, task: _t, ...r }) => r)).toEqual(single.results);
        expect(task).toBe(k / 3);
      }
    }
  });

  it('sweep over traces of different sizes (largest started first) keeps the rows in task order', async () => {
    expect(largestFirst([traces[0], traces[1], traces[2], traces[1]])).toEqual([1, 3, 0, 2]);
    const opts = { grid: ['iotlb.entries=4,16'], strategies: 'persistent,single-use' };
    const one = await sweep(traces, { ...opts, jobs: 1 });
    const two = await sweep(traces, { ...opts, jobs: 2 });
    expect(two.rows.map((r) => r.task)).toEqual(one.rows.map((r) => r.task));
    expect(JSON.stringify(two.rows)).toBe(JSON.stringify(one.rows));
  });
});
