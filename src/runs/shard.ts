/**
 * Sharding work across machines: task k (in the run's deterministic task order) belongs to
 * shard k mod N. The shard comes from `--shard i/N` (i from 0), else from a batch scheduler's
 * environment: Slurm job arrays (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of
 * SLURM_ARRAY_TASK_COUNT) or a Kubernetes indexed Job (JOB_COMPLETION_INDEX of DMAREPLAY_SHARDS,
 * which the Job's manifest sets to its completion count).
 */
import { UsageError } from '../util/errors.js';

export interface Shard {
  index: number;
  count: number;
  /** Where it came from, for messages. */
  source: string;
}

export function parseShard(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard | null {
  if (spec !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
    if (!m) throw new UsageError(`--shard '${spec}': expected i/N with 0 <= i < N, e.g. --shard 0/4`);
    return check(Number(m[1]), Number(m[2]), '--shard');
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_COUNT !== undefined) {
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    return check(Number(env.SLURM_ARRAY_TASK_ID) - min, Number(env.SLURM_ARRAY_TASK_COUNT), 'Slurm (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)');
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (env.DMAREPLAY_SHARDS === undefined) throw new UsageError('JOB_COMPLETION_INDEX is set but DMAREPLAY_SHARDS is not: set it to the Job\'s completions (docs/cluster.md)');
    return check(Number(env.JOB_COMPLETION_INDEX), Number(env.DMAREPLAY_SHARDS), 'Kubernetes (JOB_COMPLETION_INDEX, DMAREPLAY_SHARDS)');
  }
  return null;
}

function check(index: number, count: number, source: string): Shard {
  if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
    throw new UsageError(`shard ${index}/${count} from ${source}: need whole numbers with 0 <= i < N`);
  }
  return { index, count, source };
}

export function inShard(task: number, shard: Shard | null): boolean {
  return shard === null || task % shard.count === shard.index;
}
