import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gridPoints, parseGrid, sweep } from '../../src/runs/sweep.js';
import { sweepToCsv, sweepToArrow } from '../../src/analysis/sweep-io.js';
import { replay } from '../../src/pipeline.js';
import { tableFromIPC } from '@uwdata/flechette';
import { trace } from '../helpers/replay-text.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('dmareplay-sweeptest-');
const rows: string[] = [];
for (let k = 0; k < 40; k++) {
  const addr = '0x' + ((0x2000 + (k % 12) * 3) * 4096 + (k % 2) * 2048).toString(16);
  rows.push(`${k * 1000},0,nic0,net,map,from_device,${addr},2048,${k},${k}`);
  if (k >= 4) rows.push(`${k * 1000 + 500},0,nic0,net,unmap,,,,${k - 4},${k - 4}`);
}
const path = join(dir, 'ring.csv');
writeFileSync(path, trace(...rows));

describe('sweep', () => {
  it('parses a grid and enumerates every combination, first key slowest', () => {
    const axes = parseGrid(['iotlb.entries=4,8', 'persistent.capacity=0,2,4']);
    expect(axes).toEqual([
      { key: 'iotlb.entries', values: [4, 8] },
      { key: 'persistent.capacity', values: [0, 2, 4] },
    ]);
    expect(gridPoints(axes).map((p) => `${p['iotlb.entries']}/${p['persistent.capacity']}`)).toEqual(['4/0', '4/2', '4/4', '8/0', '8/2', '8/4']);
  });

  it('rejects unknown keys and invalid values like --set does', () => {
    expect(() => parseGrid(['iotlb.entrys=4'])).toThrow(/unknown key 'iotlb.entrys' \(did you mean 'iotlb.entries'\?\)/);
    expect(() => parseGrid(['iotlb.entries=3'])).toThrow(/power of two/);
    expect(() => parseGrid([])).toThrow(/at least one --grid/);
  });

  it('every row equals a separate replay of its grid point', async () => {
    const run = await sweep([path], { grid: ['iotlb.entries=4,16', 'persistent.capacity=0,3'], strategies: 'persistent,single-use', set: ['iotlb.ways=4'] });
    expect(run.rows).toHaveLength(2 * 2 * 2);
    for (const r of run.rows) {
      const single = await replay([path], { strategies: r.strategy, set: ['iotlb.ways=4', `iotlb.entries=${r.grid['iotlb.entries']}`, `persistent.capacity=${r.grid['persistent.capacity']}`] });
      const { grid, task, ...result } = r;
      expect(result).toEqual(single.results[0]);
      expect(task).toBe(run.rows.indexOf(r) >> 1); // two strategies per task
    }
    // the swept keys change what they should
    const miss = (entries: number) => run.rows.find((r) => r.strategy === 'single-use' && r.grid['iotlb.entries'] === entries && r.grid['persistent.capacity'] === 0)!.iotlb.misses;
    expect(miss(16)).toBeLessThanOrEqual(miss(4));
    const reuse = (cap: number) => run.rows.find((r) => r.strategy === 'persistent' && r.grid['iotlb.entries'] === 4 && r.grid['persistent.capacity'] === cap)!.reuse_rate!;
    expect(reuse(0)).toBeGreaterThan(reuse(3));
  });

  it('--jobs 2 (worker threads) gives the same rows in the same order as one thread', async () => {
    const opts = { grid: ['iotlb.entries=4,8,16', 'linux.fq_size=2,8'], strategies: 'linux-lazy,shared' };
    const one = await sweep([path, path], { ...opts, jobs: 1 });
    const two = await sweep([path, path], { ...opts, jobs: 2 });
    expect(JSON.stringify(two.rows)).toBe(JSON.stringify(one.rows));
  });

  it('--threads 2 (each pass\'s runs over two threads) and --threads 2 with --jobs 2 give the same rows in the same order as one thread', async () => {
    const opts = { grid: ['iotlb.entries=4,8', 'linux.fq_size=2,8'], strategies: 'linux-lazy,shared,single-use' };
    const one = await sweep([path, path], opts);
    const threads = await sweep([path, path], { ...opts, threads: 2 });
    const both = await sweep([path, path], { ...opts, threads: 2, jobs: 2 });
    expect(one.rows).toHaveLength(2 * 4 * 3);
    expect(JSON.stringify(threads.rows)).toBe(JSON.stringify(one.rows));
    expect(JSON.stringify(both.rows)).toBe(JSON.stringify(one.rows));
  });

  it('CSV has the grid keys as columns; Arrow round-trips the same rows', async () => {
    const run = await sweep([path], { grid: ['linux.fq_size=2,8'], strategies: 'linux-lazy' });
    const csv = sweepToCsv(run.rows, run.axes).trim().split('\n');
    expect(csv[0].startsWith('task,trace,strategy,linux.fq_size,profile,dmas,')).toBe(true);
    expect(csv).toHaveLength(3);
    const table = tableFromIPC(sweepToArrow(run.rows, run.axes));
    expect(table.numRows).toBe(2);
    expect(table.getChild('linux.fq_size')!.toArray()).toEqual(Float64Array.from([2, 8]));
    expect(Array.from(table.getChild('strategy')!.toArray())).toEqual(['linux-lazy', 'linux-lazy']);
  });

  it('a missing trace is a failure line; the other traces are swept', async () => {
    const run = await sweep([join(dir, 'missing.csv'), path], { grid: ['iotlb.entries=4,8'], strategies: 'native' });
    expect(run.failures).toEqual([`${join(dir, 'missing.csv')}: no such file`]);
    expect(run.rows).toHaveLength(2);
  });

  it('given a trace with a bad row, when swept at two points on two threads, then the row is reported once as file:line and the rest is swept', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, trace('0,0,nic0,net,map,to_device,0x1000,100,1,', '5,0,nic0,net,unmap,,,,7,', '6,0,nic0,net,unmap,,,,1,'));
    const run = await sweep([bad, path], { grid: ['iotlb.entries=4,8'], strategies: 'single-use', jobs: 2 });
    expect(run.problems).toEqual([{ trace: bad, shown: [`${bad}:3: unmap of handle 0x7 on nic0 with no live map`], total: 1 }]);
    expect(run.rows.map((r) => [r.trace, r.dmas])).toEqual([[bad, 1], [bad, 1], [path, 40], [path, 40]]);
  });
});
