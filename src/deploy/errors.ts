import {ExitCode, OpenledgerError} from '../errors.js'

/** The deployment did not complete; the journal keeps what was done, and a rerun resumes. */
export class DeployFailedError extends OpenledgerError {
  override name = 'DeployFailedError'
  constructor(shortMessage: string, options: {details?: string; cause?: unknown; hints?: string[]} = {}) {
    super('E_DEPLOY_FAILED', shortMessage, {
      exitCode: ExitCode.failure,
      details: options.details,
      cause: options.cause,
      metaMessages: options.hints ?? ['Run the same command again to resume: what was sent is in the journal and is not sent twice.'],
    })
  }
}

/** The account cannot pay for what is left to deploy: refused before anything is sent. */
export class InsufficientFundsError extends OpenledgerError {
  override name = 'InsufficientFundsError'
  constructor(shortMessage: string) {
    super('E_INSUFFICIENT_FUNDS', shortMessage, {exitCode: ExitCode.failure})
  }
}

/** verify-contracts: the explorer refused or could not match a contract. */
export class VerificationFailedError extends OpenledgerError {
  override name = 'VerificationFailedError'
  constructor(shortMessage: string, options: {details?: string; cause?: unknown} = {}) {
    super('E_VERIFICATION_FAILED', shortMessage, {exitCode: ExitCode.failure, ...options})
  }
}
