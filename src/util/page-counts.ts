/**
 * Non-negative counts per (space, page): how many mappings reach a guest page, how many pins a
 * host page holds. Pages below 2^36 live in 4096-page chunks of an Int32Array, allocated the first
 * time a page of the chunk is counted, so a count is one array access once its chunk is found
 * (the last chunk used is remembered: buffers touch neighbouring pages). Other pages go to a hash
 * map. A missing page counts 0.
 *
 * Memory: 16 KiB per 4096-page chunk ever touched, kept until the end (4 bytes per page of the
 * memory the trace's buffers lie in: bounded by guest memory, not by trace length).
 */
import { TripleKeyMap, hiOf } from './triple-key-map.js';

const CHUNK_PAGES = 4096;
/** Chunks per space: pages below 2^36. */
const CHUNKS_PER_SPACE = 2 ** 24;
const DIRECT_LIMIT = CHUNK_PAGES * CHUNKS_PER_SPACE;
/** Entries of the chunk cache (a power of two). */
const CHUNK_CACHE = 64;
const EMPTY = new Int32Array(0);

export class PageCounts {
  private readonly chunks = new Map<number, Int32Array>();
  private lastId = -1;
  private lastChunk: Int32Array = new Int32Array(0);
  private readonly far = new TripleKeyMap(16);
  /** Chunk cache: id of each entry's chunk (-1: empty) and the chunk. */
  private readonly cacheIds = new Float64Array(CHUNK_CACHE).fill(-1);
  private readonly cacheChunks: Int32Array[] = Array.from({ length: CHUNK_CACHE }, () => EMPTY);

  /**
   * Adds `delta` to the count of `page` in `space` (never below 0).
   * @returns the count before, or -1 when it was 0 (as TripleKeyMap.adjust).
   */
  adjust(space: number, page: number, delta: number): number {
    if (page >= DIRECT_LIMIT || page < 0) return this.far.adjust(space, hiOf(page), page >>> 0, delta);
    const block = Math.floor(page / CHUNK_PAGES);
    const chunk = this.chunkOf(space, block, delta > 0);
    if (chunk === null) return -1;
    const k = page - block * CHUNK_PAGES; // not %: a slow fmod on doubles
    const before = chunk[k];
    const after = before + delta;
    chunk[k] = after > 0 ? after : 0;
    return before === 0 ? -1 : before;
  }

  /** The count of `page` in `space` (0 when never counted). */
  get(space: number, page: number): number {
    if (page >= DIRECT_LIMIT || page < 0) {
      const n = this.far.get(space, hiOf(page), page >>> 0);
      return n < 0 ? 0 : n;
    }
    const block = Math.floor(page / CHUNK_PAGES);
    const chunk = this.chunkOf(space, block, false);
    return chunk === null ? 0 : chunk[page - block * CHUNK_PAGES];
  }

  private chunkOf(space: number, block: number, create: boolean): Int32Array | null {
    const id = space * CHUNKS_PER_SPACE + block;
    if (id === this.lastId) return this.lastChunk;
    // A small direct-mapped cache of chunks found before, ahead of the Map (a hash lookup per
    // miss was the cost when buffers alternate between a few areas: two guests, RX and TX).
    const k = (block ^ Math.imul(space, 0x9e3779b1)) & (CHUNK_CACHE - 1);
    let chunk: Int32Array | undefined;
    if (this.cacheIds[k] === id) chunk = this.cacheChunks[k];
    else {
      chunk = this.chunks.get(id);
      if (chunk === undefined) {
        if (!create) return null;
        chunk = new Int32Array(CHUNK_PAGES);
        this.chunks.set(id, chunk);
      }
      this.cacheIds[k] = id;
      this.cacheChunks[k] = chunk;
    }
    this.lastId = id;
    this.lastChunk = chunk;
    return chunk;
  }
}
