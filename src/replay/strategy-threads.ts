/**
 * The main thread's side of `replay --threads N`: worker threads that run groups of strategies
 * over the batches this thread reads, each batch read and checked once and shared with every
 * worker through a ring of SharedArrayBuffer slots.
 *
 *   main: reader -> batch --copy--> shared slot k --{batch k}--> each worker
 *         then its own tracker + native + its group, on its own batch, while the workers run
 *   worker: copy slot k into its own batch --{freed k}--> (slot k may be refilled)
 *           then its tracker + its group (strategy-worker.ts)
 *
 * Every thread replays the same rows through the same tracker code, so each strategy sees what
 * it would see alone on the main thread: results are identical to `--threads 1`. The ring bounds
 * how far the main thread runs ahead (RING slots), so memory stays a few batches per worker.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ResolvedParams } from '../cost/schema.js';
import type { QueueCapacities } from '../model/device/queues.js';
import { EventBatch, type DeviceTable } from '../types/event.js';
import type { DmaCostsData } from '../metrics/dma-costs.js';

/** Batches in flight between the main thread and its workers. */
const RING = 8;

export type ToWorker =
  | { type: 'start'; path: string; queues: QueueCapacities; params: ResolvedParams[]; runs: { point: number; id: string }[]; reference?: boolean }
  | { type: 'batch'; slot: number; length: number; capacity: number; memory?: SharedArrayBuffer; newDevices: [string, number][] }
  | { type: 'finish' };

export type FromWorker = { type: 'freed'; slot: number } | { type: 'done'; counters: { point: number; id: string; counters: Float64Array; costs?: DmaCostsData }[] } | { type: 'fatal'; error: string };

/** A strategy run on a worker: which profile (grid point) and which strategy. */
export interface RemoteRun {
  point: number;
  id: string;
}

export class StrategyThreads {
  private readonly workers: Worker[];
  private readonly slots: (EventBatch | null)[] = new Array(RING).fill(null);
  private readonly memories: (SharedArrayBuffer | null)[] = new Array(RING).fill(null);
  /** Per slot: workers that have not yet copied it out. */
  private readonly pending = new Int32Array(RING);
  /** Per slot, per worker: whether it has this slot's current memory. */
  private readonly sent: boolean[][];
  private next = 0;
  private devicesSent = 0;
  private waiting: { slot: number; resolve: () => void } | null = null;
  private failure: Error | null = null;
  private readonly done: Promise<{ point: number; id: string; counters: Float64Array; costs?: DmaCostsData }[]>[];

  /**
   * Starts one worker per group (groups must not be empty).
   * @param params one parameter set per profile (grid point) the runs refer to
   * @param reference run the strategies' reference loops (StrategyContext.reference)
   */
  constructor(path: string, queues: QueueCapacities, params: readonly ResolvedParams[], groups: readonly RemoteRun[][], reference?: boolean) {
    const script = workerScript();
    this.workers = groups.map(() => new Worker(script));
    this.sent = Array.from({ length: RING }, () => groups.map(() => false));
    this.done = this.workers.map(
      (w, k) =>
        new Promise((resolve, reject) => {
          const fail = (e: Error) => {
            this.failure ??= e;
            this.wake();
            reject(e);
          };
          w.on('message', (m: FromWorker) => {
            if (m.type === 'freed') {
              if (--this.pending[m.slot] === 0 && this.waiting?.slot === m.slot) this.wake();
            } else if (m.type === 'done') resolve(m.counters);
            else fail(new Error(`strategy worker: ${m.error}`));
          });
          w.on('error', fail);
          w.on('exit', (code) => fail(new Error(`strategy worker exited (code ${code}) before its runs were done`)));
          w.postMessage({ type: 'start', path, queues, params: [...params], runs: groups[k], reference } satisfies ToWorker);
        }),
    );
    // A failure is reported by `share` or `finish`; until then no rejection is left unhandled.
    for (const d of this.done) d.catch(() => {});
  }

  /**
   * Shares a batch (as the reader made it, before the tracker touches it) with every worker.
   * Waits only when all RING slots are still being copied out by some worker.
   */
  async share(batch: EventBatch, devices: DeviceTable): Promise<void> {
    const k = this.next;
    this.next = (k + 1) % RING;
    while (this.pending[k] > 0 && !this.failure) await new Promise<void>((resolve) => (this.waiting = { slot: k, resolve }));
    if (this.failure) throw this.failure;
    let slot = this.slots[k];
    if (!slot || slot.capacity < batch.length) {
      // A slot grows with the largest batch it has held (a long scatter-gather list's rows share
      // one batch, dma-groups.ts); the workers get the new memory with the next message.
      const capacity = Math.max(batch.capacity, batch.length);
      const memory = new SharedArrayBuffer(EventBatch.bytes(capacity));
      slot = this.slots[k] = new EventBatch(capacity, memory);
      this.memories[k] = memory;
      for (const s of this.sent[k].keys()) this.sent[k][s] = false;
    }
    slot.copyFrom(batch);
    const newDevices: [string, number][] = [];
    for (; this.devicesSent < devices.size; this.devicesSent++) newDevices.push([devices.names[this.devicesSent], devices.classes[this.devicesSent]]);
    this.pending[k] = this.workers.length;
    for (const [w, worker] of this.workers.entries()) {
      const fresh = !this.sent[k][w];
      this.sent[k][w] = true;
      worker.postMessage({ type: 'batch', slot: k, length: batch.length, capacity: slot.capacity, memory: fresh ? this.memories[k]! : undefined, newDevices } satisfies ToWorker);
    }
  }

  /** Closes every worker's runs and returns their counters, then ends the workers. */
  async finish(): Promise<{ point: number; id: string; counters: Float64Array; costs?: DmaCostsData }[]> {
    try {
      for (const w of this.workers) w.postMessage({ type: 'finish' } satisfies ToWorker);
      return (await Promise.all(this.done)).flat();
    } finally {
      await this.terminate();
    }
  }

  /** Ends the workers (after a failure on this thread, or once finished). */
  async terminate(): Promise<void> {
    for (const w of this.workers) w.removeAllListeners('exit');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.resolve();
  }
}

/** The built worker script (tests run the sources, so they use the build as the pool does). */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const local = join(here, 'strategy-worker.js');
  if (existsSync(local)) return local;
  const built = join(here, '..', '..', 'dist', 'replay', 'strategy-worker.js');
  if (existsSync(built)) return built;
  throw new Error('worker script (replay/strategy-worker.js) not found: run npm run build');
}
