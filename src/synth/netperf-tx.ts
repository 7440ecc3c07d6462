/**
 * `netperf-tx`: a TCP bulk sender (netperf TCP_STREAM) through an e1000-class Linux driver.
 *
 * Model: with TSO each send is `send_bytes` (64 KiB) handed to the NIC as one packet: a
 * `header_bytes` header in the skb's linear area (a 256-byte slab object) plus the payload as
 * page fragments, each fragment one DMA map of a contiguous piece of a 32 KiB page-frag chunk
 * (sk_page_frag). Sends go back to back at the wire rate (payload split into MSS-sized frames);
 * the TX completion interrupt unmaps every buffer of a send `completion_us` after its last frame
 * left. Payload chunks and header objects are freed when the data is acknowledged (`ack_us`
 * after completion) and reused last-freed-first, so in steady state the same pages recur.
 * Without TSO (--opt tso=0) each send is one MSS (1448 bytes).
 */
import type { Knob, StreamContext, SynthEvent } from './types.js';
import { Poster } from './stream.js';
import { MinHeap } from '../util/min-heap.js';

export const TX_KNOBS: readonly Knob[] = [
  { name: 'tso', default: 1, unit: '0/1', why: 'TCP segmentation offload is on by default on e1000 and later NICs' },
  { name: 'send_bytes', default: 65536, unit: 'bytes', why: 'the TSO/GSO maximum of 64 KiB per send; with tso=0 one MSS (1448) is used' },
  { name: 'header_bytes', default: 66, unit: 'bytes', why: 'Ethernet 14 + IPv4 20 + TCP 20 + timestamps 12' },
  { name: 'rate_mbps', default: 1000, unit: 'Mb/s', why: 'Gigabit Ethernet, the study\'s setting' },
  { name: 'completion_us', default: 30, unit: 'us', why: 'assumption: TX interrupt moderation delays completion by tens of microseconds' },
  { name: 'ack_us', default: 100, unit: 'us', why: 'assumption: LAN round trip before the data is acknowledged and freed' },
];

const CHUNK = 32 * 1024;
const SLAB_OBJECT = 256;
const MSS = 1448;
const FRAME_WIRE_BYTES = 1538;

export function* netperfTx(ctx: StreamContext): Generator<SynthEvent> {
  const k = ctx.knobs;
  const poster = new Poster(ctx);
  const send = k.tso ? k.send_bytes : MSS;
  const wireNs = (Math.ceil(send / MSS) * FRAME_WIRE_BYTES * 8 * 1000) / k.rate_mbps;
  // Header objects: a slab page region at the start of the stream's region; chunks after it.
  const headerFree: number[] = [];
  let nextHeader = 0;
  const chunkFree: number[] = [];
  let nextChunk = 0;
  const chunkRegion = ctx.regionBase + 64 * 1024;
  const newChunk = () => (chunkFree.length > 0 ? chunkFree.pop()! : chunkRegion + ((nextChunk++ * CHUNK) % (ctx.regionBytes - 64 * 1024)));
  const refs = new Map<number, number>();
  let chunk = newChunk();
  let used = 0;
  refs.set(chunk, 1); // the allocator's own reference until the chunk is used up
  // Frees happen at ACK time: [chunks, header] per send.
  const acks = new MinHeap<{ chunks: number[]; header: number }>();
  const release = (ts: number) => {
    while (acks.size > 0 && acks.peekKey() <= ts) {
      const a = acks.pop()!;
      headerFree.push(a.header);
      for (const c of a.chunks) {
        const n = refs.get(c)! - 1;
        if (n === 0) {
          refs.delete(c);
          chunkFree.push(c);
        } else refs.set(c, n);
      }
    }
  };
  for (let s = 0; ; s++) {
    const start = Math.round(s * wireNs);
    const done = Math.round((s + 1) * wireNs + k.completion_us * 1000);
    yield* poster.due(start);
    release(start);
    if (!poster.canPost(start)) break;
    const header = headerFree.length > 0 ? headerFree.pop()! : ctx.regionBase + ((nextHeader++ * SLAB_OBJECT) % (64 * 1024));
    yield poster.post(start, done, 'to_device', 'net', header, k.header_bytes, s);
    const chunks: number[] = [];
    for (let left = send; left > 0; ) {
      if (used === CHUNK) {
        const n = refs.get(chunk)! - 1; // the allocator lets go of a full chunk
        if (n === 0) {
          refs.delete(chunk);
          chunkFree.push(chunk);
        } else refs.set(chunk, n);
        chunk = newChunk();
        used = 0;
        refs.set(chunk, 1);
      }
      const piece = Math.min(left, CHUNK - used);
      yield poster.post(start, done, 'to_device', 'net', chunk + used, piece, s);
      refs.set(chunk, refs.get(chunk)! + 1);
      chunks.push(chunk);
      used += piece;
      left -= piece;
    }
    acks.push(done + k.ack_us * 1000, { chunks, header });
  }
  yield* poster.due(Infinity);
}
