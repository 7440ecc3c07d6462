import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PageIndex } from '../../src/util/page-index.js';
import { TripleKeyMap, hiOf } from '../../src/util/triple-key-map.js';

describe('PageIndex', () => {
  it('given a page set, then overwritten, then deleted, then it reads the new value, then -1', () => {
    const x = new PageIndex();
    expect(x.get(1, 77)).toBe(-1);
    x.set(1, 77, 0);
    expect(x.get(1, 77)).toBe(0);
    x.set(1, 77, 5);
    expect(x.get(1, 77)).toBe(5);
    x.delete(1, 77);
    expect(x.get(1, 77)).toBe(-1);
    x.delete(1, 77); // absent: nothing happens
    expect(x.get(1, 77)).toBe(-1);
  });

  it('keeps spaces, chunk neighbours, pages past 2^36 and more chunks than its cache holds apart', () => {
    const x = new PageIndex();
    const pages = [4095, 4096, 2 ** 36 + 4095, 2 ** 40, ...Array.from({ length: 200 }, (_, k) => k * 4096 * 3 + 7)];
    pages.forEach((p, k) => x.set(0, p, k));
    pages.forEach((p, k) => x.set(1, p, k + 1000));
    pages.forEach((p, k) => expect([x.get(0, p), x.get(1, p), x.get(2, p)]).toEqual([k, k + 1000, -1]));
  });

  it('answers exactly as TripleKeyMap for any sequence of sets and deletes (property)', () => {
    const page = fc.oneof(fc.integer({ min: 0, max: 20000 }), fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 2 ** 36 - 5000, max: 2 ** 36 + 5000 }), fc.integer({ min: 0, max: 2 ** 52 }));
    const op = fc.record({ space: fc.integer({ min: 0, max: 3 }), page, value: fc.integer({ min: -1, max: 1000 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const x = new PageIndex();
        const m = new TripleKeyMap(4);
        for (const { space, page: pg, value } of ops) {
          if (value < 0) {
            x.delete(space, pg);
            m.delete(space, hiOf(pg), pg >>> 0);
          } else {
            x.set(space, pg, value);
            m.set(space, hiOf(pg), pg >>> 0, value);
          }
          expect(x.get(space, pg)).toBe(m.get(space, hiOf(pg), pg >>> 0));
        }
        for (const { space, page: pg } of ops) expect(x.get(space, pg)).toBe(m.get(space, hiOf(pg), pg >>> 0));
      }),
      { numRuns: 200 },
    );
  });
});
