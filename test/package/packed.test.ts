/**
 * The packed package (what `npm pack` and `npm publish` ship) holds what it needs to run: the
 * built code, the oclif manifest, the cost profiles, the bundled traces and the docs the README
 * links to. The tarball is unpacked in a temporary directory, given this checkout's
 * node_modules (no network needed), and run from another directory: `--version`, and a replay
 * of a bundled trace with a bundled profile.
 *
 * (A real `npm install -g` of the tarball needs the registry or a warm npm cache, so it is not
 * run here; README's Install section gives the commands.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = resolve('.');
let pkg = '';
let files: string[] = [];
let elsewhere = '';

beforeAll(() => {
  const dir = tempDir('dmareplay-packed-');
  // --ignore-scripts: no prepack build while other tests run the CLI from dist/ (npm test built it).
  const pack = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const info = JSON.parse(pack.stdout)[0];
  files = info.files.map((f: { path: string }) => f.path);
  const untar = spawnSync('tar', ['-xzf', join(dir, info.filename), '-C', dir], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  pkg = join(dir, 'package');
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  elsewhere = tempDir('dmareplay-packed-cwd-');
});

const run = (...args: string[]) => spawnSync(process.execPath, [join(pkg, 'bin/run.js'), ...args], { cwd: elsewhere, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('the packed package', () => {
  it('given its file list, then the code, manifest, profiles, traces and linked docs are in it, and no sources or tests', () => {
    for (const f of ['bin/run.js', 'dist/index.js', 'dist/index.d.ts', 'dist/hooks/command-not-found.js', 'dist/replay/worker.js', 'dist/cost/profiles/xen-2008.json', 'dist/cost/profiles/modern-vtd.json', 'oclif.manifest.json', 'traces/netperf-rx.csv', 'traces/README.md', 'docs/costs.md', 'docs/trace-formats.md', 'README.md', 'package.json']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|scripts|notebooks)\//.test(f) || f === 'bin/dev.js')).toEqual([]);
  });

  it('given `dmareplay --version` from another directory, then its version', () => {
    const r = run('--version');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^dmareplay\/0\.1\.0 /);
  });

  it('given a replay of one of its bundled traces with a bundled profile, then a table, exit 0', () => {
    const trace = join(pkg, 'traces/scenario-rx-recycle.csv');
    expect(existsSync(trace)).toBe(true);
    const r = run('replay', trace, '-s', 'native,persistent', '-p', 'modern-vtd', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).results.map((x: { strategy: string; profile: string }) => `${x.strategy} ${x.profile}`)).toEqual(['native modern-vtd', 'persistent modern-vtd']);
  });
});
