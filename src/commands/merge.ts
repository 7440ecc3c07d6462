import { Args, Flags } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { prose } from '../cli/prose.js';
import type { Merged } from '../runs/merge.js';
import { UsageError } from '../util/errors.js';
import { writeOutput } from '../cli/output-file.js';
import { stderrLine } from '../cli/terminal-text.js';

/** Missing task numbers named in the warning (the rest are counted). */
const SHOWN_MISSING = 20;
import { checkNotInput, protectInputs } from '../util/atomic-file.js';

export default class Merge extends DmaCommand {
  static override summary = 'Combine the outputs of sharded sweeps or replays into one file';
  static override description = prose`Reads the files written by \`sweep --shard i/N -o ...\` or \`replay --shard i/N -o ...\` and writes
the rows in the order a single-machine run writes them: the merged file is byte for byte the one
\`sweep -o\` or \`replay -o\` writes for the whole run in the same format.

Inputs: sweep shards as .arrow, .json or .csv; replay shards as .arrow (a replay .json or .csv has
no task numbers to put the shards back in order). Output: .arrow or .csv from .arrow or .json
shards; .json from sweep .json shards only (the flat rows of .arrow and .csv lack its nested
fields and counters); .csv from .csv shards.

A task found in two inputs (overlapping shards) is an error (exit 1); tasks missing below the last
one present are reported (exit 1, the file is still written). A file that is not a shard output,
or an output format the inputs cannot give, is a usage error (exit 2).`;
  static override examples = [
    { description: 'After a Slurm array or a Kubernetes indexed Job', command: '<%= config.bin %> merge out/shard-*.arrow -o out/sweep.arrow' },
    { description: 'Sweep shards written as JSON, merged into the JSON a single run writes', command: '<%= config.bin %> merge out/shard-*.json -o out/sweep.json' },
  ];
  static override args = { files: Args.string({ description: 'shard outputs: sweep .arrow, .json or .csv; replay .arrow', required: true }) };
  static override strict = false;
  static override flags = {
    output: Flags.string({ char: 'o', description: 'merged file: .arrow or .csv (from .arrow or .json shards), .json (from sweep .json shards), .csv (from .csv shards)', required: true }),
  };

  async run(): Promise<{ rows: number; missing_tasks: number[]; missing_task_count: number; output: string }> {
    const { argv, flags } = await this.parse(Merge);
    const out = flags.output;
    // Arrow (flechette) loads only for the command that needs it.
    const { mergeShards, mergedOutput, mergeFormatOf } = await import('../runs/merge.js');
    const format = mergeFormatOf(out);
    if (format === null) throw new UsageError(`--output '${out}': use a .arrow, .csv or .json file name`);
    protectInputs(argv as string[]);
    checkNotInput(out);
    const merged: Merged = await mergeShards(argv as string[]);
    const bytes = mergedOutput(merged, format);
    await writeOutput(out, bytes, { makeParents: true });
    if (merged.missingTaskCount > 0) {
      // One line whatever the gap: the first few task numbers and how many more.
      const n = merged.missingTaskCount;
      const shown = merged.missingTasks.slice(0, SHOWN_MISSING);
      const more = n - shown.length;
      stderrLine(`warning: ${n.toLocaleString('en-US')} task${n === 1 ? '' : 's'} missing from the inputs (a shard's output?): ${shown.join(', ')}${more > 0 ? ` and ${more.toLocaleString('en-US')} more` : ''}`);
      process.exitCode = 1;
    }
    stderrLine(`wrote ${out}: ${merged.rows.length} rows from ${(argv as string[]).length} files`);
    return { rows: merged.rows.length, missing_tasks: merged.missingTasks, missing_task_count: merged.missingTaskCount, output: out };
  }
}
