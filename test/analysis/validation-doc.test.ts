/**
 * docs/validation.md's table is the code's: the block between its markers is exactly what
 * validationTable(validationRows()) gives now (regenerate: npm run build && node
 * scripts/validation-table.mjs), and every row names a source.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { validationRows, validationTable, SOURCES, VALIDATION_START, VALIDATION_END } from '../../src/analysis/validation.js';

describe('docs/validation.md', () => {
  it('holds the table the current models give, at least five sourced rows', async () => {
    const rows = await validationRows();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const r of rows) expect(SOURCES[r.source], r.measurement).toBeTruthy();
    const doc = readFileSync('docs/validation.md', 'utf8');
    const start = doc.indexOf(VALIDATION_START);
    const end = doc.indexOf(VALIDATION_END);
    expect(start, 'the generated-block markers').toBeGreaterThanOrEqual(0);
    expect(doc.slice(start + VALIDATION_START.length, end).trim(), 'docs/validation.md is stale: run npm run build && node scripts/validation-table.mjs').toBe(validationTable(rows).trim());
  });

  it('the prose quotes the table\'s numbers it discusses', async () => {
    const doc = readFileSync('docs/validation.md', 'utf8');
    const rows = await validationRows();
    const byName = (s: string) => rows.find((r) => r.measurement.startsWith(s))!;
    // the L1 match at 5 flows, and the projection's reading at 5 and 40 flows
    expect(doc).toContain(`The model gives ${byName('F&S strict, 5 flows: L1').model.toFixed(3)} misses per page`);
    expect(doc).toContain(`at ${Math.round(byName('F&S strict, 5 flows: throughput').model)} Gb/s at 5 flows`);
    expect(doc).toContain(`${Math.round(byName('F&S strict, 40 flows: throughput').model)} Gb/s at 40 flows`);
  });
});
