/**
 * docs/findings.md's tables are the code's: the block between its markers is exactly what
 * findingsTables() gives now (regenerate it with `node scripts/findings-tables.mjs`).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { findingsTables, GENERATED_START, GENERATED_END } from '../../src/analysis/findings.js';
import { FINDINGS_CAPTURES, FINDINGS_SYNTHETIC } from '../../src/analysis/findings-traces.js';

describe('docs/findings.md', () => {
  it('holds the tables the current models give (batching on and off, synthetic traces and real captures)', async () => {
    const doc = readFileSync('docs/findings.md', 'utf8');
    const start = doc.indexOf(GENERATED_START);
    const end = doc.indexOf(GENERATED_END);
    expect(start, 'the generated-block markers').toBeGreaterThanOrEqual(0);
    const block = doc.slice(start + GENERATED_START.length, end).trim();
    expect(block, 'docs/findings.md is stale: run npm run build && node scripts/findings-tables.mjs').toBe((await findingsTables(FINDINGS_SYNTHETIC, FINDINGS_CAPTURES)).trim());
  });
});
