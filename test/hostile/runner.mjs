// The long-lived process of the hostile-corpus test: loads the built CLI once (oclif config from
// the repository root, as bin/run.js does) and runs the cases its parent sends, one at a time,
// in this process, so several hundred command lines cost one start-up. For each case it sends
// back what a user would see: exit code, stdout, stderr, and this process's peak RSS so far.
// The parent owns the clock: a case that hangs is killed with this whole process.
import { Config } from '@oclif/core';

/** Output kept per stream: the start, and the end (where a late stack trace would be). */
const KEEP = 1 << 20;

const config = await Config.load(process.cwd());
let out = '';
let err = '';
const capture = (into) =>
  function write(chunk, encoding, callback) {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (into === 'out') out = keep(out + text);
    else err = keep(err + text);
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (cb) process.nextTick(cb);
    return true;
  };
const keep = (s) => (s.length > 2 * KEEP ? s.slice(0, KEEP) + '\n[...]\n' + s.slice(-KEEP) : s);
process.stdout.write = capture('out');
process.stderr.write = capture('err');

process.on('message', async (m) => {
  out = '';
  err = '';
  process.exitCode = undefined;
  const started = Date.now();
  let thrown = null;
  try {
    await config.runCommand(m.argv[0], m.argv.slice(1));
  } catch (e) {
    // An error oclif did not handle: what bin/run.js would print is its message (and a stack).
    thrown = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  }
  const code = thrown !== null ? 1 : (process.exitCode ?? 0);
  process.exitCode = undefined;
  process.send({ id: m.id, code, stdout: out, stderr: err + (thrown ?? ''), ms: Date.now() - started, rssKb: process.resourceUsage().maxRSS });
});
process.send({ ready: true });
