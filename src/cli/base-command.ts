/**
 * What every dmareplay command shares: `--json`, and errors as one clear line on stderr with the
 * exit codes of DESIGN section 6 (0 ok, 1 failure, 2 usage).
 */
import { Command, type Interfaces } from '@oclif/core';
import { InputError, UsageError } from '../util/errors.js';
import { isIoError } from './output-file.js';

/** The flag and argument output types of oclif's parser (not exported by @oclif/core). */
type Output = { [name: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export abstract class DmaCommand extends Command {
  static override enableJsonFlag = true;

  /**
   * oclif's parser reports a bad command line as several lines plus a usage dump (exit 2). Every
   * error out of it becomes one UsageError line: what is wrong, and where the help is.
   */
  protected override async parse<F extends Output, B extends Output, A extends Output>(options?: Interfaces.Input<F, B, A>, argv?: string[]): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } catch (e) {
      this.parsed = true; // it did parse (and failed): no "did not parse its arguments" warning
      if (e instanceof InputError) throw e;
      throw new UsageError(`${parseErrorMessage(e as Error & { args?: { name?: string }[] })}; see ${this.config.bin} ${this.id} --help`);
    }
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (isIoError(err)) {
      // An I/O error no command turned into its own line: still one line, naming the file.
      const reason = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
      const path = (err as NodeJS.ErrnoException).path;
      err = new InputError(path ? `${path}: ${reason}` : reason);
    }
    if (err instanceof UsageError || err instanceof InputError) {
      process.exitCode = err instanceof UsageError ? 2 : 1;
      if (this.jsonEnabled()) this.logJson({ error: { kind: err instanceof UsageError ? 'usage' : 'input', message: err.message } });
      else process.stderr.write(`error: ${err.message}\n`);
      return undefined;
    }
    return super.catch(err as Parameters<Command['catch']>[0]);
  }
}

/**
 * The useful part of one of oclif's parser messages, on one line: no "See more help", no note
 * about flags taking several values, no argument descriptions, no colour.
 */
export function parseErrorMessage(err: Error & { args?: { name?: string }[] }): string {
  // eslint-disable-next-line no-control-regex
  let text = err.message.replace(/\x1b\[[0-9;]*m/g, '');
  if (err.name === 'RequiredArgsError' || err.constructor?.name === 'RequiredArgsError' || /^Missing \d+ required args?/.test(text)) {
    const names = (err.args ?? []).map((a) => a.name).filter(Boolean);
    const n = names.length || Number(/^Missing (\d+)/.exec(text)?.[1] ?? 1);
    return `missing ${n} required argument${n === 1 ? '' : 's'}${names.length ? `: ${names.map((x) => x!.toUpperCase()).join(', ')}` : ''}`;
  }
  text = text
    .replace(/\n*See more help with --help\s*$/, '')
    .replace(/\n\nNote: [\s\S]*$/, '')
    .replace(/^The following errors? occurred:\s*/, '')
    .replace(/^Parsing (--[\w-]+)\s*\n\s*([A-Z](?=[a-z]))?/, (_, flag: string, c?: string) => `${flag}: ${c ? c.toLowerCase() : ''}`)
    .replace(/Missing required flag ([\w-]+)/g, 'missing required flag --$1');
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
  return line.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
}
