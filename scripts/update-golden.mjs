#!/usr/bin/env node
// Regenerates test/golden/<trace>.json from the built code (npm run golden:update builds first).
import { writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { bundledTraces, goldenRun } from '../dist/replay/golden.js';

mkdirSync('test/golden', { recursive: true });
for (const path of bundledTraces()) {
  const results = await goldenRun(path);
  const out = join('test/golden', basename(path).replace(/\.csv(\.gz)?$/, '.json'));
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${out} (${results.length} strategies)`);
}
