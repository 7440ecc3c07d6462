/**
 * What every dmareplay command shares: `--json`, and errors as one clear line on stderr with the
 * exit codes of DESIGN section 6 (0 ok, 1 failure, 2 usage).
 */
import { Command } from '@oclif/core';
import { InputError, UsageError } from '../util/errors.js';

export abstract class DmaCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof UsageError || err instanceof InputError) {
      process.exitCode = err instanceof UsageError ? 2 : 1;
      if (this.jsonEnabled()) this.logJson({ error: { kind: err instanceof UsageError ? 'usage' : 'input', message: err.message } });
      else process.stderr.write(`error: ${err.message}\n`);
      return undefined;
    }
    return super.catch(err as Parameters<Command['catch']>[0]);
  }
}
