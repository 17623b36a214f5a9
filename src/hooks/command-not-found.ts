import type {Hook} from '@oclif/core'

import {ExitCode, UsageError} from '../errors.js'
import {dim, red} from '../ui/color.js'
import {toJsonText} from '../ui/json.js'

/**
 * A mistyped command: one line naming it and the nearest command, exit 2 (bad input). It never asks
 * "did you mean …? (Y/n)": a script must not hang on a prompt, and running a guessed command that
 * may sign transactions is not a choice to make for a person either.
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  const sep = opts.config.topicSeparator
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const typed = opts.id.split(':').join(sep)
  const suggestion = nearestCommand(opts.id, opts.argv ?? [], visible)
  const error = new UsageError(`"${typed}" is not an ${opts.config.bin} command`, {
    metaMessages: [
      ...(suggestion ? [`Did you mean \`${opts.config.bin} ${suggestion.split(':').join(sep)}\`?`] : []),
      `\`${opts.config.bin} help\` lists the commands.`,
    ],
  })
  process.exitCode = ExitCode.usage
  if ((opts.argv ?? []).includes('--json')) {
    process.stdout.write(toJsonText({error: {...error.toJSON(), code: 'E_UNKNOWN_COMMAND'}}) + '\n')
    return
  }
  process.stderr.write(`${red('Error')}: ${error.shortMessage}\n`)
  for (const hint of error.metaMessages ?? []) process.stderr.write(dim(hint) + '\n')
}

export default hook

/**
 * The command id closest to what was typed, by edit distance, or none when nothing is close (more
 * than a third of the id would have to change). With spaces as separators oclif cannot tell a
 * mistyped topic's subcommand and arguments from the command (`datanett show tickets` arrives as one
 * id, or as an id and arguments), so each leading run of words is tried.
 */
export function nearestCommand(id: string, argv: readonly string[], ids: readonly string[]): string | undefined {
  const words = [...id.split(':'), ...argv.filter((a) => !a.startsWith('-'))]
  const candidates = words.slice(0, 3).map((_, i) => words.slice(0, i + 1).join(':'))
  let best: {id: string; score: number} | undefined
  for (const typed of candidates) {
    for (const known of ids) {
      const d = editDistance(typed, known)
      const score = d / Math.max(typed.length, known.length)
      if (d <= Math.max(2, Math.ceil(known.length / 3)) && (!best || score < best.score)) best = {id: known, score}
    }
  }
  return best?.id
}

/** Levenshtein distance (insert, delete, substitute), two rows: ids are a few dozen characters. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]
}
