/**
 * What every dmareplay command shares: `--json`, and errors as one clear line on stderr with the
 * exit codes of DESIGN section 6 (0 ok, 1 failure, 2 usage). Whatever goes wrong, the user sees
 * `error: <file>: <reason>` (or, with --json, `{"error": {"kind", "message", "file"}}` on
 * stdout), never a stack trace: a bug shows as `error: internal error: ...` (the stack only with
 * DMAREPLAY_DEBUG=1). Text for the terminal is printed with control characters escaped.
 */
import { Command, ux, type Interfaces } from '@oclif/core';
import { InputError, UsageError } from '../util/errors.js';
import { ioReason, isIoError } from './output-file.js';
import { guardStdout, stdoutFailed } from './stdout-guard.js';
import { printable, printableJson } from './terminal-text.js';

/** The flag and argument output types of oclif's parser (not exported by @oclif/core). */
type Output = { [name: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An error as the user is told about it. */
interface Reported {
  kind: 'usage' | 'input' | 'internal';
  message: string;
  file: string | null;
}

export abstract class DmaCommand extends Command {
  static override enableJsonFlag = true;

  protected override async init(): Promise<void> {
    await super.init();
    guardStdout();
    // The last resort for errors raised outside a command's own flow (a stream's late 'error'
    // event, a promise nobody awaited): still one line and exit 1, not a stack trace.
    installLastResort((e) => this.report(toReported(e)));
  }

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

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own exits (help, version) keep their way out.
    if (err.oclif !== undefined && !(err instanceof InputError) && !(err instanceof UsageError)) return super.catch(err as Parameters<Command['catch']>[0]);
    this.report(toReported(err));
    return undefined;
  }

  override log(message = '', ...args: unknown[]): void {
    super.log(typeof message === 'string' ? printable(message) : message, ...args);
  }

  protected override logJson(json: unknown): void {
    // Colours only for a terminal: oclif's colouring tokenizes the text with regular expressions,
    // seconds for the 30 MB of a 200,000-device summary; without colours it is this same text.
    const text = process.stdout.isTTY ? ux.colorizeJson(json, { pretty: true, theme: this.config.theme?.json }) : JSON.stringify(json, null, 2);
    ux.stdout(printableJson(text));
  }

  private report(r: Reported): void {
    process.exitCode = r.kind === 'usage' ? 2 : 1;
    if (this.jsonEnabled() && !stdoutFailed()) {
      try {
        this.logJson({ error: r });
        return;
      } catch {
        // stdout itself is what fails: say it on stderr below
      }
    }
    process.stderr.write(`error: ${printable(r.message)}\n`);
  }
}

/** Any error as one line: ours as they are, an I/O error naming its file, anything else a bug. */
function toReported(e: unknown): Reported {
  if (e instanceof UsageError) return { kind: 'usage', message: e.message, file: e.file };
  if (e instanceof InputError) return { kind: 'input', message: e.message, file: e.file };
  if (isIoError(e)) {
    // An I/O error no command turned into its own line: still one line, naming the file.
    const path = typeof e.path === 'string' ? e.path : null;
    return { kind: 'input', message: path ? `${path}: ${ioReason(e)}` : ioReason(e), file: path };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (process.env.DMAREPLAY_DEBUG) process.stderr.write(`${err.stack}\n`);
  return { kind: 'internal', message: `internal error: ${err.message.split('\n')[0]} (a bug in dmareplay; DMAREPLAY_DEBUG=1 shows where)`, file: null };
}

let lastResort = false;

function installLastResort(report: (e: unknown) => void): void {
  if (lastResort) return;
  lastResort = true;
  const handle = (e: unknown) => {
    // A closed stdout is not worth an error (see stdout-guard.ts).
    if ((e as NodeJS.ErrnoException)?.code === 'EPIPE') return;
    report(e);
    process.exit();
  };
  process.on('uncaughtException', handle);
  process.on('unhandledRejection', handle);
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
