/// <reference types="vite/client" />
/**
 * Every command's --help as a new user reads it: the bundled files its examples name exist (a
 * renamed trace once left five examples pointing at nothing), and its description reads as
 * paragraphs (no line broken in mid-sentence, which oclif's own wrapping turns into stubs).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { prose, reflow } from '../../src/cli/prose.js';

type Example = string | { description: string; command: string };
const modules = import.meta.glob<{ default: { description?: string; examples?: Example[] } }>('../../src/commands/*.ts', { eager: true });
const commands = Object.entries(modules).map(([file, mod]) => ({ name: file.replace(/^.*\/|\.ts$/g, ''), description: mod.default.description ?? '', examples: mod.default.examples ?? [] }));

/** Paths under traces/, docs/ or notebooks/ an example command names (globs expanded by hand). */
function bundledPaths(command: string): string[] {
  return [...command.matchAll(/(?:^|\s)((?:traces|docs|notebooks)\/\S+)/g)].map((m) => m[1]);
}

function exists(path: string): boolean {
  if (!path.includes('*')) return existsSync(path);
  const dir = path.slice(0, path.lastIndexOf('/'));
  const pattern = new RegExp(`^${path.slice(path.lastIndexOf('/') + 1).replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
  return existsSync(dir) && readdirSync(dir).some((f) => pattern.test(f));
}

describe('--help of every command', () => {
  it('has found the commands', () => {
    expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(['replay', 'sweep', 'ingest', 'attack', 'inspect']));
  });

  for (const c of commands) {
    it(`${c.name}: every bundled file its examples name exists`, () => {
      const missing = c.examples.flatMap((e) => bundledPaths(typeof e === 'string' ? e : e.command)).filter((p) => !exists(p));
      expect(missing).toEqual([]);
    });

    it(`${c.name}: its description has no line broken in mid-sentence`, () => {
      // A line ending in a letter or comma followed by a line starting in lower case: a wrapped sentence.
      const broken = c.description.split('\n').filter((line, k, lines) => k + 1 < lines.length && /[a-z,]$/.test(line) && /^[a-z(`]/.test(lines[k + 1]));
      expect(broken).toEqual([]);
    });
  }
});

describe('prose', () => {
  it('given wrapped paragraphs, when reflowed, then each paragraph is one line and blank lines stay', () => {
    expect(reflow('One sentence\nwrapped here.\n\nA second\nparagraph.')).toBe('One sentence wrapped here.\n\nA second paragraph.');
  });

  it('given indented lines, when reflowed, then they keep their own lines', () => {
    expect(reflow('Workloads:\n  rx: receive\n      ring=256 descriptors\n  tx: send')).toBe('Workloads:\n  rx: receive\n      ring=256 descriptors\n  tx: send');
  });

  it('given interpolated values, when used as a tag, then they are part of the text', () => {
    const ids = ['a', 'b'];
    expect(prose`Strategies: ${ids.join(', ')}
(see the list).`).toBe('Strategies: a, b (see the list).');
  });
});
