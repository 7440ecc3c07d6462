import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PageCounts } from '../../src/util/page-counts.js';
import { TripleKeyMap, hiOf } from '../../src/util/triple-key-map.js';

describe('PageCounts', () => {
  it('given a page counted twice and released once, then it counts 1, and 0 (absent, -1) after the second release', () => {
    const p = new PageCounts();
    expect(p.adjust(3, 100, 1)).toBe(-1);
    expect(p.adjust(3, 100, 1)).toBe(1);
    expect(p.adjust(3, 100, -1)).toBe(2);
    expect(p.get(3, 100)).toBe(1);
    expect(p.adjust(3, 100, -1)).toBe(1);
    expect(p.get(3, 100)).toBe(0);
    expect(p.adjust(3, 100, -1)).toBe(-1); // never below 0
    expect(p.get(3, 100)).toBe(0);
  });

  it('keeps spaces, chunk neighbours and pages past 2^36 apart', () => {
    const p = new PageCounts();
    p.adjust(0, 4095, 1);
    p.adjust(0, 4096, 2);
    p.adjust(1, 4095, 3);
    p.adjust(0, 2 ** 36 + 4095, 4);
    p.adjust(0, 2 ** 40, 5);
    expect([p.get(0, 4095), p.get(0, 4096), p.get(1, 4095), p.get(0, 2 ** 36 + 4095), p.get(0, 2 ** 40), p.get(2, 4095)]).toEqual([1, 2, 3, 4, 5, 0]);
  });

  it('answers exactly as TripleKeyMap.adjust for any sequence of adjustments (property)', () => {
    const page = fc.oneof(fc.integer({ min: 0, max: 20000 }), fc.integer({ min: 2 ** 36 - 5000, max: 2 ** 36 + 5000 }), fc.integer({ min: 0, max: 2 ** 52 }));
    const op = fc.record({ space: fc.integer({ min: 0, max: 3 }), page, delta: fc.constantFrom(1, 1, 2, -1, -1, -3) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const p = new PageCounts();
        const m = new TripleKeyMap(4);
        for (const { space, page: pg, delta } of ops) {
          expect(p.adjust(space, pg, delta)).toBe(m.adjust(space, hiOf(pg), pg >>> 0, delta));
        }
        for (const { space, page: pg } of ops) expect(p.get(space, pg)).toBe(Math.max(0, m.get(space, hiOf(pg), pg >>> 0)));
      }),
    );
  });
});
