/**
 * The storage under PageCounts and PageIndex: per (space, page), one Int32 cell, in 4096-page
 * chunks allocated the first time a page of the chunk is written. Finding a chunk is one compare
 * when it is the last one used (buffers touch neighbouring pages), then a small direct-mapped
 * cache, then a Map (a hash lookup per miss was the cost when buffers alternate between a few
 * areas: two guests, RX and TX). Only pages below DIRECT_LIMIT (2^36) are stored here; callers
 * keep the others in a hash map.
 *
 * Memory: 16 KiB per chunk ever written, kept until the end (bounded by the guest memory the
 * trace's buffers lie in, not by trace length).
 */
export const CHUNK_PAGES = 4096;
/** Chunks per space: pages below 2^36. */
const CHUNKS_PER_SPACE = 2 ** 24;
/** Pages at or above this (or negative) are not stored in chunks. */
export const DIRECT_LIMIT = CHUNK_PAGES * CHUNKS_PER_SPACE;
/** Entries of the chunk cache (a power of two). */
const CHUNK_CACHE = 64;
const EMPTY = new Int32Array(0);

export class PageChunks {
  private readonly chunks = new Map<number, Int32Array>();
  private lastId = -1;
  private lastChunk: Int32Array = EMPTY;
  /** Chunk cache: id of each entry's chunk (-1: empty) and the chunk. */
  private readonly cacheIds = new Float64Array(CHUNK_CACHE).fill(-1);
  private readonly cacheChunks: Int32Array[] = Array.from({ length: CHUNK_CACHE }, () => EMPTY);

  /** The chunk holding pages [block * CHUNK_PAGES, +CHUNK_PAGES) of `space`; a new zeroed one when
   * `create`, else null when none was ever created. */
  find(space: number, block: number, create: boolean): Int32Array | null {
    const id = space * CHUNKS_PER_SPACE + block;
    if (id === this.lastId) return this.lastChunk;
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
