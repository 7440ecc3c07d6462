/**
 * `replay --threads N`: strategies spread over worker threads give exactly what one thread gives
 * (every result, warning and problem), whatever the grouping: on bundled traces of every kind,
 * with batches small enough that a scatter-gather DMA's rows make a batch larger than the shared
 * slots (which must then grow), with several profiles in one pass (a sweep's grid points), and
 * through the CLI (stdout and stderr byte for byte).
 */
import { describe, expect, it } from 'vitest';
import { replayTrace, replayProfiles } from '../../src/replay/replay.js';
import { Diagnostics, formatProblem } from '../../src/trace/diagnostics.js';
import { STRATEGIES } from '../../src/strategies/index.js';
import { resolveProfileByName } from '../../src/cost/profile.js';
import { groupStrategies } from '../../src/replay/strategy-groups.js';
import { trace } from '../helpers/replay-text.js';
import { cli, scratchDir } from '../helpers/cli.js';

const TRACES = [
  'traces/mixed.csv',
  'traces/scenario-disk-sg.csv',
  'traces/scenario-two-guests-shared.csv',
  'traces/scenario-rx-ring8.csv',
  'traces/qemu612-both-lazy.csv.gz',
  'traces/qemu-nvme-strict.csv.gz',
];

async function run(path: string, threads: number, batchCapacity?: number) {
  const diagnostics = new Diagnostics();
  const r = await replayTrace(path, { strategies: STRATEGIES, profile: resolveProfileByName(), diagnostics, threads, read: { batchCapacity } });
  return { results: JSON.stringify(r.results), warnings: r.warnings, problems: diagnostics.problems.map(formatProblem), diagWarnings: diagnostics.warnings };
}

describe('replay --threads', () => {
  for (const path of TRACES) {
    it(`identical with 1, 2 and 4 threads on ${path}`, async () => {
      const one = await run(path, 1);
      expect(await run(path, 2)).toEqual(one);
      expect(await run(path, 4)).toEqual(one);
    });
  }

  it('identical when a scatter-gather DMA makes a batch larger than the shared slots (they grow)', async () => {
    const one = await run('traces/scenario-disk-sg.csv', 1, 8);
    expect(await run('traces/scenario-disk-sg.csv', 3, 8)).toEqual(one);
    expect(await run('traces/disk-seq-read.csv', 3, 8)).toEqual(await run('traces/disk-seq-read.csv', 1, 8));
  });

  it('identical for several profiles in one pass (a sweep)', async () => {
    const profiles = [resolveProfileByName(), resolveProfileByName('xen-2008', ['iotlb.entries=16'])];
    const pass = async (threads: number) => JSON.stringify((await replayProfiles('traces/mixed.csv', STRATEGIES, profiles, { threads })).results);
    expect(await pass(3)).toBe(await pass(1));
  });

  it('groups: the main thread keeps native and unmovable runs; every strategy placed once', () => {
    const runs = STRATEGIES.map((def) => ({ def }));
    const groups = groupStrategies(runs.slice(1), runs.slice(0, 1), 3);
    expect(groups).toHaveLength(3);
    expect(groups.flat().map((r) => r.def.id).sort()).toEqual(STRATEGIES.slice(1).map((d) => d.id).sort());
    expect(groups.every((g) => g.length > 0)).toBe(true);
    // more threads than strategies: the extra workers get nothing (none is started for them)
    expect(groupStrategies(runs.slice(1, 3), [], 8).filter((g) => g.length > 0).length).toBeLessThanOrEqual(3);
  });

  it('the CLI: --threads 2 prints what --threads 1 prints; bad rows reported once, as file:line', () => {
    const { file } = scratchDir('dmareplay-threads-');
    const bad = file('bad.csv', trace('0,0,nic0,net,map,from_device,0xnothex,2048,1,', '5,0,nic0,net,map,from_device,0x3000,64,2,', '7,0,nic0,net,frob,from_device,0x3000,64,3,', '9,0,nic0,net,unmap,,,,2,', '11,0,nic0,net,unmap,,,,7,'));
    const args = ['replay', 'traces/scenario-rx-ring8.csv', bad, 'traces/scenario-disk-sg.csv'];
    const one = cli(...args, '--json');
    const two = cli(...args, '--threads', '2', '--json');
    expect(one.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(two.stderr).toBe(one.stderr);
    expect(one.stderr).toContain(`${bad}:2:`);
    const text = cli(...args, '--threads', '2');
    expect(text.stdout).toBe(cli(...args).stdout);
    const usage = cli('replay', 'traces/mixed.csv', '--threads', 'two');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--threads 'two'");
  });
});
