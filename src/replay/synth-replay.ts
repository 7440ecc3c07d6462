/**
 * Replays a synthetic workload without a file: the trace is synthesized into memory as canonical
 * CSV text and read like any other. The F&S figure, docs/validation.md's model column and
 * `sweep synth:<workload>` use it. Memory: the whole trace's text, so keep `dmas` modest (a few
 * 10^4 DMAs is a few MiB).
 */
import { synthesize, eventLine, getWorkload, type SynthOptions } from '../synth/index.js';
import { replayTrace } from './replay.js';
import { parseStrategyList } from '../strategies/index.js';
import { resolveProfileByName } from '../cost/profile.js';
import { CANONICAL_HEADER, CANONICAL_HEADER_WITH_CPU } from '../trace/canonical.js';
import type { RunResult } from '../types/result.js';

/** The workload's trace as canonical CSV text (with the cpu column when the workload has one). */
export function synthText(workload: string, options: SynthOptions): Buffer {
  const cpuColumn = getWorkload(workload).cpuColumn === true;
  const lines = [cpuColumn ? CANONICAL_HEADER_WITH_CPU : CANONICAL_HEADER];
  for (const e of synthesize(workload, options)) lines.push(eventLine(e, cpuColumn));
  return Buffer.from(lines.join('\n') + '\n');
}

export interface SynthReplay {
  workload: string;
  options: SynthOptions;
  strategies: string;
  profile: string;
  set?: readonly string[];
}

/** Results by strategy id. */
export async function replaySynth(r: SynthReplay): Promise<Record<string, RunResult>> {
  const out = await replayTrace(r.workload, {
    strategies: parseStrategyList(r.strategies),
    profile: resolveProfileByName(r.profile, [...(r.set ?? [])]),
    read: { source: [synthText(r.workload, r.options)] },
  });
  return Object.fromEntries(out.results.map((x) => [x.strategy, x]));
}
