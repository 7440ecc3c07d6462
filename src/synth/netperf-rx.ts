/**
 * `netperf-rx`: a NIC receiving a TCP stream at line rate, as an e1000-class Linux driver does it.
 *
 * Model: the RX ring holds `ring` buffers of `buf_bytes`, all mapped from_device. Frames arrive
 * every frame_bytes x 8 / rate; one interrupt (NAPI poll) serves `poll_frames` frames, `napi_us`
 * after the last of them arrived: the driver unmaps their buffers (ring order), then refills
 * those slots with freshly mapped buffers, all at once (e1000_clean_rx_irq, then
 * e1000_alloc_rx_buffers for the cleaned count). Buffers are 2 KiB slices of
 * 32 KiB page-frag chunks (netdev_alloc_frag); the stack holds a received buffer until the
 * application has read it (`hold` frames later) and then frees it to a last-in-first-out free
 * list, from which refills are taken: the same buffers are recycled, the source of mapping reuse.
 * The unit of a buffer is the frame that will land in it.
 */
import type { Knob, StreamContext, SynthEvent } from './types.js';
import { Poster } from './stream.js';

export const RX_KNOBS: readonly Knob[] = [
  { name: 'ring', default: 256, unit: 'descriptors', why: 'Linux e1000 default RX ring (E1000_DEFAULT_RXD = 256)' },
  { name: 'buf_bytes', default: 2048, unit: 'bytes', why: 'e1000 rx_buffer_len for MTU 1500 (E1000_RXBUFFER_2048)' },
  { name: 'frame_bytes', default: 1538, unit: 'bytes', why: 'a 1500-byte MTU frame on the wire: 1518 + preamble 8 + inter-frame gap 12' },
  { name: 'rate_mbps', default: 1000, unit: 'Mb/s', why: 'Gigabit Ethernet, the study\'s setting (RiceNIC)' },
  { name: 'napi_us', default: 20, unit: 'us', why: 'assumption: interrupt delivery plus poll latency of a few tens of microseconds' },
  { name: 'poll_frames', default: 10, unit: 'frames', why: 'e1000 InterruptThrottleRate default (dynamic conservative) caps interrupts near 8,000/s: ~10 frames per interrupt at 81,000 frames/s' },
  { name: 'hold', default: 64, unit: 'frames', why: 'assumption: buffers queued on the socket before netperf reads them (~64 KiB socket backlog)' },
];

const CHUNK = 32 * 1024;

export function* netperfRx(ctx: StreamContext): Generator<SynthEvent> {
  const k = ctx.knobs;
  const poster = new Poster(ctx);
  const gapNs = (k.frame_bytes * 8 * 1000) / k.rate_mbps;
  const buf = k.buf_bytes;
  const perChunk = Math.max(1, Math.floor(CHUNK / buf));
  // Free buffers, last freed first; new ones are cut from fresh chunks in the region.
  const free: number[] = [];
  let nextChunk = 0;
  const take = (): number => {
    if (free.length > 0) return free.pop()!;
    const base = ctx.regionBase + (nextChunk++ * CHUNK) % ctx.regionBytes;
    for (let j = perChunk - 1; j >= 1; j--) free.push(base + j * buf);
    return base;
  };
  const perPoll = Math.max(1, Math.floor(k.poll_frames));
  // Frame f is served by the poll after the last frame of its group arrives.
  const pollTime = (f: number) => Math.round(((Math.floor(f / perPoll) + 1) * perPoll - 1) * gapNs + k.napi_us * 1000);
  // Fill the ring at time 0; slot i receives frame i.
  const ring: number[] = [];
  for (let i = 0; i < k.ring && poster.canPost(0); i++) {
    const addr = take();
    ring.push(addr);
    yield poster.post(0, pollTime(i), 'from_device', 'net', addr, buf, i);
  }
  const held: number[] = [];
  let stop = ring.length === 0;
  for (let first = 0; !stop; first += perPoll) {
    const t = pollTime(first);
    yield* poster.due(t); // the unmaps of this poll's frames (and any earlier)
    // The filled buffers go up the stack and are freed `hold` frames later; then the refill.
    for (let f = first; f < first + perPoll; f++) {
      held.push(ring[f % ring.length]);
      if (held.length > k.hold) free.push(held.shift()!);
    }
    for (let f = first; f < first + perPoll; f++) {
      if (!poster.canPost(t)) {
        stop = true;
        break;
      }
      const addr = take();
      ring[f % ring.length] = addr;
      const target = f + ring.length;
      yield poster.post(t, pollTime(target), 'from_device', 'net', addr, buf, target);
    }
  }
  yield* poster.due(Infinity);
}
