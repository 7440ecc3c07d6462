/**
 * A stdout that cannot be written (`> /dev/full`, a full disk): oclif rethrows any stdout error
 * but EPIPE from an 'error' listener, which ends the process with a stack trace. Here the first
 * such error is reported at once as one line (`error: stdout: cannot write (no space left on
 * device)`) and the exit code becomes 1; later writes fail quietly. It is reported when it
 * happens, not when the command ends, because the error arrives a tick after the write (and
 * --json output is written after the command's own end). EPIPE stays silent: the reader went
 * away (`| head`), which is not a failure of ours.
 */
import { ioReason } from './output-file.js';

let failure: NodeJS.ErrnoException | null = null;
let installed = false;

export function guardStdout(): void {
  if (installed) return;
  installed = true;
  process.stdout.removeAllListeners('error');
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (failure || e.code === 'EPIPE') return;
    failure = e;
    process.stderr.write(`error: stdout: cannot write (${ioReason(e)})\n`);
    process.exitCode = 1;
  });
}

/** Whether writing stdout has failed (then nothing more is worth writing there). */
export function stdoutFailed(): boolean {
  return failure !== null;
}
