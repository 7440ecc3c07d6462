#!/usr/bin/env node
// Regenerates the table of docs/validation.md (between its markers) from the built code:
// published measurements beside what dmareplay computes. `npm run build` first.
// test/analysis/validation-doc.test.ts checks the doc matches.
import { readFileSync, writeFileSync } from 'node:fs';
import { validationRows, validationTable, VALIDATION_START, VALIDATION_END } from '../dist/analysis/validation.js';

const path = 'docs/validation.md';
const doc = readFileSync(path, 'utf8');
const start = doc.indexOf(VALIDATION_START);
const end = doc.indexOf(VALIDATION_END);
if (start < 0 || end < start) throw new Error(`${path}: markers not found`);
const table = validationTable(await validationRows());
writeFileSync(path, doc.slice(0, start + VALIDATION_START.length) + '\n\n' + table + '\n\n' + doc.slice(end));
console.log(`wrote ${path}`);
