import { Args, Flags } from '@oclif/core';
import { basename, join } from 'node:path';
import { DmaCommand } from '../cli/base-command.js';
import { stderrLine } from '../cli/terminal-text.js';
import { prose } from '../cli/prose.js';
import { ingestToCsv, parseDeviceMap, type IngestOptions, type IngestSummary, type TraceFormat } from '../ingest/ingest.js';
import { Diagnostics, formatProblem } from '../trace/diagnostics.js';
import { InputError, StrictInputError, UsageError } from '../util/errors.js';
import { Progress, fileSize } from '../cli/progress.js';
import { commitOutput, openOutput, writing } from '../cli/output-file.js';
import { readSmallFile } from '../util/small-file.js';
import { checkNotInput, protectInputs } from '../util/atomic-file.js';
import { makeDirs } from '../util/make-dirs.js';
import { CanonicalCsvReader } from '../trace/csv-reader.js';

export default class Ingest extends DmaCommand {
  static override summary = 'Turn a Linux kernel DMA trace (ftrace, trace-cmd, perf script) into canonical CSV';
  static override description = prose`Reads the iommu:map / iommu:unmap events (all kernels) and dma:dma_map_page /
dma_unmap_page / dma_map_sg / dma_unmap_sg / dma_map_resource events (Linux 6.12+; they name the device), as printed by
/sys/kernel/tracing/trace, \`trace-cmd report\` or \`perf script\` (auto-detected; .gz read transparently).
Events of several CPUs are put back in time order, unrelated events are counted and skipped, and unmaps
of maps made before the trace started are counted, not emitted.

A DMA is one DMA API call. A scatter-gather DMA is written as several map rows, one per segment,
consecutive, with one handle and one time; one unmap row ends it.

dma_map_sg (6.12+) is one DMA whose segments are the list's physical addresses (phys_addrs), handle = its
first DMA address. Their lengths come from the list's iommu:map lines when the file has them (record with
-e iommu -e dma), else from the event: exact when the IOMMU merged nothing, else guessed (each entry to the
end of its page; the summary says so). dma_unmap_sg ends it (paired by device and physical addresses).

With iommu: events only (Linux < 6.12), maps at contiguous IOVAs issued one after another on one CPU and
released by one iommu:unmap are one DMA (handle = first IOVA); maps that only look contiguous but are
released by separate unmaps stay separate. Rows wait until the unmaps decide (at most 65,536 events or 10 s
of trace time; then the run is taken as one DMA and the summary says so).

When a file has both groups, the other iommu: events are the same DMAs again and are skipped.

iommu: events carry no direction and page-rounded sizes: their rows are bidirectional with whole-page
lengths (the summary says what that does to the shadow strategy and the attack matrix). They name no device
either: they are attributed to --device (default iommu0).

Classes come from --devices FILE, else --class, else the device name. FILE is either the capture's sysfs
device list (CSV with the header device,driver,pci_class, e.g. 0000:00:04.0,nvme,0x010802: PCI class 0x01xxxx
is disk, 0x02xxxx net, others get none here; device names stay the kernel's PCI addresses) or a mapping with
lines kernel-name,net|disk[,canonical-name].

Record a trace with: trace-cmd record -e iommu -e dma -- <workload>; trace-cmd report > t.txt`;
  static override examples = [
    { description: 'A trace-cmd report to canonical CSV', command: '<%= config.bin %> ingest trace.txt -o trace.csv' },
    { description: 'An older kernel (iommu: events only) behind one NIC', command: '<%= config.bin %> ingest trace.txt --device eth0 --class net -o trace.csv' },
    { description: "A 6.12+ capture with the guest's device list (PCI class gives net or disk)", command: '<%= config.bin %> ingest capture.txt.gz --devices devices.csv -o capture.csv' },
    { description: 'A binary Arrow trace (the fast input path), from raw text or from canonical CSV', command: '<%= config.bin %> ingest traces/netperf-rx.csv -o netperf-rx.arrow' },
    { description: 'Several captures at once, one CSV each in a directory', command: '<%= config.bin %> ingest traces/capture/*.txt.gz -o out/ingested' },
    { description: 'Several captures at once, one Arrow trace each', command: '<%= config.bin %> ingest traces/capture/*.txt.gz -o out/ingested --to arrow' },
    { description: 'Replay a raw kernel trace directly (ingested on the fly)', command: '<%= config.bin %> replay trace.txt' },
  ];
  static override args = { raw: Args.string({ description: 'kernel trace text files (.txt, .gz)', required: true }) };
  static override strict = false; // several inputs
  static override flags = {
    output: Flags.string({ char: 'o', description: 'canonical CSV to write (default: stdout), or an Arrow trace (.arrow; canonical CSV input is converted too); with several inputs, a directory' }),
    to: Flags.string({ description: 'output format (default: arrow when -o ends in .arrow, else csv); with several inputs, each becomes DIR/<name>.csv or .arrow', options: ['csv', 'arrow'] }),
    format: Flags.string({ description: 'input format (default: detected)', options: ['auto', 'ftrace', 'perf'], default: 'auto' }),
    device: Flags.string({ description: 'device name for iommu: events (they name none)' }),
    class: Flags.string({ description: 'class of devices the --devices file does not name', options: ['net', 'disk'] }),
    devices: Flags.string({ description: "device classes: the capture's sysfs list (header device,driver,pci_class) or lines kernel-name,net|disk[,canonical-name]" }),
    guest: Flags.integer({ description: 'guest id for every row', default: 0, min: 0 }),
    strict: Flags.boolean({ description: 'stop with exit code 1 at the first bad line' }),
  };

  async run(): Promise<{ files: IngestSummary[] }> {
    const { argv, flags } = await this.parse(Ingest);
    const inputs = argv as string[];
    if (inputs.length > 1 && !flags.output) throw new UsageError(`several inputs need -o DIR: each becomes DIR/<name>.${flags.to ?? 'csv'}`);
    if (inputs.length > 1 && flags.output!.endsWith('.arrow') && !flags.to) {
      throw new UsageError(`several inputs: -o ${flags.output} names a directory; to write one Arrow trace per input into it, add --to arrow`);
    }
    const toArrow = flags.to === 'arrow' || (flags.to === undefined && inputs.length === 1 && flags.output?.endsWith('.arrow') === true);
    if (toArrow && !flags.output) throw new UsageError('--to arrow writes a binary file: give -o FILE.arrow');
    if (this.jsonEnabled() && !flags.output) throw new UsageError('--json prints a summary on stdout, where the CSV would go: give -o FILE too');
    // Outputs never land on an input (an -o that names one is a usage error, before any work).
    protectInputs(flags.devices ? [...inputs, flags.devices] : inputs);
    if (flags.output && inputs.length === 1) checkNotInput(flags.output);
    let devices;
    if (flags.devices) devices = parseDeviceMap(readSmallFile(flags.devices, 'device list'), flags.devices);
    let shown = 0;
    const diagnostics = new Diagnostics(flags.strict, 1000, (p) => {
      if (shown++ < 20) stderrLine(formatProblem(p));
    });
    // Several inputs: create the output directory once, so a bad -o fails once, before any work.
    if (inputs.length > 1) await writing(flags.output!, () => makeDirs(flags.output!));
    const summaries: IngestSummary[] = [];
    let failed = false;
    for (const raw of inputs) {
      // One input: -o is the file. Several: -o is a directory of <name>.csv (or .arrow) files.
      const name = basename(raw).replace(toArrow ? /(\.txt|\.csv)?(\.gz)?$/ : /(\.txt)?(\.gz)?$/, '');
      const target = !flags.output ? undefined : inputs.length > 1 ? join(flags.output, `${name}.${toArrow ? 'arrow' : 'csv'}`) : flags.output;
      try {
        summaries.push(await this.ingestOne(raw, target, toArrow, { format: flags.format as TraceFormat | 'auto', device: flags.device, cls: flags.class as 'net' | 'disk' | undefined, devices, guest: flags.guest, diagnostics }));
      } catch (e) {
        if (!(e instanceof InputError) || e instanceof StrictInputError || inputs.length === 1) throw e;
        stderrLine(`error: ${e.message}`);
        failed = true;
      }
    }
    if (failed) process.exitCode = 1;
    return { files: summaries };
  }

  private async ingestOne(raw: string, target: string | undefined, toArrow: boolean, options: IngestOptions): Promise<IngestSummary> {
    const summary = {} as IngestSummary;
    const progress = new Progress();
    progress.start(`ingesting ${raw}`, fileSize(raw));
    if (toArrow && target) {
      // Arrow output: the canonical rows go through the reader (any input: raw, CSV) into batches.
      const diagnostics = options.diagnostics!;
      const canonical = /\.(csv(\.gz)?|arrow)$/.test(raw);
      const reader = canonical ? new CanonicalCsvReader(raw, diagnostics, { onProgress: (b) => progress.update(b) }) : new CanonicalCsvReader(raw, diagnostics, { source: ingestToCsv(raw, { ...options, onProgress: (b) => progress.update(b) }, summary) });
      const { writeArrowTrace } = await import('../trace/arrow-trace.js');
      const rows = await writing(target, () => writeArrowTrace(target, reader.batches(), reader.devices, { makeParents: true }));
      progress.done();
      if (canonical) Object.assign(summary, { file: raw, format: 'canonical', lines: reader.rowsRead + 1, events: reader.rowsRead, rows, dmas: 0, maps: 0, unmaps: 0, skipped: {}, devices: reader.devices.names, unmatched_unmaps: 0, live_maps: 0, reordered: 0, notes: [] });
      stderrLine(`${raw}: ${rows} rows -> ${target} (Arrow)`);
      return summary;
    }
    const chunks = ingestToCsv(raw, { ...options, onProgress: (b) => progress.update(b) }, summary);
    // The CSV goes to a temporary file renamed onto -o at the end: a failure keeps what was there.
    const file = target ? await openOutput(target, { makeParents: true }) : undefined;
    const out = file?.stream ?? process.stdout;
    try {
      for await (const c of chunks) {
        if (out.write(c)) continue;
        // Wait for room, or for a write error (thrown by commitOutput).
        await new Promise<void>((r) => {
          const done = () => (out.off('drain', done), out.off('error', done), out.off('close', done), r());
          out.once('drain', done);
          out.once('error', done);
          out.once('close', done);
        });
        if (out.errored || out.destroyed) break;
      }
      if (file) await commitOutput(file);
    } finally {
      await file?.abort();
    }
    progress.done();
    const skipped = Object.entries(summary.skipped).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
    stderrLine(
      [
        `${raw} (${summary.format}): ${summary.lines} lines, ${summary.events} DMA events -> ${summary.dmas} DMAs, ${summary.rows} rows (${summary.maps} map rows, one per segment; ${summary.unmaps} unmaps)${target ? ` in ${target}` : ''}`,
        `devices: ${summary.devices.join(', ') || 'none'}; skipped: ${skipped}`,
        `unmatched unmaps (maps before the trace began): ${summary.unmatched_unmaps}; DMAs live at the end: ${summary.live_maps}; events reordered beyond the window: ${summary.reordered}`,
        ...(options.diagnostics && options.diagnostics.total > 0 ? [options.diagnostics.summary()] : []),
        ...summary.notes.map((n) => `note: ${n}`),
      ].join('\n'),
    );
    return summary;
  }

}
