/**
 * The buffer tracker's hash tables: a key of three 32-bit integers to a small non-negative int
 * (a slot or a unit record), open addressing with linear probing and backward-shift deletion,
 * doubling past half full (as util/triple-key-map.ts). Two things it adds for the tracker's hot
 * loop: `find` returns either the key's index or where it would go, so a map checks for a
 * duplicate and inserts with one probe; and the table knows where each value sits (`posOf`), so
 * the tracker removes a unit's entry at its last unmap without hashing the key again.
 *
 * The fields are public for the tracker's fast loop (buffer-tracker.ts), which reads them into
 * locals; nothing else should touch them.
 */
export class TrackerTable {
  k0: Int32Array;
  k1: Int32Array;
  k2: Int32Array;
  /** -1 where a slot of the table is empty. */
  values: Int32Array;
  /** Each entry's hash, so that a removal moves entries without hashing their keys again. */
  hashes: Int32Array;
  /** Index of each value in the table (by value; meaningful only while the value is in it). */
  posOf: Int32Array;
  mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.k0 = new Int32Array(cap);
    this.k1 = new Int32Array(cap);
    this.k2 = new Int32Array(cap);
    this.values = new Int32Array(cap).fill(-1);
    this.hashes = new Int32Array(cap);
    this.posOf = new Int32Array(256);
    this.mask = cap - 1;
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
    const mask = this.mask;
    let i = TrackerTable.hash(a, b, c) & mask;
    while (this.values[i] >= 0) {
      if (this.k0[i] === (a | 0) && this.k1[i] === (b | 0) && this.k2[i] === (c | 0)) return i;
      i = (i + 1) & mask;
    }
    return -1 - i;
  }

  /** Value of the key, or -1. */
  get(a: number, b: number, c: number): number {
    const i = this.find(a, b, c);
    return i >= 0 ? this.values[i] : -1;
  }

  /** Whether one more key fits without growing (an index from `find` stays valid only then). */
  hasRoom(): boolean {
    return (this.size + 1) * 2 <= this.mask + 1;
  }

  /** Adds a key known to be absent (value >= 0). */
  insert(a: number, b: number, c: number, value: number): void {
    if (!this.hasRoom()) this.grow();
    this.insertAt(-1 - this.find(a, b, c), a, b, c, value);
  }

  /** Fills empty index i, the end of the key's probe run (from `find`, with room). */
  insertAt(i: number, a: number, b: number, c: number, value: number): void {
    if (value >= this.posOf.length) this.growPositions(value);
    this.k0[i] = a;
    this.k1[i] = b;
    this.k2[i] = c;
    this.values[i] = value;
    this.hashes[i] = TrackerTable.hash(a, b, c);
    this.posOf[value] = i;
    this.size++;
  }

  /** Removes the key; returns its value, or -1 when it was absent. */
  delete(a: number, b: number, c: number): number {
    const i = this.find(a, b, c);
    if (i < 0) return -1;
    const removed = this.values[i];
    this.removeAt(i);
    return removed;
  }

  /** Empties occupied index i, keeping every probe run intact. */
  removeAt(i: number): void {
    const mask = this.mask;
    const values = this.values;
    const hashes = this.hashes;
    // Backward shift: move later entries of the probe run into the hole when their home allows.
    let hole = i;
    let j = (i + 1) & mask;
    while (values[j] >= 0) {
      const home = hashes[j] & mask;
      // j may fill the hole if its home is not within (hole, j] cyclically.
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.k0[hole] = this.k0[j];
        this.k1[hole] = this.k1[j];
        this.k2[hole] = this.k2[j];
        values[hole] = values[j];
        hashes[hole] = hashes[j];
        this.posOf[values[j]] = hole;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    values[hole] = -1;
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
    const { k0, k1, k2, values } = this;
    const cap = (this.mask + 1) * 2;
    this.k0 = new Int32Array(cap);
    this.k1 = new Int32Array(cap);
    this.k2 = new Int32Array(cap);
    this.values = new Int32Array(cap).fill(-1);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < values.length; i++) if (values[i] >= 0) this.insertAt(-1 - this.find(k0[i], k1[i], k2[i]), k0[i], k1[i], k2[i], values[i]);
  }
}
