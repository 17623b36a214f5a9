import {ExitCode, OpenledgerError, UsageError} from '../errors.js'

/** The training data cannot produce a model (empty, one class, fields missing). */
export class TrainingDataError extends OpenledgerError {
  override name = 'TrainingDataError'
  constructor(shortMessage: string, metaMessages?: string[]) {
    super('E_TRAINING_DATA', shortMessage, {exitCode: ExitCode.usage, metaMessages})
  }
}

/** A model artifact folder is missing a file or a file does not parse. */
export class ArtifactError extends OpenledgerError {
  override name = 'ArtifactError'
  constructor(shortMessage: string, cause?: unknown) {
    super('E_ARTIFACT', shortMessage, {exitCode: ExitCode.state, cause})
  }
}

/** The requested execution device cannot be used on this machine. */
export class DeviceUnavailableError extends UsageError {
  override name = 'DeviceUnavailableError'
}

/** An encoder cannot be loaded (not found, no network, unsupported files). */
export class EncoderError extends OpenledgerError {
  override name = 'EncoderError'
  constructor(shortMessage: string, options: {metaMessages?: string[]; cause?: unknown} = {}) {
    super('E_ENCODER', shortMessage, {exitCode: ExitCode.usage, ...options})
  }
}
