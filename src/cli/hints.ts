import {OpenledgerError} from '../errors.js'

/**
 * Domain code describes what is wrong; the command that called it knows which commands and flags
 * fix it. `withHints` adds those lines to the domain errors of the given codes (the error keeps its
 * code, name, message and exit code; the original is its cause).
 */
export async function withHints<T>(work: Promise<T>, hints: Record<string, string[]>): Promise<T> {
  try {
    return await work
  } catch (err) {
    const extra = err instanceof OpenledgerError ? hints[err.code] : undefined
    if (!extra || !(err instanceof OpenledgerError)) throw err
    const hinted = new OpenledgerError(err.code, err.shortMessage, {
      details: err.details,
      metaMessages: [...(err.metaMessages ?? []), ...extra],
      exitCode: err.exitCode,
      cause: err,
    })
    hinted.name = err.name
    throw hinted
  }
}

/** What to run when a datanet is not registered on the selected chain yet. */
export const notOnChain = (name: string) => ({
  E_DATANET_NOT_ON_CHAIN: [
    `Its owner registers it with \`openledger datanet publish ${name}\` or \`openledger datanet create ${name} --onchain\`.`,
  ],
})
