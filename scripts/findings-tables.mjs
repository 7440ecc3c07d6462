#!/usr/bin/env node
// Regenerates the tables of docs/findings.md (between its markers) from the built code: the
// bundled synthetic traces and real captures, replayed with hypercall batching on and off.
// `npm run build` first. test/findings/findings-doc.test.ts checks the doc matches.
import { readFileSync, writeFileSync } from 'node:fs';
import { findingsTables, GENERATED_START, GENERATED_END } from '../dist/analysis/findings.js';
import { FINDINGS_CAPTURES, FINDINGS_SYNTHETIC } from '../dist/analysis/findings-traces.js';

const path = 'docs/findings.md';
const doc = readFileSync(path, 'utf8');
const start = doc.indexOf(GENERATED_START);
const end = doc.indexOf(GENERATED_END);
if (start < 0 || end < start) throw new Error(`${path}: markers not found`);
const tables = await findingsTables(FINDINGS_SYNTHETIC, FINDINGS_CAPTURES);
writeFileSync(path, doc.slice(0, start + GENERATED_START.length) + '\n\n' + tables + '\n\n' + doc.slice(end));
console.log(`wrote ${path}`);
