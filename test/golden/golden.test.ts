/**
 * Golden results: every bundled trace x every strategy, compared exactly with the committed
 * files. After an intended model or cost change: `npm run golden:update`, then review the diff.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { bundledTraces, goldenRun } from '../../src/replay/golden.js';
import { STRATEGY_IDS } from '../../src/strategies/index.js';
import { expectRunResultShape } from '../helpers/validate-result.js';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const traces = bundledTraces();

describe('golden runs of the bundled traces', () => {
  it('there are bundled traces', () => {
    expect(traces.length).toBeGreaterThanOrEqual(4);
  });
  for (const path of traces) {
    it(basename(path), async () => {
      const golden = join('test/golden', basename(path).replace(/\.csv(\.gz)?$/, '.json'));
      expect(existsSync(golden), `${golden} is missing: run npm run golden:update`).toBe(true);
      const before = sha(path);
      const results = await goldenRun(path);
      expect(sha(path)).toBe(before); // the input is never modified
      expect(results.map((r) => r.strategy)).toEqual(STRATEGY_IDS);
      for (const r of results) expectRunResultShape(r);
      expect(JSON.parse(JSON.stringify(results))).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
    });
  }
});
