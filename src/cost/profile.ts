/**
 * Cost profiles: load a named (bundled) or file profile, check it against the parameter schema,
 * apply `--set key=value` overrides, and resolve it to plain numbers once before a run.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readSmallFile } from '../util/small-file.js';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PARAMS, PARAM_KEYS, RENAMED_KEYS, paramSpec, type ResolvedParams } from './schema.js';
import { UsageError, InputError } from '../util/errors.js';
import { closestName } from '../util/closest.js';

export interface ProfileParam {
  value: number;
  /** Where the number comes from (paper, manual, measurement). */
  source?: string;
  /** Why the number is a reasonable guess where no source exists. */
  assumption?: string;
}

export interface CostProfile {
  id: string;
  summary: string;
  params: Record<string, ProfileParam>;
}

export interface ResolvedProfile {
  id: string;
  params: ResolvedParams;
  /** Keys changed by --set, with their new values, in the order given. */
  overrides: [string, number][];
}

const PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'profiles');
export const DEFAULT_PROFILE = 'xen-2008';

/** A profile file is a few KiB; past 1 MiB it is something else. */
const PROFILE_BYTES = 1 << 20;

/** The ids of the bundled profiles, sorted. */
export function listProfileIds(): string[] {
  return readdirSync(profileDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

// The JSON files live beside the sources; tsc does not copy them, so dist/ reads them from src/.
function profileDir(): string {
  if (existsSync(PROFILE_DIR)) return PROFILE_DIR;
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cost', 'profiles');
}

/**
 * Loads a profile by bundled id or by path to a JSON file, and checks it.
 * @throws UsageError for an unknown id (naming the valid ones), InputError for a bad file.
 */
export function loadProfile(nameOrPath: string): CostProfile {
  let path: string;
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) {
    path = nameOrPath;
    if (!existsSync(path)) throw new InputError(`${path}: profile file not found`);
    if (statSync(path).isDirectory()) throw new InputError(`${path}: is a directory, not a profile file`);
  } else {
    const ids = listProfileIds();
    if (!ids.includes(nameOrPath)) {
      throw new UsageError(`unknown profile '${nameOrPath}'${closestName(nameOrPath, ids)}; valid: ${ids.join(', ')}`);
    }
    path = join(profileDir(), `${nameOrPath}.json`);
  }
  let parsed: unknown;
  // Read with a size limit: `-p /dev/zero` is one error line, not a process filling its memory.
  const text = readSmallFile(path, 'profile', PROFILE_BYTES);
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return checkProfile(parsed, path);
}

/** Checks a parsed profile: every schema key present, numeric, sourced; no unknown keys. */
export function checkProfile(parsed: unknown, where: string): CostProfile {
  const p = parsed as Partial<CostProfile>;
  if (!p || typeof p !== 'object' || typeof p.id !== 'string' || !p.params || typeof p.params !== 'object') {
    throw new InputError(`${where}: a profile needs "id" (string) and "params" (object)`);
  }
  for (const key of Object.keys(p.params)) {
    if (RENAMED_KEYS[key]) throw new InputError(`${where}: parameter '${key}' is now ${RENAMED_KEYS[key]}`);
    if (!paramSpec(key)) throw new InputError(`${where}: unknown parameter '${key}'${closestName(key, PARAM_KEYS)}; valid: ${PARAM_KEYS.join(', ')}`);
  }
  for (const spec of PARAMS) {
    const entry = p.params[spec.key];
    if (!entry) throw new InputError(`${where}: parameter '${spec.key}' is missing (${spec.doc}, ${spec.unit})`);
    const err = checkValue(spec.key, entry.value);
    if (err) throw new InputError(`${where}: ${err}`);
    if (!entry.source && !entry.assumption) {
      throw new InputError(`${where}: parameter '${spec.key}' has neither "source" nor "assumption"`);
    }
  }
  return { id: p.id, summary: p.summary ?? '', params: p.params as Record<string, ProfileParam> };
}

function checkValue(key: string, value: unknown): string | null {
  const spec = paramSpec(key)!;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `'${key}' must be a number (${spec.unit})`;
  if (spec.integer && !Number.isInteger(value)) return `'${key}' must be a whole number (${spec.unit})`;
  if (spec.min !== undefined && value < spec.min) return `'${key}' must be >= ${spec.min} (${spec.unit})`;
  if (spec.powerOfTwo && !(value >= 1 && Number.isInteger(Math.log2(value)))) return `'${key}' must be a power of two`;
  if (key === 'direct-map.page_kib' && ![4, 2048, 1048576].includes(value)) return `'${key}' must be 4, 2048 or 1048576 (4 KiB, 2 MiB or 1 GiB IOMMU pages)`;
  if (spec.zeroOrPowerOfTwo && value !== 0 && !Number.isInteger(Math.log2(value))) return `'${key}' must be 0 (none) or a power of two`;
  if (spec.flag && value !== 0 && value !== 1) return `'${key}' must be 0 or 1`;
  // Last, so a value that breaks a rule of its own is told that rule (3 x 2^32 is not a power of two).
  if (spec.max !== undefined && value > spec.max) return `'${key}' must be <= ${spec.max} (${spec.unit})`;
  return null;
}

/**
 * Parses `--set key=value` texts (`flag` names the option they came from in errors: --set, --grid).
 * @throws UsageError naming the valid keys for an unknown key, or the rule a value breaks.
 */
export function parseOverrides(sets: readonly string[], flag = '--set'): [string, number][] {
  const out: [string, number][] = [];
  for (const text of sets) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} '${text}': expected key=value, e.g. ${flag} iotlb.entries=128`);
    const key = text.slice(0, eq).trim();
    const raw = text.slice(eq + 1).trim();
    if (RENAMED_KEYS[key]) throw new UsageError(`${flag}: '${key}' is now ${RENAMED_KEYS[key]}`);
    if (!paramSpec(key)) throw new UsageError(`${flag}: unknown key '${key}'${closestName(key, PARAM_KEYS)}; valid: ${PARAM_KEYS.join(', ')}`);
    const value = Number(raw);
    if (raw === '' || Number.isNaN(value)) throw new UsageError(`${flag} ${key}: '${raw}' is not a number`);
    const err = checkValue(key, value);
    if (err) throw new UsageError(`${flag} ${err}`);
    out.push([key, value]);
  }
  return out;
}

/** Applies overrides and checks cross-parameter rules; the result is what a run reads. */
export function resolveProfile(profile: CostProfile, overrides: [string, number][] = []): ResolvedProfile {
  const params: Record<string, number> = {};
  for (const spec of PARAMS) params[spec.key] = profile.params[spec.key].value;
  for (const [k, v] of overrides) params[k] = v;
  if (params['iotlb.ways'] > params['iotlb.entries']) {
    throw new UsageError(`iotlb.ways (${params['iotlb.ways']}) must not exceed iotlb.entries (${params['iotlb.entries']})`);
  }
  for (const level of ['pde', 'pdpte', 'pml4e']) {
    const entries = params[`iommu.pwc_${level}_entries`];
    if (entries > 0 && params['iommu.pwc_ways'] > entries) throw new UsageError(`iommu.pwc_ways (${params['iommu.pwc_ways']}) must not exceed iommu.pwc_${level}_entries (${entries})`);
  }
  return { id: profile.id, params: Object.freeze(params), overrides };
}

/** Convenience: load + override + resolve. */
export function resolveProfileByName(nameOrPath = DEFAULT_PROFILE, sets: readonly string[] = []): ResolvedProfile {
  return resolveProfile(loadProfile(nameOrPath), parseOverrides(sets));
}
