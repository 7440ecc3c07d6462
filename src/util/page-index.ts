/**
 * A map from (space, page) to a small non-negative integer (an entry index), for tables keyed
 * by guest page that the hot loop consults on every map and unmap (shared's and persistent's
 * page entries). Pages below 2^36 live in 4096-page chunks of an Int32Array holding value + 1
 * (0: absent), allocated the first time a page of the chunk is set, so a lookup is one array
 * access once the chunk is found (the last chunk used, then a small direct-mapped chunk cache,
 * then a Map). Other pages go to a hash map. Same answers as TripleKeyMap get / set / delete.
 *
 * Memory: 16 KiB per 4096-page chunk ever set, kept until the end (bounded by the guest memory
 * the trace's buffers lie in, not by trace length), as util/page-counts.ts.
 */
import { TripleKeyMap, hiOf } from './triple-key-map.js';
import { CHUNK_PAGES, DIRECT_LIMIT, PageChunks } from './page-chunks.js';

export class PageIndex {
  private readonly chunks = new PageChunks();
  private readonly far = new TripleKeyMap(16);

  /** The value of `page` in `space`, or -1 when absent. */
  get(space: number, page: number): number {
    if (page >= DIRECT_LIMIT || page < 0) return this.far.get(space, hiOf(page), page >>> 0);
    const block = Math.floor(page / CHUNK_PAGES);
    const chunk = this.chunks.find(space, block, false);
    return chunk === null ? -1 : chunk[page - block * CHUNK_PAGES] - 1;
  }

  /** Sets the value (>= 0) of `page` in `space`. */
  set(space: number, page: number, value: number): void {
    if (page >= DIRECT_LIMIT || page < 0) {
      this.far.set(space, hiOf(page), page >>> 0, value);
      return;
    }
    const block = Math.floor(page / CHUNK_PAGES);
    this.chunks.find(space, block, true)![page - block * CHUNK_PAGES] = value + 1;
  }

  /** Removes `page` of `space` (nothing when absent). */
  delete(space: number, page: number): void {
    if (page >= DIRECT_LIMIT || page < 0) {
      this.far.delete(space, hiOf(page), page >>> 0);
      return;
    }
    const block = Math.floor(page / CHUNK_PAGES);
    const chunk = this.chunks.find(space, block, false);
    if (chunk !== null) chunk[page - block * CHUNK_PAGES] = 0;
  }
}
