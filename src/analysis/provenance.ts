/**
 * How a results file was made, recorded in it so that two runs can be told apart later: the
 * tool's version, the cost profile and every `--set` override, the resolved strategy options,
 * the seed of generated traces, and each input file's name, size and SHA-256.
 *
 * Deterministic on purpose: no timestamps, no host names, no absolute paths. Inputs are named by
 * their base name (a run made from another directory or machine records the same name); the
 * hash, not the path, says whether two runs read the same bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { PARAMS } from '../cost/schema.js';
import type { ResolvedProfile } from '../cost/profile.js';

export interface InputFile {
  /** Base name of the file as given (or `synth:<workload>` for a generated trace). */
  name: string;
  /** Size in bytes; null for a generated trace or an input that could not be read. */
  bytes: number | null;
  /** SHA-256 of the bytes, hex; null where `bytes` is. */
  sha256: string | null;
}

export interface Provenance {
  tool: 'dmareplay';
  version: string;
  /** The command that wrote the rows (a merge keeps its shards' command). */
  command: string;
  profile: string;
  /** Every --set key=value, in the order given. */
  overrides: string[];
  strategies: string[];
  /** Every strategy option (the profile's `strategy` parameters) with the value used. */
  strategy_options: Record<string, number>;
  /** Seed of generated traces (sweep synth:<workload>); null when every trace is a file. */
  seed: number | null;
  inputs: InputFile[];
}

let version: string | null = null;

/** The package version (dist/ and src/ both sit two levels below package.json). */
export function toolVersion(): string {
  if (version === null) {
    try {
      version = String(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** Name, size and SHA-256 of one input; a generated or unreadable one gets nulls. */
export async function describeInput(path: string): Promise<InputFile> {
  if (path.startsWith('synth:')) return { name: path, bytes: null, sha256: null };
  const name = basename(path);
  try {
    const st = statSync(path);
    if (!st.isFile()) return { name, bytes: null, sha256: null };
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return { name, bytes: st.size, sha256: hash.digest('hex') };
  } catch {
    return { name, bytes: null, sha256: null };
  }
}

export interface ProvenanceOptions {
  command: string;
  profile: ResolvedProfile;
  /** Profile as given: a path to a JSON file is recorded among the inputs. */
  profileArg?: string;
  strategies: readonly string[];
  inputs: readonly string[];
  seed?: number | null;
}

export async function makeProvenance(o: ProvenanceOptions): Promise<Provenance> {
  const files = [...o.inputs];
  if (o.profileArg && (o.profileArg.endsWith('.json') || o.profileArg.includes('/'))) files.push(o.profileArg);
  const inputs: InputFile[] = [];
  for (const f of files) inputs.push(await describeInput(f));
  const strategyOptions: Record<string, number> = {};
  for (const p of PARAMS) if (p.kind === 'strategy') strategyOptions[p.key] = o.profile.params[p.key];
  return {
    tool: 'dmareplay',
    version: toolVersion(),
    command: o.command,
    profile: o.profile.id,
    overrides: o.profile.overrides.map(([k, v]) => `${k}=${v}`),
    strategies: [...o.strategies],
    strategy_options: strategyOptions,
    seed: o.seed ?? null,
    inputs,
  };
}

/** Checks the shape read back from a file; null when it is not a provenance record. */
export function asProvenance(v: unknown): Provenance | null {
  if (typeof v !== 'object' || v === null) return null;
  const p = v as Partial<Provenance>;
  if (p.tool !== 'dmareplay' || typeof p.version !== 'string' || typeof p.profile !== 'string' || !Array.isArray(p.overrides) || !Array.isArray(p.inputs)) return null;
  return p as Provenance;
}

/**
 * How two runs' settings differ, one line each (empty when they agree): tool version, profile,
 * overrides, strategy options, seed, and inputs by name (size and hash).
 */
export function settingsDifferences(a: Provenance | null, b: Provenance | null, labels: [string, string] = ['A', 'B']): string[] {
  const [la, lb] = labels;
  if (!a && !b) return [];
  if (!a || !b) return [`${!a ? la : lb} records no settings (written by an older version, or a .csv): settings not compared`];
  const out: string[] = [];
  const cmp = (what: string, x: unknown, y: unknown) => {
    const [sx, sy] = [JSON.stringify(x), JSON.stringify(y)];
    if (sx !== sy) out.push(`${what}: ${sx} in ${la}, ${sy} in ${lb}`);
  };
  cmp('version', a.version, b.version);
  cmp('command', a.command, b.command);
  cmp('profile', a.profile, b.profile);
  const sets = (p: Provenance) => new Map(p.overrides.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));
  const [sa, sb] = [sets(a), sets(b)];
  for (const k of union(sa.keys(), sb.keys())) {
    if (sa.get(k) === sb.get(k)) continue;
    out.push(`--set ${k}: ${sa.has(k) ? sa.get(k) : 'not set'} in ${la}, ${sb.has(k) ? sb.get(k) : 'not set'} in ${lb}`);
  }
  const [oa, ob] = [a.strategy_options ?? {}, b.strategy_options ?? {}];
  for (const k of union(Object.keys(oa), Object.keys(ob))) {
    // An override already named above says it; a default that differs is a line of its own.
    if (oa[k] === ob[k] || (sa.has(k) || sb.has(k))) continue;
    out.push(`strategy option ${k}: ${oa[k] ?? 'absent'} in ${la}, ${ob[k] ?? 'absent'} in ${lb}`);
  }
  cmp('strategies', a.strategies, b.strategies);
  cmp('seed', a.seed, b.seed);
  const ins = (p: Provenance) => new Map(p.inputs.map((f) => [f.name, f]));
  const [ia, ib] = [ins(a), ins(b)];
  for (const name of union(ia.keys(), ib.keys())) {
    const [x, y] = [ia.get(name), ib.get(name)];
    if (!x) out.push(`input ${name}: only in ${lb}`);
    else if (!y) out.push(`input ${name}: only in ${la}`);
    else if (x.sha256 !== y.sha256) out.push(`input ${name}: different content (${x.bytes ?? '?'} bytes, sha256 ${short(x.sha256)} in ${la}; ${y.bytes ?? '?'} bytes, sha256 ${short(y.sha256)} in ${lb})`);
  }
  return out;
}

function short(h: string | null): string {
  return h ? h.slice(0, 12) : 'unknown';
}

function union<T>(a: Iterable<T>, b: Iterable<T>): T[] {
  return [...new Set([...a, ...b])];
}
