/**
 * Test helper: replay an inline canonical CSV text through strategies with the xen-2008
 * profile (plus overrides) and get results by strategy id.
 */
import { replayTrace } from '../../src/replay/replay.js';
import { resolveProfileByName } from '../../src/cost/profile.js';
import { parseStrategyList } from '../../src/strategies/index.js';
import { Diagnostics } from '../../src/trace/diagnostics.js';
import type { RunResult } from '../../src/types/result.js';
import { CANONICAL_HEADER } from '../../src/trace/canonical.js';

export const HEADER = CANONICAL_HEADER;

/** A guest-physical address no guest owns: page 2^40, just past the 52-bit guest-physical space
 * (what a driver names there is another guest's memory). */
export const NOT_OWNED = '0x10000000000000';

export interface InlineReplay {
  by: Record<string, RunResult>;
  results: RunResult[];
  diagnostics: Diagnostics;
  warnings: string[];
}

export async function replayText(csv: string, strategies = 'all', set: string[] = []): Promise<InlineReplay> {
  const profile = resolveProfileByName('xen-2008', set);
  const diagnostics = new Diagnostics();
  const run = await replayTrace('inline.csv', {
    strategies: parseStrategyList(strategies),
    profile,
    diagnostics,
    read: { source: [Buffer.from(csv)] },
  });
  return { by: Object.fromEntries(run.results.map((r) => [r.strategy, r])), results: run.results, diagnostics, warnings: run.warnings };
}

/** Builds a trace from rows given without the header. */
export function trace(...rows: string[]): string {
  return [HEADER, ...rows].join('\n') + '\n';
}

/** The xen-2008 cost numbers, resolved (with overrides). */
export function costs(set: string[] = []): Readonly<Record<string, number>> {
  return resolveProfileByName('xen-2008', set).params;
}
