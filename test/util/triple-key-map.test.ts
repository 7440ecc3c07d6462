import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TripleKeyMap, hiOf } from '../../src/util/triple-key-map.js';

/** White-box view of the table, to assert exact slot layouts after backward-shift deletion. */
interface Internals {
  k0: Int32Array;
  k1: Int32Array;
  k2: Int32Array;
  values: Int32Array;
  used: Uint8Array;
  mask: number;
}
const inner = (m: TripleKeyMap): Internals => m as unknown as Internals;
const hash = (TripleKeyMap as unknown as { hash(a: number, b: number, c: number): number }).hash;

/** The first `n` keys (0, 0, c) whose home slot in a table of mask `mask` is `home`. */
function keysWithHome(home: number, n: number, mask = 15): number[] {
  const out: number[] = [];
  for (let c = 0; out.length < n; c++) if ((hash(0, 0, c) & mask) === home) out.push(c);
  return out;
}

/** Slot holding key (0, 0, c), or -1. */
function slotOf(m: TripleKeyMap, c: number): number {
  const t = inner(m);
  for (let i = 0; i <= t.mask; i++) if (t.used[i] === 1 && t.k0[i] === 0 && t.k1[i] === 0 && t.k2[i] === c) return i;
  return -1;
}

function usedSlots(m: TripleKeyMap): number[] {
  const t = inner(m);
  const out: number[] = [];
  for (let i = 0; i <= t.mask; i++) if (t.used[i] === 1) out.push(i);
  return out;
}

describe('TripleKeyMap: capacity', () => {
  it('given initial capacities 1, 4, 8, 9 and 1024, the table has 16, 16, 16, 32 and 2048 slots (at least twice the request, min 16)', () => {
    expect([1, 4, 8, 9, 1024].map((n) => inner(new TripleKeyMap(n)).mask + 1)).toEqual([16, 16, 16, 32, 2048]);
    expect(inner(new TripleKeyMap()).mask + 1).toBe(2048);
  });
});

describe('TripleKeyMap: insert, get, overwrite, delete', () => {
  it('given an empty map, when three keys differing in one component are set, then each reads back its own value', () => {
    const m = new TripleKeyMap(4);
    expect(m.get(1, 2, 3)).toBe(-1);
    expect(m.size).toBe(0);
    m.set(1, 2, 3, 10);
    m.set(1, 3, 3, 20);
    m.set(2, 2, 3, 30);
    m.set(1, 2, 4, 40);
    expect([m.get(1, 2, 3), m.get(1, 3, 3), m.get(2, 2, 3), m.get(1, 2, 4)]).toEqual([10, 20, 30, 40]);
    expect(m.get(3, 2, 1)).toBe(-1); // permuted components are another key
    expect(m.size).toBe(4);
  });

  it('given a present key, when it is set again, then the value is replaced and size is unchanged', () => {
    const m = new TripleKeyMap(4);
    m.set(7, 8, 9, 1);
    m.set(7, 8, 9, 2);
    m.set(7, 8, 9, 0);
    expect(m.get(7, 8, 9)).toBe(0); // 0 is a valid value
    expect(m.size).toBe(1);
  });

  it('given uint32 key halves above 2^31, then they are stored as int32 and 0xffffffff and -1 name the same key', () => {
    const m = new TripleKeyMap(4);
    m.set(0, 0xffffffff, 0x80000000, 5);
    expect(m.get(0, 0xffffffff, 0x80000000)).toBe(5);
    expect(m.get(0, -1, -0x80000000)).toBe(5);
    expect(m.get(0, 0x7fffffff, 0x80000000)).toBe(-1);
    const seen: number[][] = [];
    m.forEach((a, b, c, v) => seen.push([a, b, c, v]));
    expect(seen).toEqual([[0, -1, -0x80000000, 5]]);
  });

  it('given two keys, when one is deleted, then delete returns its value, a second delete returns -1 and the other survives', () => {
    const m = new TripleKeyMap(4);
    m.set(1, 2, 3, 9);
    m.set(1, 2, 0xffffffff, 8);
    expect(m.delete(1, 2, 3)).toBe(9);
    expect(m.delete(1, 2, 3)).toBe(-1);
    expect(m.delete(5, 5, 5)).toBe(-1);
    expect(m.size).toBe(1);
    expect(m.get(1, 2, 3)).toBe(-1);
    expect(m.get(1, 2, 0xffffffff)).toBe(8);
  });

  it('given a map with entries, when cleared, then every key is missing, size is 0, and it accepts new keys', () => {
    const m = new TripleKeyMap(4);
    for (let i = 0; i < 6; i++) m.set(0, 0, i, i + 100);
    m.clear();
    expect(m.size).toBe(0);
    for (let i = 0; i < 6; i++) expect(m.get(0, 0, i)).toBe(-1);
    m.set(0, 0, 3, 33);
    expect([m.get(0, 0, 3), m.size]).toEqual([33, 1]);
  });

  it('forEach visits each entry exactly once, in slot order', () => {
    const m = new TripleKeyMap(4);
    const keys = [11, 22, 33, 44, 55];
    for (const k of keys) m.set(1, 2, k, k * 2);
    const seen: [number, number][] = [];
    m.forEach((a, b, c, v) => {
      expect([a, b]).toEqual([1, 2]);
      seen.push([c, v]);
    });
    expect(seen.map(([c]) => c).sort((x, y) => x - y)).toEqual(keys);
    expect(seen.every(([c, v]) => v === c * 2)).toBe(true);
    const bySlot = [...keys].sort((x, y) => slotByC(m, x) - slotByC(m, y));
    expect(seen.map(([c]) => c)).toEqual(bySlot);
  });
});

function slotByC(m: TripleKeyMap, c: number): number {
  const t = inner(m);
  for (let i = 0; i <= t.mask; i++) if (t.used[i] === 1 && t.k2[i] === c) return i;
  return -1;
}

describe('TripleKeyMap: linear probing and backward-shift deletion (16-slot table)', () => {
  it('given three keys with home 3 and one with home 4, inserted in that order, they occupy slots 3, 4, 5, 6', () => {
    const [a, b, c] = keysWithHome(3, 3);
    const [d] = keysWithHome(4, 1);
    const m = new TripleKeyMap(4);
    for (const [k, v] of [[a, 1], [b, 2], [c, 3], [d, 4]]) m.set(0, 0, k, v);
    expect([a, b, c, d].map((k) => slotOf(m, k))).toEqual([3, 4, 5, 6]);
  });

  it('when the head of that cluster is deleted, every later entry shifts back one slot and slot 6 empties', () => {
    const [a, b, c] = keysWithHome(3, 3);
    const [d] = keysWithHome(4, 1);
    const m = new TripleKeyMap(4);
    for (const [k, v] of [[a, 1], [b, 2], [c, 3], [d, 4]]) m.set(0, 0, k, v);
    expect(m.delete(0, 0, a)).toBe(1);
    expect([b, c, d].map((k) => slotOf(m, k))).toEqual([3, 4, 5]);
    expect(usedSlots(m)).toEqual([3, 4, 5]);
    expect([m.get(0, 0, a), m.get(0, 0, b), m.get(0, 0, c), m.get(0, 0, d)]).toEqual([-1, 2, 3, 4]);
    expect(m.size).toBe(3);
  });

  it('given P (home 3, slot 3), Q (home 3, slot 4), R (home 5, slot 5), when P is deleted, Q moves to 3 but R stays at its home 5', () => {
    const [p, q] = keysWithHome(3, 2);
    const [r] = keysWithHome(5, 1);
    const m = new TripleKeyMap(4);
    m.set(0, 0, p, 1);
    m.set(0, 0, q, 2);
    m.set(0, 0, r, 3);
    expect([p, q, r].map((k) => slotOf(m, k))).toEqual([3, 4, 5]);
    expect(m.delete(0, 0, p)).toBe(1);
    expect(usedSlots(m)).toEqual([3, 5]);
    expect([slotOf(m, q), slotOf(m, r)]).toEqual([3, 5]);
    expect([m.get(0, 0, q), m.get(0, 0, r)]).toEqual([2, 3]);
  });

  it('given E (home 3, slot 3), F (home 4, slot 4), G (home 3, slot 5), when F is deleted, G moves into slot 4', () => {
    const [e, g] = keysWithHome(3, 2);
    const [f] = keysWithHome(4, 1);
    const m = new TripleKeyMap(4);
    m.set(0, 0, e, 1);
    m.set(0, 0, f, 2);
    m.set(0, 0, g, 3);
    expect([e, f, g].map((k) => slotOf(m, k))).toEqual([3, 4, 5]);
    expect(m.delete(0, 0, f)).toBe(2);
    expect(usedSlots(m)).toEqual([3, 4]);
    expect([slotOf(m, e), slotOf(m, g)]).toEqual([3, 4]);
    expect([m.get(0, 0, e), m.get(0, 0, f), m.get(0, 0, g)]).toEqual([1, -1, 3]);
  });

  it('given a cluster wrapping from slot 15 to slot 1 (X, Y home 15; Z home 0), when X is deleted, Y moves to 15 and Z to 0', () => {
    const [x, y] = keysWithHome(15, 2);
    const [z] = keysWithHome(0, 1);
    const m = new TripleKeyMap(4);
    m.set(0, 0, x, 1);
    m.set(0, 0, y, 2);
    m.set(0, 0, z, 3);
    expect([x, y, z].map((k) => slotOf(m, k))).toEqual([15, 0, 1]);
    expect(m.delete(0, 0, x)).toBe(1);
    expect(usedSlots(m)).toEqual([0, 15]);
    expect([slotOf(m, y), slotOf(m, z)]).toEqual([15, 0]);
    expect([m.get(0, 0, y), m.get(0, 0, z)]).toEqual([2, 3]);
  });

  it('given a wrapped cluster X (home 15, slot 15), W (home 0, slot 0), V (home 1, slot 1), when X is deleted, W and V stay home', () => {
    const [x] = keysWithHome(15, 1);
    const [w] = keysWithHome(0, 1);
    const [v] = keysWithHome(1, 1);
    const m = new TripleKeyMap(4);
    m.set(0, 0, x, 1);
    m.set(0, 0, w, 2);
    m.set(0, 0, v, 3);
    expect(m.delete(0, 0, x)).toBe(1);
    expect(usedSlots(m)).toEqual([0, 1]);
    expect([m.get(0, 0, w), m.get(0, 0, v)]).toEqual([2, 3]);
  });

  it('given a key whose probe run passes a deleted neighbour, it is still found (no tombstones needed)', () => {
    const ks = keysWithHome(7, 5);
    const m = new TripleKeyMap(4);
    ks.forEach((k, i) => m.set(0, 0, k, i));
    // delete from the middle, then the head, then the tail of the run
    expect(m.delete(0, 0, ks[2])).toBe(2);
    expect(m.delete(0, 0, ks[0])).toBe(0);
    expect(m.delete(0, 0, ks[4])).toBe(4);
    expect(usedSlots(m)).toEqual([7, 8]);
    expect([m.get(0, 0, ks[1]), m.get(0, 0, ks[3])]).toEqual([1, 3]);
    expect(m.size).toBe(2);
  });
});

describe('TripleKeyMap: growth', () => {
  it('given a 16-slot table, 8 keys fit; the 9th doubles it to 32 slots and every key is still found', () => {
    const m = new TripleKeyMap(1);
    for (let i = 0; i < 8; i++) m.set(i, i * 3, i * 7, i);
    expect(inner(m).mask + 1).toBe(16);
    m.set(8, 24, 56, 8);
    expect(inner(m).mask + 1).toBe(32);
    expect(m.size).toBe(9);
    for (let i = 0; i <= 8; i++) expect(m.get(i, i * 3, i * 7)).toBe(i);
  });

  it('given 1000 keys inserted into a map created for 1, then 500 deleted, the rest read back exactly', () => {
    const m = new TripleKeyMap(1);
    for (let i = 0; i < 1000; i++) m.set(i % 3, Math.floor(i / 7), i, i * 2);
    expect(m.size).toBe(1000);
    expect(inner(m).mask + 1).toBe(2048);
    for (let i = 0; i < 1000; i += 2) expect(m.delete(i % 3, Math.floor(i / 7), i)).toBe(i * 2);
    expect(m.size).toBe(500);
    for (let i = 0; i < 1000; i++) expect(m.get(i % 3, Math.floor(i / 7), i)).toBe(i % 2 === 0 ? -1 : i * 2);
  });
});

describe('hiOf', () => {
  it('gives the high 32 bits of a page number up to 2^52', () => {
    expect([hiOf(0), hiOf(0xffffffff), hiOf(2 ** 32), hiOf(2 ** 32 + 5), hiOf(2 ** 52 - 1)]).toEqual([0, 0, 1, 1, 2 ** 20 - 1]);
  });
});

type Op =
  | { t: 'set'; k: number; v: number }
  | { t: 'del'; k: number }
  | { t: 'get'; k: number }
  | { t: 'clear' };

/** A small key universe so sequences overwrite, collide and delete present keys often. */
const KEYS: [number, number, number][] = [];
for (let i = 0; i < 48; i++) KEYS.push([i % 3, (i * 0x9e3779b1) >>> 0, i % 5 === 0 ? 0xffffffff - i : i >>> 1]);

describe('TripleKeyMap: property against a Map model', () => {
  it('any sequence of set/delete/get/clear gives the same results, size and contents as a Map', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ t: fc.constant('set' as const), k: fc.nat(KEYS.length - 1), v: fc.nat(0x7fffffff) }) },
      { weight: 4, arbitrary: fc.record({ t: fc.constant('del' as const), k: fc.nat(KEYS.length - 1) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('get' as const), k: fc.nat(KEYS.length - 1) }) },
      { weight: 1, arbitrary: fc.constant({ t: 'clear' as const }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 300 }), (cap, ops) => {
        const m = new TripleKeyMap(cap);
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.t === 'clear') {
            m.clear();
            model.clear();
            continue;
          }
          const [a, b, c] = KEYS[o.k];
          if (o.t === 'set') {
            m.set(a, b, c, o.v);
            model.set(o.k, o.v);
          } else if (o.t === 'del') {
            expect(m.delete(a, b, c)).toBe(model.get(o.k) ?? -1);
            model.delete(o.k);
          } else {
            expect(m.get(a, b, c)).toBe(model.get(o.k) ?? -1);
          }
          expect(m.size).toBe(model.size);
        }
        for (let k = 0; k < KEYS.length; k++) expect(m.get(...KEYS[k])).toBe(model.get(k) ?? -1);
        const seen = new Map<string, number>();
        m.forEach((a, b, c, v) => seen.set(`${a},${b},${c}`, v));
        const expected = new Map<string, number>();
        for (const [k, v] of model) expected.set(KEYS[k].map((x) => x | 0).join(','), v);
        expect(seen).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('heavy collisions: keys that all share one home slot behave like a Map under random deletes', () => {
    const same = keysWithHome(9, 7); // 7 keys, home 9 in a 16-slot table: one long run
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(same.length - 1)), { maxLength: 100 }), (ops) => {
        const m = new TripleKeyMap(4);
        const model = new Map<number, number>();
        ops.forEach(([ins, k], step) => {
          if (ins) {
            m.set(0, 0, same[k], step);
            model.set(k, step);
          } else {
            expect(m.delete(0, 0, same[k])).toBe(model.get(k) ?? -1);
            model.delete(k);
          }
          for (let j = 0; j < same.length; j++) expect(m.get(0, 0, same[j])).toBe(model.get(j) ?? -1);
        });
        // the run stays contiguous from the home slot
        const slots = usedSlots(m);
        expect(slots).toEqual(Array.from({ length: model.size }, (_, i) => 9 + i));
      }),
      { numRuns: 300 },
    );
  });
});
