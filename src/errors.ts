/**
 * One error type for the whole toolkit. Every failure a user can cause or meet carries a stable
 * `code` (match on it, not on `instanceof`), a one-line `shortMessage` naming the file, line or flag
 * at fault, and the exit code the CLI returns. Library errors (viem, fs) are kept as `cause`.
 */

/** Exit codes: documented in the README and relied on by CI users. */
export const ExitCode = {
  /** The operation failed (chain error, process died, verification failed). */
  failure: 1,
  /** Bad input: a flag, argument, file or config value is wrong. Nothing was changed. */
  usage: 2,
  /** The required local state is missing or not running (no devnet, no such datanet). */
  state: 3,
} as const

export type OpenledgerErrorOptions = {
  /** Extra detail shown after the message in human output and as `details` in JSON. */
  details?: string
  /** Lines of hints printed under the message (how to fix it). */
  metaMessages?: string[]
  cause?: unknown
  exitCode?: number
}

export class OpenledgerError extends Error {
  override name = 'OpenledgerError'
  readonly code: string
  readonly shortMessage: string
  readonly details?: string
  readonly metaMessages?: string[]
  readonly exitCode: number

  constructor(code: string, shortMessage: string, options: OpenledgerErrorOptions = {}) {
    super(shortMessage, options.cause === undefined ? undefined : {cause: options.cause})
    this.code = code
    this.shortMessage = shortMessage
    this.details = options.details
    this.metaMessages = options.metaMessages
    this.exitCode = options.exitCode ?? ExitCode.failure
  }

  /** Walks the cause chain; returns the first error matching `fn`, or the deepest one. */
  walk(fn?: (err: unknown) => boolean): unknown {
    let err: unknown = this
    while (err instanceof Error && err.cause !== undefined) {
      if (fn?.(err)) return err
      err = err.cause
    }
    return fn ? (fn(err) ? err : undefined) : err
  }

  toJSON(): {code: string; name: string; message: string; details?: string; hints?: string[]} {
    return {
      code: this.code,
      name: this.name,
      message: this.shortMessage,
      ...(this.details ? {details: this.details} : {}),
      ...(this.metaMessages?.length ? {hints: this.metaMessages} : {}),
    }
  }
}

/** A flag, argument, file or config value is wrong. */
export class UsageError extends OpenledgerError {
  override name = 'UsageError'
  constructor(shortMessage: string, options: OpenledgerErrorOptions = {}) {
    super('E_USAGE', shortMessage, {exitCode: ExitCode.usage, ...options})
  }
}

/** Reads a short, single-line message from anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof OpenledgerError) return err.shortMessage
  if (err && typeof err === 'object' && 'shortMessage' in err && typeof err.shortMessage === 'string') {
    return err.shortMessage
  }
  if (err instanceof Error) return err.message.split('\n')[0]
  return String(err)
}
