import { Args, Flags } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { prose } from '../cli/prose.js';
import { inspectTrace, type TraceSummary } from '../analysis/inspect.js';
import { textTable, formatCell } from '../analysis/text-table.js';
import { Diagnostics } from '../trace/diagnostics.js';
import { Progress, fileSize } from '../cli/progress.js';

export default class Inspect extends DmaCommand {
  static override summary = 'Summarize a trace: events, duration, devices, guests, buffer sizes, problems';
  static override description = prose`Reads the trace once, with the same checks the replay applies, and prints what it holds. Problems
are listed as file:line: reason; the summary counts them by kind.`;
  static override examples = [
    { description: 'Summarize a bundled trace', command: '<%= config.bin %> inspect traces/scenario-rx-recycle.csv' },
    { description: 'Machine-readable summary', command: '<%= config.bin %> inspect traces/scenario-disk-sg.csv --json' },
  ];
  static override args = { trace: Args.string({ description: 'a trace file: canonical CSV (.csv, .csv.gz), Arrow (.arrow) or raw kernel text (ingested on the fly)', required: true }) };
  static override flags = {
    strict: Flags.boolean({ description: 'stop with exit code 1 at the first rejected input line' }),
  };

  async run(): Promise<TraceSummary> {
    const { args, flags } = await this.parse(Inspect);
    const diagnostics = new Diagnostics(flags.strict);
    const progress = new Progress();
    progress.start(`reading ${args.trace}`, fileSize(args.trace));
    const s = await inspectTrace(args.trace, { diagnostics, onProgress: (b) => progress.update(b) });
    progress.done();
    if (this.jsonEnabled()) return s;
    const n = (x: number) => formatCell(x);
    /** A count and its noun, singular for exactly 1: `1 map`, `2 maps`. */
    const count = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;
    this.log(`${s.trace}`);
    this.log(`  events        ${n(s.events)} (${count(s.maps, 'DMA')} mapped, ${count(s.unmaps, 'unmap')}, ${count(s.accesses, 'access', 'accesses')}) from ${count(s.rows, 'row')}`);
    if (s.scatter_gather_dmas > 0) this.log(`                ${count(s.scatter_gather_dmas, 'scatter-gather DMA')}: ${count(s.segments, 'segment')} in all`);
    if (s.accesses_to_unmapped_handles > 0) this.log(`                ${count(s.accesses_to_unmapped_handles, 'access names', 'accesses name')} a handle not mapped at the time: replayed as raw device addresses`);
    this.log(`  duration      ${formatDuration(s.duration_ns)}${s.first_ts_ns !== null ? ` (ts ${s.first_ts_ns} .. ${s.last_ts_ns} ns)` : ''}`);
    this.log(`  guests        ${s.guests.length ? s.guests.join(', ') : '-'}`);
    this.log(`  units         ${s.units ? n(s.units) : 'none (no unit column values)'}`);
    this.log(`  buffers       ${count(s.pages_mapped, 'page')} mapped, ${count(s.multi_page_buffers, 'DMA spans', 'DMAs span')} several pages, peak ${n(s.peak_in_flight)} in flight, ${n(s.live_at_end)} live at the end`);
    this.log('');
    this.log(
      textTable(s.devices, [
        { title: 'device', value: (d) => d.name },
        { title: 'class', value: (d) => d.class },
        { title: 'DMAs', value: (d) => d.maps },
        { title: 'bytes', value: (d) => d.bytes },
        { title: 'to_device', value: (d) => d.by_dir.to_device },
        { title: 'from_device', value: (d) => d.by_dir.from_device },
        { title: 'bidir', value: (d) => d.by_dir.bidirectional },
        { title: 'peak TX/disk q', value: (d) => d.peak_queue.tx_or_disk },
        { title: 'peak RX q', value: (d) => (d.class === 'net' ? d.peak_queue.rx : null) },
      ]),
    );
    this.log('');
    this.log('DMA sizes (all segments)');
    const total = s.buffer_sizes.reduce((a, b) => a + b.count, 0);
    let lower = 0;
    for (const b of s.buffer_sizes) {
      const label = b.le_bytes === null ? `> ${formatBytes(lower)}` : `${formatBytes(lower + (lower ? 1 : 0))} - ${formatBytes(b.le_bytes)}`;
      if (b.count > 0) this.log(`  ${label.padEnd(20)} ${String(b.count).padStart(9)}  ${'#'.repeat(Math.max(1, Math.round((b.count / total) * 40)))}`);
      if (b.le_bytes !== null) lower = b.le_bytes;
    }
    this.log('');
    if (s.problems.total === 0) this.log('problems      none');
    else {
      this.log(`problems      ${s.problems.total}: ${Object.entries(s.problems.by_kind).map(([k, v]) => `${v} ${k}`).join(', ')}`);
      for (const p of s.problems.first) this.log(`  ${p}`);
    }
    for (const w of s.warnings) this.log(`warning: ${w}`);
    for (const note of s.notes) this.log(`note: ${note}`);
    return s;
  }
}

function formatDuration(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} us`;
  return `${ns} ns`;
}

function formatBytes(b: number): string {
  if (b >= 1048576 && b % 1048576 === 0) return `${b / 1048576} MiB`;
  if (b >= 1024 && b % 1024 === 0) return `${b / 1024} KiB`;
  return `${b} B`;
}
