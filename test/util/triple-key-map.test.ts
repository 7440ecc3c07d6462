import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TripleKeyMap } from '../../src/util/triple-key-map.js';

describe('TripleKeyMap', () => {
  it('get, set, overwrite, delete', () => {
    const m = new TripleKeyMap(4);
    expect(m.get(1, 2, 3)).toBe(-1);
    m.set(1, 2, 3, 7);
    m.set(1, 2, 0xffffffff, 8);
    m.set(1, 2, 3, 9);
    expect([m.get(1, 2, 3), m.get(1, 2, 0xffffffff), m.size]).toEqual([9, 8, 2]);
    expect(m.delete(1, 2, 3)).toBe(9);
    expect(m.delete(1, 2, 3)).toBe(-1);
    expect(m.size).toBe(1);
  });

  it('property: behaves like a Map under random inserts and deletes (with growth and collisions)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 }), fc.nat(1000)), { maxLength: 400 }), (ops) => {
        const m = new TripleKeyMap(2);
        const ref = new Map<number, number>();
        for (const [ins, k, v] of ops) {
          if (ins) {
            m.set(k % 3, k * 7919, k >>> 1, v);
            ref.set(k, v);
          } else {
            expect(m.delete(k % 3, k * 7919, k >>> 1)).toBe(ref.get(k) ?? -1);
            ref.delete(k);
          }
        }
        expect(m.size).toBe(ref.size);
        for (let k = 0; k <= 40; k++) expect(m.get(k % 3, k * 7919, k >>> 1)).toBe(ref.get(k) ?? -1);
      }),
    );
  });
});
