import { Args, Flags } from '@oclif/core';
import { createWriteStream } from 'node:fs';
import { readFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DmaCommand } from '../cli/base-command.js';
import { ingestToCsv, parseDeviceMap, type IngestSummary, type TraceFormat } from '../ingest/ingest.js';
import { Diagnostics, formatProblem } from '../trace/diagnostics.js';
import { InputError, UsageError } from '../util/errors.js';
import { Progress } from '../cli/progress.js';
import { stat } from 'node:fs/promises';

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

export default class Ingest extends DmaCommand {
  static override summary = 'Turn a Linux kernel DMA trace (ftrace, trace-cmd, perf script) into canonical CSV';
  static override description = `Reads the iommu:map / iommu:unmap events (all kernels) and dma:dma_map_page / dma_unmap_page /
dma_map_sg / dma_unmap_sg / dma_map_resource events (Linux 6.12+; they name the device), as printed by
/sys/kernel/tracing/trace, \`trace-cmd report\` or \`perf script\` (auto-detected; .gz read transparently).
Unmaps are paired with maps by device and DMA address (or IOVA range, splitting an unmap that covers
several maps), events of several CPUs are put back in time order, unrelated events are counted and
skipped, and unmaps of maps made before the trace started are counted, not emitted. When a file has
both groups, the iommu: events are the same DMAs again and are skipped.

iommu: events name no device: they are attributed to --device (default iommu0). Classes come from
--devices FILE (lines: kernel-name,net|disk[,canonical-name]), else --class, else the device name.
Record a trace with: trace-cmd record -e iommu -e dma -- <workload>; trace-cmd report > t.txt`;
  static override examples = [
    { description: 'A trace-cmd report to canonical CSV', command: '<%= config.bin %> ingest trace.txt -o trace.csv' },
    { description: 'An older kernel (iommu: events only) behind one NIC', command: '<%= config.bin %> ingest trace.txt --device eth0 --class net -o trace.csv' },
    { description: 'Replay a raw kernel trace directly (ingested on the fly)', command: '<%= config.bin %> replay trace.txt' },
  ];
  static override args = { raw: Args.string({ description: 'kernel trace text (.txt, .gz)', required: true }) };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'canonical CSV to write (default: stdout)' }),
    format: Flags.string({ description: 'input format (default: detected)', options: ['auto', 'ftrace', 'perf'], default: 'auto' }),
    device: Flags.string({ description: 'device name for iommu: events (they name none)' }),
    class: Flags.string({ description: 'class of devices the --devices file does not name', options: ['net', 'disk'] }),
    devices: Flags.string({ description: 'mapping file: kernel-name,net|disk[,canonical-name] per line' }),
    guest: Flags.integer({ description: 'guest id for every row', default: 0, min: 0 }),
    strict: Flags.boolean({ description: 'stop with exit code 1 at the first bad line' }),
  };

  async run(): Promise<IngestSummary> {
    const { args, flags } = await this.parse(Ingest);
    if (this.jsonEnabled() && !flags.output) throw new UsageError('--json prints a summary on stdout, where the CSV would go: give -o FILE too');
    let devices;
    if (flags.devices) {
      let text: string;
      try {
        text = await readFile(flags.devices, 'utf8');
      } catch (e) {
        throw new InputError(`${flags.devices}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      devices = parseDeviceMap(text, flags.devices);
    }
    let shown = 0;
    const diagnostics = new Diagnostics(flags.strict, 1000, (p) => {
      if (shown++ < 20) process.stderr.write(formatProblem(p) + '\n');
    });
    const summary = {} as IngestSummary;
    const progress = new Progress();
    progress.start(`ingesting ${args.raw}`, await fileSize(args.raw));
    const chunks = ingestToCsv(args.raw, { format: flags.format as TraceFormat | 'auto', device: flags.device, cls: flags.class as 'net' | 'disk' | undefined, devices, guest: flags.guest, diagnostics, onProgress: (b) => progress.update(b) }, summary);
    const out = flags.output ? (await mkdir(dirname(flags.output), { recursive: true }), createWriteStream(flags.output)) : process.stdout;
    for await (const c of chunks) if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
    if (flags.output) await new Promise<void>((r) => (out as ReturnType<typeof createWriteStream>).end(() => r()));
    progress.done();
    const skipped = Object.entries(summary.skipped).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
    process.stderr.write(
      [
        `${args.raw} (${summary.format}): ${summary.lines} lines, ${summary.events} DMA events -> ${summary.rows} rows (${summary.maps} maps, ${summary.unmaps} unmaps)${flags.output ? ` in ${flags.output}` : ''}`,
        `devices: ${summary.devices.join(', ') || 'none'}; skipped: ${skipped}`,
        `unmatched unmaps (maps before the trace began): ${summary.unmatched_unmaps}; maps live at the end: ${summary.live_maps}; events reordered beyond the window: ${summary.reordered}`,
        ...(diagnostics.total > 0 ? [diagnostics.summary()] : []),
        ...summary.notes.map((n) => `note: ${n}`),
      ].join('\n') + '\n',
    );
    return summary;
  }
}
