/**
 * What a figure calls a trace: its file name without directory or extension ("netperf-rx"), so
 * titles and panel headers never carry a machine's absolute paths. Two traces with the same
 * file name keep as many parent folders as tell them apart.
 */
import { basename } from 'node:path';

/** The panel name of a trace: its file name without extension (`synth:<workload>` as is). */
export function workloadOf(trace: string): string {
  return basename(trace).replace(/\.(csv(\.gz)?|arrow|txt(\.gz)?)$/, '');
}

/** A short, unique name per trace, by trace. */
export function shortTraceNames(traces: readonly string[]): Map<string, string> {
  const unique = [...new Set(traces)];
  const parts = unique.map((t) => t.replace(/\\/g, '/').split('/').filter((p) => p !== ''));
  const names = new Map<string, string>();
  unique.forEach((t, i) => {
    const p = parts[i];
    const file = workloadOf(t);
    // Widen by one parent folder until no other trace ends the same way.
    for (let keep = 1; keep <= p.length; keep++) {
      const tail = [...p.slice(p.length - keep, p.length - 1), file].join('/');
      const clash = parts.some((q, j) => j !== i && [...q.slice(Math.max(0, q.length - keep), q.length - 1), workloadOf(unique[j])].join('/') === tail);
      if (!clash || keep === p.length) {
        names.set(t, tail);
        return;
      }
    }
    names.set(t, file);
  });
  return names;
}
