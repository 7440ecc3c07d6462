/**
 * `figures` says what `replay` says about its traces: the replay's warnings go to stderr as
 * `warning: ...` lines and into a short, escaped warnings section of report.html.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, scratchDir } from '../helpers/cli.js';

const scratch = scratchDir('dmareplay-figwarn-');
afterAll(() => scratch.remove());

describe('figures of a trace that leaves a buffer mapped at its end', () => {
  // A file name with markup in it: the warning quotes it, the report must show it as text.
  const trace = scratch.file('live<b>.csv', 'ts_ns,guest,device,class,op,dir,addr,len,handle,unit\n0,0,nic0,net,map,from_device,0x2000,2048,1,\n10,0,nic0,net,map,from_device,0x3000,2048,2,\n20,0,nic0,net,unmap,,,,1,\n');
  const out = join(scratch.dir, 'figs');
  let r: ReturnType<typeof cli>;
  beforeAll(() => {
    r = cli('figures', trace, '-o', out);
  });

  it('given figures, then the live-buffer warning on stderr, as replay prints it', () => {
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`warning: ${trace}: 1 buffer was still mapped at the end of the trace (reported as live_at_end)\n`);
  });

  it('given the report, then a warnings section with the warning escaped', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`<section id="warnings">\n<h2>Warnings</h2>\n<ul class="note"><li>${trace.replace('<b>', '&lt;b&gt;')}: 1 buffer was still mapped at the end of the trace (reported as live_at_end)</li></ul>\n</section>`);
    expect(html).not.toContain('live<b>');
  });
});
