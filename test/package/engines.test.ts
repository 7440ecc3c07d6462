/**
 * `npm install` prints no engine warning: every package the lock file installs accepts the Node
 * versions package.json promises (checked at the lowest of each range it gives, and at the Node
 * running the tests). vega-lite 6.5 asked for Node 22 while the package said 20: this fails then.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

type Version = [number, number, number];
const parse = (v: string): Version => {
  const [a = 0, b = 0, c = 0] = v.replace(/^v/, '').split('.').map(Number);
  return [a, b, c];
};
const cmp = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether `version` is in an engines range of the forms npm packages use: `A || B`, each `>=x`, `^x`, `x`, or `>=x <y`. */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split('||').some((alt) =>
    alt
      .trim()
      .replace(/([<>=^~]+)\s+/g, '$1')
      .split(/\s+/)
      .every((c) => {
        const m = /^(>=|>|<=|<|\^|~|=)?v?(\d+(?:\.\d+){0,2})(?:\.[x*])?$/.exec(c);
        if (!m) throw new Error(`engines range not understood: '${range}'`);
        const [op = '', bare] = [m[1], m[2]];
        const w = parse(bare);
        const parts = bare.split('.').length;
        switch (op) {
          case '>=': return cmp(v, w) >= 0;
          case '>': return cmp(v, w) > 0;
          case '<=': return cmp(v, w) <= 0;
          case '<': return cmp(v, w) < 0;
          case '^': return v[0] === w[0] && cmp(v, w) >= 0;
          case '~': return v[0] === w[0] && v[1] === w[1] && cmp(v, w) >= 0;
          default: return parts === 1 ? v[0] === w[0] : parts === 2 ? v[0] === w[0] && v[1] === w[1] : cmp(v, w) === 0;
        }
      }),
  );
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const ours: string = pkg.engines.node;
/** The lowest version of each alternative of our range: the oldest Node of each line we promise. */
const lowest = ours.split('||').map((alt) => parse(/(\d+(?:\.\d+){0,2})/.exec(alt)![1]).join('.'));
const installed = Object.entries(lock.packages as Record<string, { dev?: boolean; optional?: boolean; engines?: { node?: string } }>).filter(([name, p]) => name !== '' && p.engines?.node);

describe('engines', () => {
  it('given the range checker, then it reads the forms the lock file holds', () => {
    expect([satisfies('20.19.0', '^20.19.0 || >=22.12.0'), satisfies('20.18.1', '^20.19.0 || >=22.12.0'), satisfies('22.1.0', '^20.19.0 || >=22.12.0'), satisfies('21.0.0', '18 || 20 || >=22'), satisfies('20.3.0', '>= 10')]).toEqual([true, false, false, false, true]);
  });

  it(`given the packages installed for users (not dev), then each accepts the oldest Node of each line package.json promises (${lowest.join(', ')})`, () => {
    const refusing = installed.filter(([, p]) => !p.dev).flatMap(([name, p]) => lowest.filter((v) => !satisfies(v, p.engines!.node!)).map((v) => `${name} (${p.engines!.node}) refuses Node ${v}`));
    expect(refusing).toEqual([]);
  });

  it('given the Node running the tests, then package.json and every installed package, dev ones too, accept it', () => {
    expect(satisfies(process.version, ours)).toBe(true);
    const refusing = installed.filter(([, p]) => !p.optional).filter(([, p]) => !satisfies(process.version, p.engines!.node!)).map(([name, p]) => `${name} (${p.engines!.node})`);
    expect(refusing).toEqual([]);
  });
});
