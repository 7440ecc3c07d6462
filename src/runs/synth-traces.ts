/**
 * Synthetic traces as sweep inputs: a trace argument `synth:<workload>` stands for the workload's
 * trace, generated for each grid point from the `synth.<knob>` keys (grid axes or --set), plus
 * `synth.dmas` (DMAs per trace, default 20,000) and `synth.seed` (default 1). So a sweep can run
 * over the flows or the ring size of rx-100g as it runs over a profile key:
 *
 *   dmareplay sweep synth:rx-100g -g synth.flows=5,10,20,40 -g iommu.ih=0,1
 *
 * Each trace is written once to a temporary directory (workers read it like any file) and
 * removed when the sweep ends.
 */
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { checkKnobs, getWorkload, writeSynth } from '../synth/index.js';
import { UsageError } from '../util/errors.js';

export const SYNTH_TRACE_PREFIX = 'synth:';
export const SYNTH_KEY_PREFIX = 'synth.';
/** Keys that are options of the generator rather than knobs of the workload. */
const GENERATOR_KEYS: Record<string, number> = { dmas: 20_000, seed: 1 };

export const isSynthTrace = (path: string): boolean => path.startsWith(SYNTH_TRACE_PREFIX);
export const isSynthKey = (key: string): boolean => key.startsWith(SYNTH_KEY_PREFIX);

/** The workload id of a `synth:<workload>` argument (a usage error names the workloads). */
export function synthWorkload(path: string): string {
  return getWorkload(path.slice(SYNTH_TRACE_PREFIX.length)).id;
}

/** Parses a synth.<knob> value: a non-negative number. */
export function parseSynthValue(key: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`${key}: '${text}' is not a non-negative number`);
  return v;
}

/** Checks that `synth.` keys have synth traces to apply to, and that each is a knob of each. */
export function checkSynthKeys(paths: readonly string[], keys: readonly string[]): void {
  const synthKeys = keys.filter(isSynthKey);
  if (synthKeys.length === 0) return;
  const synth = paths.filter(isSynthTrace);
  if (synth.length === 0) throw new UsageError(`${synthKeys[0]}: synth.<knob> keys apply to synth:<workload> traces only (e.g. synth:rx-100g)`);
  for (const p of synth) {
    const knobs = Object.fromEntries(synthKeys.map((k) => k.slice(SYNTH_KEY_PREFIX.length)).filter((k) => !(k in GENERATOR_KEYS)).map((k) => [k, 0]));
    checkKnobs(getWorkload(synthWorkload(p)), knobs);
  }
}

/** Generates synthetic traces on demand into one temporary directory. */
export class SynthTraces {
  private dir: string | null = null;
  private made = new Map<string, string>();

  /** The file of `workload` at these synth.* values (generated on first use). */
  async file(path: string, values: Record<string, number>): Promise<string> {
    const workload = synthWorkload(path);
    const entries = Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const id = `${workload}${entries.map(([k, v]) => `_${k}=${v}`).join('')}`;
    const known = this.made.get(id);
    if (known) return known;
    this.dir ??= mkdtempSync(join(tmpdir(), 'dmareplay-sweep-'));
    const file = join(this.dir, `${this.made.size}-${workload}.csv`);
    const options = { ...GENERATOR_KEYS, ...Object.fromEntries(entries.filter(([k]) => k in GENERATOR_KEYS)) };
    const knobs = Object.fromEntries(entries.filter(([k]) => !(k in GENERATOR_KEYS)));
    const out = createWriteStream(file);
    await writeSynth(out, workload, { dmas: options.dmas, seed: options.seed, knobs });
    out.end();
    await finished(out);
    this.made.set(id, file);
    return file;
  }

  /** Removes the generated files. */
  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.made.clear();
  }
}

/** Splits `synth.<knob>=v` values (without the prefix) from the rest. */
export function synthValues(point: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(point).filter(([k]) => isSynthKey(k)).map(([k, v]) => [k.slice(SYNTH_KEY_PREFIX.length), v]));
}
