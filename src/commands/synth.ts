import { Args, Flags } from '@oclif/core';
import { DmaCommand } from '../cli/base-command.js';
import { stderrLine } from '../cli/terminal-text.js';
import { prose } from '../cli/prose.js';
import { commitOutput, openOutput } from '../cli/output-file.js';
import { WORKLOADS, WORKLOAD_IDS, getWorkload, writeSynth, type SynthSummary } from '../synth/index.js';
import { UsageError } from '../util/errors.js';

const knobHelp = WORKLOADS.map((w) => `  ${w.id}: ${w.summary}\n${w.knobs.map((k) => `      ${k.name}=${k.default} ${k.unit}: ${k.why}`).join('\n')}`).join('\n');

export default class Synth extends DmaCommand {
  static override summary = 'Generate a synthetic DMA trace from a model of a real driver workload';
  static override description = prose`Each workload is a small, documented model of how a Linux driver uses DMA buffers (ring sizes,
TSO fragments, RX refill recycling, page-cache pages, queue depth, rates); see src/synth/. Output is
canonical CSV, streamed (any length in bounded memory). The same workload, options and --seed give
byte-identical output.

Workloads and their knobs (--opt name=value):
${knobHelp}`;
  static override examples = [
    { description: 'A 1 Gb/s receive trace of 20,000 DMAs', command: '<%= config.bin %> synth netperf-rx --dmas 20000 -o rx.csv' },
    { description: 'TX without TSO at 10 Gb/s for 50 ms of trace time', command: '<%= config.bin %> synth netperf-tx --opt tso=0 --rate 10000 --duration-ms 50 -o tx.csv' },
    { description: 'Two guests, NIC and disk at once, to stdout', command: '<%= config.bin %> synth mixed --guests 2 --dmas 5000 --seed 7' },
  ];
  static override args = { workload: Args.string({ description: `one of ${WORKLOAD_IDS.join(', ')}`, required: true }) };
  static override flags = {
    dmas: Flags.integer({ char: 'n', description: 'stop posting after this many DMAs (every DMA in flight then completes); a disk request\'s scatter-gather list is one DMA', min: 1 }),
    'duration-ms': Flags.integer({ description: 'stop posting at this trace time, in milliseconds', min: 1 }),
    guests: Flags.integer({ char: 'g', description: 'guests, each with its own devices', default: 1, min: 1, max: 26 }),
    seed: Flags.integer({ description: 'PRNG seed', default: 1 }),
    rate: Flags.integer({ description: 'network link rate in Mb/s (sets the rate_mbps knob)', min: 1 }),
    opt: Flags.string({ description: 'a model knob, name=value (repeatable; the knobs are listed below)', multiple: true, multipleNonGreedy: true }),
    output: Flags.string({ char: 'o', description: 'write the trace here (default: stdout)' }),
  };

  async run(): Promise<SynthSummary> {
    const { args, flags } = await this.parse(Synth);
    getWorkload(args.workload);
    if (this.jsonEnabled() && !flags.output) throw new UsageError('--json prints a summary on stdout, where the trace would go: give -o FILE too');
    if (flags.dmas === undefined && flags['duration-ms'] === undefined) throw new UsageError('give --dmas N or --duration-ms D to say how long the trace is');
    const knobs: Record<string, number> = {};
    for (const o of flags.opt ?? []) {
      const [name, value] = o.split('=');
      if (!name || value === undefined || value === '' || Number.isNaN(Number(value))) throw new UsageError(`--opt '${o}': expected name=number, e.g. --opt ring=512`);
      knobs[name.trim()] = Number(value);
    }
    const options = { dmas: flags.dmas, durationNs: flags['duration-ms'] !== undefined ? flags['duration-ms'] * 1e6 : undefined, guests: flags.guests, seed: flags.seed, rateMbps: flags.rate, knobs };
    let summary: SynthSummary;
    if (flags.output) {
      const out = await openOutput(flags.output, { makeParents: true });
      try {
        summary = await writeSynth(out.stream, args.workload, options);
        await commitOutput(out);
      } finally {
        await out.abort();
      }
      stderrLine(`wrote ${flags.output}: ${summary.events} events (${summary.dmas} DMAs), ${(summary.duration_ns / 1e6).toFixed(3)} ms, devices ${summary.devices.join(', ')}`);
    } else {
      summary = await writeSynth(process.stdout, args.workload, options);
    }
    return summary;
  }
}
