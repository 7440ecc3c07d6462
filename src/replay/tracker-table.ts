/**
 * The buffer tracker's hash tables: a key of three 32-bit integers to a small non-negative int
 * (a slot or a unit record), open addressing with linear probing and backward-shift deletion
 * (as util/triple-key-map.ts), doubling past a quarter full. What it adds for the tracker's loop:
 * an entry's key and value are side by side (16 bytes: a probe reads one cache line, not four
 * arrays); `find` returns either the key's index or where it would go, so a map checks for a
 * duplicate and inserts with one probe; and the table knows where each value sits (`posOf`), so
 * the tracker removes a unit's entry at its last unmap without hashing the key again.
 */
/** Entries per key at least. Longer probe runs and backward shifts at half full cost the tracker
 * about 30 ms more per 2 M events of the bench trace than a quarter; an eighth gained nothing. */
const LOAD = 4;

export class TrackerTable {
  /** Entry i is e[4i .. 4i + 3]: key a, b, c, then the value (-1 where the entry is empty).
   * Read (never written) by the tracker's flat loop, which inlines `find`. */
  e: Int32Array;
  /** Index of each value in the table (by value; meaningful only while the value is in it). */
  posOf: Int32Array;
  mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * LOAD) cap *= 2;
    this.e = TrackerTable.entries(cap);
    this.posOf = new Int32Array(256);
    this.mask = cap - 1;
  }

  private static entries(cap: number): Int32Array {
    const e = new Int32Array(cap * 4);
    for (let i = 3; i < e.length; i += 4) e[i] = -1;
    return e;
  }

  /** The same mixing as TripleKeyMap's (any good mix would do: the layout is never observed). */
  static hash(a: number, b: number, c: number): number {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ c ^ (h >>> 16), 0x27d4eb2f);
    return h ^ (h >>> 15);
  }

  /** The key's index, or -1 - (the empty index where it would be inserted). */
  find(a: number, b: number, c: number): number {
    const e = this.e;
    const mask = this.mask;
    let i = TrackerTable.hash(a, b, c) & mask;
    while (e[4 * i + 3] >= 0) {
      if (e[4 * i] === (a | 0) && e[4 * i + 1] === (b | 0) && e[4 * i + 2] === (c | 0)) return i;
      i = (i + 1) & mask;
    }
    return -1 - i;
  }

  /** Value at index i (from `find`). */
  valueAt(i: number): number {
    return this.e[4 * i + 3];
  }

  /** Value of the key, or -1. */
  get(a: number, b: number, c: number): number {
    const i = this.find(a, b, c);
    return i >= 0 ? this.e[4 * i + 3] : -1;
  }

  /** Whether one more key fits without growing (an index from `find` stays valid only then). */
  hasRoom(): boolean {
    return (this.size + 1) * LOAD <= this.mask + 1;
  }

  /** Adds a key known to be absent (value >= 0). */
  insert(a: number, b: number, c: number, value: number): void {
    if (!this.hasRoom()) this.grow();
    this.insertAt(-1 - this.find(a, b, c), a, b, c, value);
  }

  /** Fills empty index i, the end of the key's probe run (from `find`, with room). */
  insertAt(i: number, a: number, b: number, c: number, value: number): void {
    if (value >= this.posOf.length) this.growPositions(value);
    const e = this.e;
    e[4 * i] = a;
    e[4 * i + 1] = b;
    e[4 * i + 2] = c;
    e[4 * i + 3] = value;
    this.posOf[value] = i;
    this.size++;
  }

  /** Removes the key; returns its value, or -1 when it was absent. */
  delete(a: number, b: number, c: number): number {
    const i = this.find(a, b, c);
    if (i < 0) return -1;
    const removed = this.e[4 * i + 3];
    this.removeAt(i);
    return removed;
  }

  /** Empties occupied index i, keeping every probe run intact. */
  removeAt(i: number): void {
    const mask = this.mask;
    const e = this.e;
    // Backward shift: move later entries of the probe run into the hole when their home allows.
    let hole = i;
    let j = (i + 1) & mask;
    while (e[4 * j + 3] >= 0) {
      const home = TrackerTable.hash(e[4 * j], e[4 * j + 1], e[4 * j + 2]) & mask;
      // j may fill the hole if its home is not within (hole, j] cyclically.
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        e[4 * hole] = e[4 * j];
        e[4 * hole + 1] = e[4 * j + 1];
        e[4 * hole + 2] = e[4 * j + 2];
        e[4 * hole + 3] = e[4 * j + 3];
        this.posOf[e[4 * j + 3]] = hole;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    e[4 * hole + 3] = -1;
    this.size--;
  }

  private growPositions(value: number): void {
    let n = this.posOf.length * 2;
    while (n <= value) n *= 2;
    const grown = new Int32Array(n);
    grown.set(this.posOf);
    this.posOf = grown;
  }

  private grow(): void {
    const old = this.e;
    const cap = (this.mask + 1) * 2;
    this.e = TrackerTable.entries(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 4) if (old[i + 3] >= 0) this.insertAt(-1 - this.find(old[i], old[i + 1], old[i + 2]), old[i], old[i + 1], old[i + 2], old[i + 3]);
  }
}
