/**
 * A stdout that cannot be written (`> /dev/full`, a closed pipe): oclif rethrows any stdout
 * error but EPIPE from an 'error' listener, which ends the process with a stack trace. Here the
 * first error is kept instead, and the command reports it as one line when it ends
 * (`error: stdout: cannot write (no space left on device)`, exit 1). EPIPE stays silent: the
 * reader went away (`| head`), which is not a failure of ours.
 */
let failure: NodeJS.ErrnoException | null = null;
let installed = false;

export function guardStdout(): void {
  if (installed) return;
  installed = true;
  process.stdout.removeAllListeners('error');
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    failure ??= e;
  });
}

/** The first error writing stdout met, unless it was EPIPE; null when none. */
export function stdoutFailure(): NodeJS.ErrnoException | null {
  return failure && failure.code !== 'EPIPE' ? failure : null;
}
