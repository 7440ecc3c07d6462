/**
 * The reorder window of `ingest`: events pushed nearly in time order come out in (time, push
 * order) order, exactly as from util/MinHeap. Kernel traces are sorted except where the CPUs'
 * clocks disagree, so events that do not go back in time wait in a plain queue (O(1) each) and
 * only the few that do go to a heap; popping takes the earlier of the two heads.
 */
export class ReorderQueue<T> {
  // The in-order run: keys never decrease from `head` to the end.
  private qKeys: number[] = [];
  private qSeqs: number[] = [];
  private qTags: number[] = [];
  private qItems: T[] = [];
  private head = 0;
  // Late arrivals: a binary min-heap on (key, seq).
  private hKeys: number[] = [];
  private hSeqs: number[] = [];
  private hTags: number[] = [];
  private hItems: T[] = [];
  private seq = 0;
  /** The tag (a number carried with each event: ingest's CPU) of the event `pop` last returned. */
  tag = 0;

  get size(): number {
    return this.qKeys.length - this.head + this.hKeys.length;
  }

  peekKey(): number {
    const q = this.head < this.qKeys.length ? this.qKeys[this.head] : Infinity;
    const h = this.hKeys.length > 0 ? this.hKeys[0] : Infinity;
    return q < h ? q : h;
  }

  push(key: number, tag: number, item: T): void {
    const seq = this.seq++;
    const n = this.qKeys.length;
    if (n === this.head || key >= this.qKeys[n - 1]) {
      this.qKeys.push(key);
      this.qSeqs.push(seq);
      this.qTags.push(tag);
      this.qItems.push(item);
      return;
    }
    const keys = this.hKeys;
    keys.push(key);
    this.hSeqs.push(seq);
    this.hTags.push(tag);
    this.hItems.push(item);
    let i = keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.heapLess(i, p)) break;
      this.heapSwap(i, p);
      i = p;
    }
  }

  /** The earliest event (its tag in `tag`), or undefined when empty. */
  pop(): T | undefined {
    const hasQ = this.head < this.qKeys.length;
    const hasH = this.hKeys.length > 0;
    if (!hasQ && !hasH) return undefined;
    const fromQueue = hasQ && (!hasH || this.qKeys[this.head] < this.hKeys[0] || (this.qKeys[this.head] === this.hKeys[0] && this.qSeqs[this.head] < this.hSeqs[0]));
    return fromQueue ? this.popQueue() : this.popHeap();
  }

  private popQueue(): T {
    const h = this.head++;
    const item = this.qItems[h];
    this.tag = this.qTags[h];
    this.qItems[h] = undefined as T; // let it be collected
    if (this.head === this.qKeys.length) {
      this.head = 0;
      this.qKeys.length = this.qSeqs.length = this.qTags.length = this.qItems.length = 0;
    } else if (this.head >= 4096 && this.head * 2 >= this.qKeys.length) {
      // Drop the popped front now and then, so the arrays stay about as long as the window.
      for (const a of [this.qKeys, this.qSeqs, this.qTags, this.qItems] as unknown[][]) a.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  private popHeap(): T {
    const keys = this.hKeys;
    const n = keys.length;
    const top = this.hItems[0];
    this.tag = this.hTags[0];
    this.heapSwap(0, n - 1);
    keys.pop();
    this.hSeqs.pop();
    this.hTags.pop();
    this.hItems.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n - 1 && this.heapLess(l, m)) m = l;
      if (r < n - 1 && this.heapLess(r, m)) m = r;
      if (m === i) break;
      this.heapSwap(i, m);
      i = m;
    }
    return top;
  }

  private heapLess(a: number, b: number): boolean {
    const k = this.hKeys;
    return k[a] < k[b] || (k[a] === k[b] && this.hSeqs[a] < this.hSeqs[b]);
  }

  private heapSwap(a: number, b: number): void {
    swap(this.hKeys, a, b);
    swap(this.hSeqs, a, b);
    swap(this.hTags, a, b);
    swap(this.hItems, a, b);
  }
}

function swap<T>(arr: T[], a: number, b: number): void {
  const t = arr[a];
  arr[a] = arr[b];
  arr[b] = t;
}
