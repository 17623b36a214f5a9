import {ExitCode, OpenledgerError} from '../errors.js'

/** A base-model folder or adapter cannot be used: a file is missing, malformed, or does not fit the config. */
export class LmModelError extends OpenledgerError {
  override name = 'LmModelError'
  constructor(shortMessage: string, options: {metaMessages?: string[]; cause?: unknown} = {}) {
    super('E_LM_MODEL', shortMessage, {exitCode: ExitCode.usage, ...options})
  }
}

/** Training options or records that cannot produce an adapter (bad hyperparameter, no tokens to learn from). */
export class LmTrainingError extends OpenledgerError {
  override name = 'LmTrainingError'
  constructor(shortMessage: string, options: {metaMessages?: string[]; cause?: unknown} = {}) {
    super('E_LM_TRAINING', shortMessage, {exitCode: ExitCode.usage, ...options})
  }
}
