/**
 * The package works from any working directory: the bundled traces and profiles are found where
 * the package is, not in the directory a user happens to be in. Each scenario runs the built CLI
 * (or imports the built library) with its working directory set to an empty temporary directory.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { scratchDir } from '../helpers/cli.js';

const ROOT = resolve('.');
const elsewhere = scratchDir('dmareplay-elsewhere-');
afterAll(() => elsewhere.remove());

function runIn(cwd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('run from a directory without traces/', () => {
  it('given attack with no --trace, then it injects into the bundled netperf-rx trace', () => {
    const r = runIn(elsewhere.dir, [resolve(ROOT, 'bin/run.js'), 'attack', '--samples', '1', '-s', 'native', '--no-figures', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const trace: string = JSON.parse(r.stdout).trace;
    expect(trace).toBe(resolve(ROOT, 'traces/netperf-rx.csv'));
    expect(isAbsolute(trace)).toBe(true);
  });

  it('given figures with no inputs, then the bundled workload traces are replayed and drawn, their warnings on stderr and in the report', () => {
    const out = join(elsewhere.dir, 'figs');
    const r = runIn(elsewhere.dir, [resolve(ROOT, 'bin/run.js'), 'figures', '-o', out]);
    expect(r.code).toBe(0);
    const lazy = resolve(ROOT, 'traces/qemu-e1000-lazy.csv.gz');
    expect(r.stderr).toContain(`warning: ${lazy}: 247 buffers were still mapped at the end of the trace (reported as live_at_end)\n`);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`<code>${resolve(ROOT, 'traces/netperf-rx.csv')}</code>`);
    expect(html).toContain(`<li>${lazy}: 247 buffers were still mapped at the end of the trace (reported as live_at_end)</li>`);
  });

  it('given the library imported by a script there, then bundledTraces() lists the package\'s traces and a bundled profile replays one', () => {
    const script = `
      import { bundledTraces, replay } from ${JSON.stringify(resolve(ROOT, 'dist/index.js'))};
      const traces = bundledTraces();
      const run = await replay(traces.filter((t) => t.endsWith('scenario-rx-recycle.csv')), { strategies: 'native', profile: 'modern-vtd' });
      console.log(JSON.stringify({ n: traces.length, first: traces[0], dmas: run.results[0].dmas, failures: run.failures }));`;
    const r = runIn(elsewhere.dir, ['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.n).toBeGreaterThan(10);
    expect(out.first).toBe(resolve(ROOT, 'traces/disk-rand-write.csv'));
    expect(out.failures).toEqual([]);
    expect(out.dmas).toBeGreaterThan(0);
  });

  it('given the same script in the package directory, then trace names stay relative (traces/...), as before', () => {
    const r = runIn(ROOT, ['--input-type=module', '-e', `import { bundledTraces } from './dist/index.js'; console.log(bundledTraces()[0]);`]);
    expect(r.stdout.trim()).toBe('traces/disk-rand-write.csv');
  });
});
