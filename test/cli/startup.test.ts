/**
 * Start-up stays light: `--version`, `--help` and a plain text replay load none of the heavy
 * libraries (vega, vega-lite, resvg, arquero, apache-arrow, flechette); the commands that draw or
 * write tables load them when they need them. What loads is read from a module resolve hook in
 * the child, not from timings.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scratchDir } from '../helpers/cli.js';

const HEAVY = ['vega', 'vega-lite', '@resvg/resvg-js', 'arquero', 'apache-arrow', '@uwdata/flechette'];
const scratch = scratchDir('dmareplay-startup-');
afterAll(() => scratch.remove());
let n = 0;

/** The packages the CLI resolved while running `args`, and its exit code. */
function packagesLoaded(...args: string[]): { code: number | null; packages: Set<string> } {
  const log = join(scratch.dir, `modules-${n++}.log`);
  const r = spawnSync(process.execPath, ['--import', resolve('test/helpers/module-log.mjs'), 'bin/run.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', DMAREPLAY_MODULE_LOG: log } });
  return { code: r.status, packages: new Set(existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

describe('what a command loads', () => {
  for (const args of [['--version'], ['--help'], ['replay', '--help'], ['replay', 'traces/scenario-rx-recycle.csv', '-s', 'native']]) {
    it(`given \`dmareplay ${args.join(' ')}\`, then none of the heavy libraries is loaded`, () => {
      const r = packagesLoaded(...args);
      expect(r.code).toBe(0);
      expect(r.packages.has('@oclif/core')).toBe(true); // the hook saw the child's imports
      expect(HEAVY.filter((p) => r.packages.has(p))).toEqual([]);
    });
  }

  it('given replay --format csv (the full results table), then arquero is loaded for it', () => {
    const r = packagesLoaded('replay', 'traces/scenario-rx-recycle.csv', '-s', 'native', '--format', 'csv');
    expect(r.code).toBe(0);
    expect(r.packages.has('arquero')).toBe(true);
  });
});
