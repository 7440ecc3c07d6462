/**
 * An unknown command, reported like every other usage error: one line `error: ...` on stderr
 * and exit 2, or with --json `{"error": {"kind": "usage", ...}}` on stdout. oclif's own message
 * is a multi-line warning box that no script can tell apart from a command's output.
 */
import type { Hook } from '@oclif/core';
import { closestName } from '../util/closest.js';
import { printable } from '../cli/terminal-text.js';

const hook: Hook<'command_not_found'> = async function (opts) {
  const known = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id);
  // oclif joins the words before the first flag with ':' (topics): the command is the first.
  const name = opts.id.split(':')[0];
  const message = `unknown command '${name}'${closestName(name, known)}; see ${opts.config.bin} --help`;
  process.exitCode = 2;
  if ((opts.argv ?? []).includes('--json')) process.stdout.write(`${JSON.stringify({ error: { kind: 'usage', message, file: null } }, null, 2)}\n`);
  else process.stderr.write(`error: ${printable(message)}\n`);
};

export default hook;
