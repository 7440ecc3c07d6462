/**
 * Memory follows live state, not trace length: 2 million synthetic events streamed through every
 * strategy in a process whose V8 heap is capped at 128 MB. Anything kept per event (~64 bytes
 * each would be 128 MB) makes that process die, and this test fail. Not a timing test.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

describe('bounded memory', () => {
  it('replays 2,000,000 streamed events through all strategies under --max-old-space-size=128', () => {
    const r = spawnSync(process.execPath, ['--max-old-space-size=128', 'scripts/bench-worker.mjs', 'replay-stream', '2000000', 'all'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr.slice(-1000)).toBe(0);
    const m = JSON.parse(r.stdout.trim());
    expect(m.events).toBeGreaterThanOrEqual(2_000_000);
  }, 600_000); // a minute on an idle machine; more under load (not a timing test)
});
