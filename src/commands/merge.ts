import { Args, Flags } from '@oclif/core';
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { DmaCommand } from '../cli/base-command.js';
import { prose } from '../cli/prose.js';
import { mergeShards, type Merged } from '../analysis/merge.js';
import { rowsToArrowIpc } from '../analysis/arrow.js';
import { UsageError } from '../util/errors.js';

export default class Merge extends DmaCommand {
  static override summary = 'Combine the outputs of sharded sweeps into one table';
  static override description = prose`Reads the .arrow (or .json) files written by \`sweep --shard i/N -o ...\` and writes one table with
the rows in the order a single-machine run writes them, so the result is identical to running the
whole sweep on one machine. Overlapping shards are an error; missing tasks are reported.`;
  static override examples = [{ description: 'After a Slurm array or a Kubernetes indexed Job', command: '<%= config.bin %> merge out/shard-*.arrow -o out/sweep.arrow' }];
  static override args = { files: Args.string({ description: 'shard outputs (.arrow, .json)', required: true }) };
  static override strict = false;
  static override flags = { output: Flags.string({ char: 'o', description: 'merged table: .arrow, .csv or .json', required: true }) };

  async run(): Promise<{ rows: number; missing_tasks: number[]; output: string }> {
    const { argv, flags } = await this.parse(Merge);
    const out = flags.output;
    if (!/\.(arrow|csv|json)$/.test(out)) throw new UsageError(`--output '${out}': use a .arrow, .csv or .json file name`);
    const merged: Merged = await mergeShards(argv as string[]);
    await mkdir(dirname(out), { recursive: true });
    if (out.endsWith('.arrow')) await writeFile(out, rowsToArrowIpc(merged.rows));
    else if (out.endsWith('.csv')) await writeFile(out, stringify(merged.rows.map((r) => merged.columns.map((c) => r[c] ?? '')), { header: true, columns: merged.columns }));
    else await writeFile(out, JSON.stringify({ rows: merged.rows }, null, 2) + '\n');
    if (merged.missingTasks.length > 0) {
      process.stderr.write(`warning: tasks missing from the inputs (a shard's output?): ${merged.missingTasks.join(', ')}\n`);
      process.exitCode = 1;
    }
    process.stderr.write(`wrote ${out}: ${merged.rows.length} rows from ${(argv as string[]).length} files\n`);
    return { rows: merged.rows.length, missing_tasks: merged.missingTasks, output: out };
  }
}
