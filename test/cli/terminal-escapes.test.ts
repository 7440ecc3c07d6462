/**
 * Control characters from input reach the terminal escaped, never raw (issue 16): a device name
 * or a profile id holding an escape sequence (here one that would set the window title, and one
 * that would clear the screen) is printed as `\x1b]0;...\x07` text by inspect and replay, on
 * stdout and in the problems on stderr.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cli, scratchDir } from '../helpers/cli.js';
import { CANONICAL_HEADER } from '../../src/trace/canonical.js';

const scratch = scratchDir('dmareplay-escapes-');
afterAll(() => scratch.remove());

const TITLE = '\x1b]0;pwned\x07';
const CLEAR = '\x1b[2J';
/** Any C0 control but newline and tab, DEL, or a C1 control. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

const trace = scratch.file(
  'escapes.csv',
  [CANONICAL_HEADER, `0,0,nic${TITLE},net,map,from_device,0x2000,2048,1,`, `10,0,nic${TITLE},net,unmap,,,,1,`, `20,0,nic0,net,map,${CLEAR},0x3000,64,2,`].join('\n') + '\n',
);

describe('escape sequences from input are printed escaped', () => {
  it('given inspect of a trace whose device name sets the window title, then stdout shows it as \\x1b]0;pwned\\x07', () => {
    const r = cli('inspect', trace);
    expect(r.code).toBe(0);
    expect(RAW_CONTROL.test(r.stdout)).toBe(false);
    expect(r.stdout).toMatch(/^nic\\x1b\]0;pwned\\x07\s+net\s/m);
  });

  it('given the problem of a row whose dir clears the screen, then stderr shows it escaped', () => {
    const r = cli('inspect', trace);
    expect(RAW_CONTROL.test(r.stdout + r.stderr)).toBe(false);
    expect(r.stdout).toContain(`${trace}:4: dir '\\x1b[2J' is not one of to_device, from_device, bidirectional`);
    const replay = cli('replay', trace, '-s', 'native');
    expect(RAW_CONTROL.test(replay.stderr)).toBe(false);
    expect(replay.stderr).toContain(`${trace}:4: dir '\\x1b[2J' is not one of to_device, from_device, bidirectional`);
  });

  it('given replay with a profile whose id clears the screen, then its table header shows it escaped', () => {
    const profile = JSON.parse(readFileSync('src/cost/profiles/xen-2008.json', 'utf8'));
    profile.id = `evil${CLEAR}`;
    const p = scratch.file('evil.json', JSON.stringify(profile));
    const r = cli('replay', trace, '-s', 'native', '-p', p);
    expect(r.code).toBe(0);
    expect(RAW_CONTROL.test(r.stdout)).toBe(false);
    expect(r.stdout).toContain(`[profile evil\\x1b[2J]`);
  });

  it('given --json, then the JSON escapes them and parses back to the same name', () => {
    const r = cli('inspect', trace, '--json');
    expect(RAW_CONTROL.test(r.stdout)).toBe(false);
    expect(JSON.parse(r.stdout).devices.map((d: { name: string }) => d.name)).toEqual([`nic${TITLE}`]);
  });
});
