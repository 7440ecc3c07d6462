/**
 * The rows of one scatter-gather DMA are never split across batches, whatever the batch size, so
 * the replay sees each DMA whole.
 */
import { describe, expect, it } from 'vitest';
import { alignDmaGroups } from '../../src/trace/dma-groups.js';
import { EventBatch, Op } from '../../src/types/event.js';
import { replayTrace } from '../../src/replay/replay.js';
import { resolveProfileByName } from '../../src/cost/profile.js';
import { parseStrategyList } from '../../src/strategies/index.js';
import { Diagnostics } from '../../src/trace/diagnostics.js';
import { trace } from '../helpers/replay-text.js';

/** Batches of rows given as [op, handle] (map 0 / unmap 1), reusing one batch as readers do. */
async function* batches(rows: [number, number][], capacity: number): AsyncGenerator<EventBatch> {
  const b = new EventBatch(capacity);
  for (let k = 0; k < rows.length; k++) {
    const i = b.length;
    b.line[i] = k + 2;
    b.op[i] = rows[k][0];
    b.handleLo[i] = rows[k][1];
    b.commitRow(i);
    if (b.length === capacity) {
      yield b;
      b.length = 0;
    }
  }
  if (b.length > 0) yield b;
}

async function lines(rows: [number, number][], capacity: number): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of alignDmaGroups(batches(rows, capacity))) out.push(Array.from(b.line.subarray(0, b.length)));
  return out;
}

describe('alignDmaGroups', () => {
  it('given batches of 2 and a 3-segment DMA from row 2, then its rows come in one batch, in order', async () => {
    const M = Op.map;
    const rows: [number, number][] = [[M, 1], [M, 2], [M, 2], [M, 2], [1, 1], [M, 3]];
    expect(await lines(rows, 2)).toEqual([[2], [3, 4, 5], [6], [7]]);
  });

  it('given a batch that ends in an unmap, then nothing is held back', async () => {
    expect(await lines([[Op.map, 1], [Op.unmap, 1], [Op.map, 2], [Op.unmap, 2]], 2)).toEqual([[2, 3], [4, 5]]);
  });

  it('given a whole batch of one DMA\'s segments, then they join the next batch\'s', async () => {
    expect(await lines([[Op.map, 4], [Op.map, 4], [Op.map, 4], [Op.map, 4], [Op.map, 4], [Op.unmap, 4]], 2)).toEqual([[2, 3, 4, 5, 6], [7]]);
  });
});

describe('replay with small batches', () => {
  it('gives the same results as with the default batch size when DMAs span batch boundaries', async () => {
    const rows: string[] = [];
    for (let k = 0; k < 20; k++) {
      for (let s = 0; s <= k % 4; s++) rows.push(`${k * 10},0,vda,disk,map,from_device,0x${(0x10000 + k * 0x9000 + s * 0x2000).toString(16)},4096,${k},`);
      if (k >= 2) rows.push(`${k * 10 + 5},0,vda,disk,unmap,,,,${k - 2},`);
    }
    const csv = trace(...rows);
    const run = async (batchCapacity?: number) =>
      replayTrace('sg.csv', { strategies: parseStrategyList('all'), profile: resolveProfileByName('xen-2008'), diagnostics: new Diagnostics(), read: { source: [Buffer.from(csv)], batchCapacity } });
    const whole = await run();
    expect(whole.results[0].segments).toBe(50);
    for (const cap of [1, 2, 3, 5]) expect(JSON.stringify((await run(cap)).results)).toBe(JSON.stringify(whole.results));
  });
});
