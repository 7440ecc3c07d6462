/**
 * An open-addressing hash map from a key of three 32-bit integers to an int32 value, in typed
 * arrays: linear probing, backward-shift deletion (no tombstones), doubling past half full.
 * Used wherever the hot loop must look up pages or handles without allocating:
 * (domain, page hi, page lo), (guest|device, handle hi, handle lo), ...
 *
 * `get` returns -1 for a missing key, so values must be >= 0.
 */
export class TripleKeyMap {
  private k0: Int32Array;
  private k1: Int32Array;
  private k2: Int32Array;
  private values: Int32Array;
  /** 1 where a slot is occupied. */
  private used: Uint8Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.k0 = new Int32Array(cap);
    this.k1 = new Int32Array(cap);
    this.k2 = new Int32Array(cap);
    this.values = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  private static hash(a: number, b: number, c: number): number {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ c ^ (h >>> 16), 0x27d4eb2f);
    return (h ^ (h >>> 15)) >>> 0;
  }

  get(a: number, b: number, c: number): number {
    const mask = this.mask;
    let i = TripleKeyMap.hash(a, b, c) & mask;
    while (this.used[i] === 1) {
      if (this.k0[i] === (a | 0) && this.k1[i] === (b | 0) && this.k2[i] === (c | 0)) return this.values[i];
      i = (i + 1) & mask;
    }
    return -1;
  }

  /** Inserts or overwrites. */
  set(a: number, b: number, c: number, value: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const mask = this.mask;
    let i = TripleKeyMap.hash(a, b, c) & mask;
    while (this.used[i] === 1) {
      if (this.k0[i] === (a | 0) && this.k1[i] === (b | 0) && this.k2[i] === (c | 0)) {
        this.values[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    this.insertAt(i, a, b, c, value);
  }

  /**
   * Adds `delta` to the key's value in one probe (an absent key counts as 0); a result of 0 or
   * less removes the key. @returns the value before (-1 when the key was absent).
   * Same outcome as get + set/delete, for reference counts kept in the map.
   */
  adjust(a: number, b: number, c: number, delta: number): number {
    const mask = this.mask;
    let i = TripleKeyMap.hash(a, b, c) & mask;
    while (this.used[i] === 1) {
      if (this.k0[i] === (a | 0) && this.k1[i] === (b | 0) && this.k2[i] === (c | 0)) {
        const before = this.values[i];
        const after = before + delta;
        if (after > 0) this.values[i] = after;
        else this.removeAt(i);
        return before;
      }
      i = (i + 1) & mask;
    }
    if (delta > 0) {
      if ((this.size + 1) * 2 > mask + 1) this.set(a, b, c, delta);
      else this.insertAt(i, a, b, c, delta);
    }
    return -1;
  }

  /** Removes the key; returns its value, or -1 when it was absent. */
  delete(a: number, b: number, c: number): number {
    const mask = this.mask;
    let i = TripleKeyMap.hash(a, b, c) & mask;
    while (this.used[i] === 1) {
      if (this.k0[i] === (a | 0) && this.k1[i] === (b | 0) && this.k2[i] === (c | 0)) break;
      i = (i + 1) & mask;
    }
    if (this.used[i] === 0) return -1;
    const removed = this.values[i];
    this.removeAt(i);
    return removed;
  }

  /** Fills empty slot i (the end of the key's probe run). */
  private insertAt(i: number, a: number, b: number, c: number, value: number): void {
    this.used[i] = 1;
    this.k0[i] = a;
    this.k1[i] = b;
    this.k2[i] = c;
    this.values[i] = value;
    this.size++;
  }

  /** Empties occupied slot i, keeping every probe run intact. */
  private removeAt(i: number): void {
    const mask = this.mask;
    // Backward-shift: move later entries of the probe run into the hole when their home allows.
    let hole = i;
    let j = (i + 1) & mask;
    while (this.used[j] === 1) {
      const home = TripleKeyMap.hash(this.k0[j], this.k1[j], this.k2[j]) & mask;
      // j may fill the hole if its home is not within (hole, j] cyclically.
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.k0[hole] = this.k0[j];
        this.k1[hole] = this.k1[j];
        this.k2[hole] = this.k2[j];
        this.values[hole] = this.values[j];
        hole = j;
      }
      j = (j + 1) & mask;
    }
    this.used[hole] = 0;
    this.size--;
  }

  clear(): void {
    this.used.fill(0);
    this.size = 0;
  }

  /** Calls fn for every entry (order is the table's, deterministic for the same operations). */
  forEach(fn: (a: number, b: number, c: number, value: number) => void): void {
    for (let i = 0; i <= this.mask; i++) if (this.used[i] === 1) fn(this.k0[i], this.k1[i], this.k2[i], this.values[i]);
  }

  private grow(): void {
    const { k0, k1, k2, values, used } = this;
    const cap = (this.mask + 1) * 2;
    this.k0 = new Int32Array(cap);
    this.k1 = new Int32Array(cap);
    this.k2 = new Int32Array(cap);
    this.values = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < used.length; i++) if (used[i] === 1) this.set(k0[i], k1[i], k2[i], values[i]);
  }
}

const TWO_32 = 4294967296;

/** High 32 bits of a page number (pages have at most 52 bits). */
export function hiOf(page: number): number {
  return Math.floor(page / TWO_32);
}
