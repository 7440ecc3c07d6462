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
import { CHUNK_PAGES, DIRECT_LIMIT, PageChunks } from './page-chunks.js';

export class PageCounts {
  private readonly chunks = new PageChunks();
  private readonly far = new TripleKeyMap(16);

  /**
   * Adds `delta` to the count of `page` in `space` (never below 0).
   * @returns the count before, or -1 when it was 0 (as TripleKeyMap.adjust).
   */
  adjust(space: number, page: number, delta: number): number {
    if (page >= DIRECT_LIMIT || page < 0) return this.far.adjust(space, hiOf(page), page >>> 0, delta);
    const block = Math.floor(page / CHUNK_PAGES);
    const chunk = this.chunks.find(space, block, delta > 0);
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
    const chunk = this.chunks.find(space, block, false);
    return chunk === null ? 0 : chunk[page - block * CHUNK_PAGES];
  }
}
