/**
 * The notebooks run headless and offline (Deno's Jupyter kernel from the npm package `deno`,
 * executed by Debian's jupyter-nbconvert) and their outputs show tables and figures. Skipped,
 * and said so, where jupyter is not installed.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const hasJupyter = spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' }).status === 0;
const title = hasJupyter ? 'notebooks (npm run notebooks)' : 'notebooks (SKIPPED: needs apt-get install -y jupyter-nbconvert jupyter-client python3-ipykernel)';

describe(title, () => {
  it.skipIf(!hasJupyter)('execute without errors and show their tables and figures', () => {
    const r = spawnSync('bash', ['scripts/run-notebooks.sh'], { encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const names = readdirSync('notebooks').filter((f) => f.endsWith('.ipynb')).sort();
    expect(names).toEqual(['ingest-kernel-trace.ipynb', 'replay-and-explore.ipynb']);
    for (const name of names) {
      const nb = JSON.parse(readFileSync(`out/notebooks/${name}`, 'utf8'));
      const outputs = nb.cells.filter((c: any) => c.cell_type === 'code').flatMap((c: any) => c.outputs);
      expect(outputs.filter((o: any) => o.output_type === 'error'), name).toEqual([]);
      const mimes = new Set(outputs.flatMap((o: any) => Object.keys(o.data ?? {})));
      expect(mimes.has('image/svg+xml'), `${name} shows a figure`).toBe(true);
      expect(mimes.has('text/markdown'), `${name} shows a table`).toBe(true);
      // every code cell ran
      for (const c of nb.cells.filter((c: any) => c.cell_type === 'code')) expect(c.execution_count).toBeGreaterThan(0);
    }
  });
});
