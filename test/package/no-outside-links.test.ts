/**
 * User-facing text points only to files the repository has: README, docs/, traces/README.md,
 * notebooks/, and everything under src/ (help texts, profile source notes, ingest notes). Design
 * notes kept outside the repository (`../shared/...`, COSTS.md, KERNEL-TRACES.md) mean nothing
 * to someone who installed the package: their facts live in docs/costs.md and
 * docs/trace-formats.md.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', 'README.md', 'docs', 'src', 'traces/README.md', 'notebooks', 'package.json'], { encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && existsSync(f) && /\.(md|ts|json|ipynb|mjs)$/.test(f));
const markdown = new Set(tracked.filter((f) => f.endsWith('.md')).map((f) => basename(f)));

describe('user-facing files', () => {
  it('given every tracked user-facing file, then none mentions ../shared or a path outside the repository', () => {
    const outside = tracked.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (/\.\.\/shared\b|\/work\/shared|\/work\/main/.test(line) ? [`${f}:${i + 1}: ${line.trim().slice(0, 120)}`] : [])),
    );
    expect(outside).toEqual([]);
  });

  it('given every X.md they name, then the repository has that file', () => {
    const missing = tracked.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b/g)]
        .map((m) => m[0].replace(/^\.\//, ''))
        .filter((name) => !existsSync(name) && !existsSync(join(dirname(f), name)) && !(name === basename(name) && markdown.has(name)))
        .map((name) => `${f}: ${name}`),
    );
    expect(missing).toEqual([]);
  });
});
