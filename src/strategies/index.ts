/**
 * The strategy registry. Adding a strategy touches only its own file and one line here.
 */
import type { StrategyDefinition } from '../types/strategy.js';
import { UsageError } from '../util/errors.js';
import { closestName } from '../util/closest.js';
import { native } from './native.js';
import { directMap } from './direct-map.js';
import { singleUse } from './single-use.js';
import { shared } from './shared.js';
import { persistent } from './persistent.js';
import { software } from './software.js';
import { linuxStrict } from './linux-strict.js';
import { linuxLazy } from './linux-lazy.js';
import { shadow } from './shadow.js';
import { fands } from './fands.js';

/** Every strategy, in report order: the study's six, then those beyond it. */
export const STRATEGIES: readonly StrategyDefinition[] = [native, directMap, singleUse, shared, persistent, software, linuxStrict, linuxLazy, shadow, fands];

export const STRATEGY_IDS: readonly string[] = STRATEGIES.map((s) => s.id);

export function getStrategy(id: string): StrategyDefinition {
  const s = STRATEGIES.find((d) => d.id === id);
  if (!s) throw new UsageError(`unknown strategy '${id}'${closestName(id, STRATEGY_IDS)}; valid: ${STRATEGY_IDS.join(', ')}, all`);
  return s;
}

/**
 * Parses a strategy selection: `all`, or a comma-separated list (order kept, duplicates
 * dropped). @throws UsageError naming the valid ids.
 */
export function parseStrategyList(spec: string | readonly string[]): StrategyDefinition[] {
  const parts = (typeof spec === 'string' ? [spec] : spec).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0 || parts.includes('all')) return [...STRATEGIES];
  const out: StrategyDefinition[] = [];
  for (const p of parts) {
    const s = getStrategy(p);
    if (!out.includes(s)) out.push(s);
  }
  return out;
}
