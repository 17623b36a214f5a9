import {Command, Interfaces} from '@oclif/core'

import {ExitCode, OpenledgerError, UsageError, messageOf} from '../errors.js'
import {dim, red} from '../ui/color.js'
import {toJsonText} from '../ui/json.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

/**
 * The base of every openledger command.
 *
 * - `--json`: the value `run()` returns is printed as one JSON document on stdout (bigints as decimal
 *   strings, never coloured); human output goes through `this.log` and is hidden under `--json`.
 * - Errors: one line on stderr (`Error: …` naming the flag, file or line), or `{"error":{…}}` on
 *   stdout under `--json`, and the error's exit code (2 bad input, 3 missing state, 1 failure).
 */
export abstract class BaseCommand<T> extends Command {
  static override enableJsonFlag = true

  /** Whether the user can be asked a question: a TTY on stdin and no --json or --yes. */
  protected canPrompt(yes = false): boolean {
    return Boolean(process.stdin.isTTY) && !yes && !this.jsonEnabled()
  }

  /** Progress and hints for people: stderr, and silent under --json. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(message + '\n')
  }

  override logJson(json: unknown): void {
    process.stdout.write(toJsonText(json) + '\n')
  }

  override async catch(err: Error & {oclif?: {exit?: number}; code?: string}): Promise<void> {
    // `this.exit(n)` throws an ExitError: honour the code, print nothing.
    if (err.code === 'EEXIT' && typeof err.oclif?.exit === 'number') {
      process.exitCode = err.oclif.exit
      return
    }
    const error = toOpenledgerError(err)
    process.exitCode = error.exitCode
    if (this.jsonEnabled()) {
      process.stdout.write(toJsonText({error: error.toJSON()}) + '\n')
      return
    }
    process.stderr.write(`${red('Error')}: ${error.shortMessage}\n`)
    if (error.details) process.stderr.write(dim(error.details) + '\n')
    for (const hint of error.metaMessages ?? []) process.stderr.write(dim(hint) + '\n')
    if (process.env.OPENLEDGER_DEBUG && err.stack) process.stderr.write(err.stack + '\n')
  }

  abstract override run(): Promise<T>
}

/** oclif's parse errors become one-line usage errors; anything unknown keeps its first line. */
export function toOpenledgerError(err: unknown): OpenledgerError {
  if (err instanceof OpenledgerError) return err
  const e = err as Error & {oclif?: {exit?: number}; parse?: unknown}
  if (e && typeof e === 'object' && ('parse' in e || e.oclif?.exit === 2)) {
    return new UsageError(firstLine(e.message), {cause: err})
  }
  return new OpenledgerError('E_INTERNAL', messageOf(err), {cause: err, exitCode: ExitCode.failure})
}

/**
 * One line from oclif's parse messages: its multi-error form ("The following errors occurred:" then
 * one line each) becomes those lines joined; "See more help with --help" is dropped.
 */
function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^See more help with/.test(l))
  // oclif says "error" for one and "errors" for several; the lines after it name each flag.
  if (/^The following errors? occurred:$/.test(lines[0] ?? '')) return lines.slice(1).join('; ') || lines[0]
  // "Parsing --lines" alone says which flag, the next line what is wrong with it.
  if (/^Parsing --\S+$/.test(lines[0] ?? '') && lines[1]) return `${lines[0]}: ${lines[1]}`
  // "Missing 1 required arg:" is followed by one line per argument: name, then its description.
  if (/^Missing \d+ required args?:$/.test(lines[0] ?? '') && lines[1])
    return `${lines[0]} ${lines
      .slice(1)
      .map((l) => l.split(/\s+/)[0])
      .join(', ')}`
  return lines[0] ?? text
}
