import {ExitCode, OpenledgerError, type OpenledgerErrorOptions} from '../errors.js'

/** Bad attribution input: shapes that disagree, labels out of range, an empty text, non-finite numbers. */
export class AttributionInputError extends OpenledgerError {
  override name = 'AttributionInputError'
  constructor(shortMessage: string, options: OpenledgerErrorOptions = {}) {
    super('E_ATTRIBUTION_INPUT', shortMessage, {exitCode: ExitCode.usage, ...options})
  }
}

/** The model artifact lacks what the method needs (checkpoints for TracIn). */
export class NoCheckpointsError extends OpenledgerError {
  override name = 'NoCheckpointsError'
  constructor(what = 'the model') {
    super('E_ATTRIBUTION_NO_CHECKPOINTS', `${what} has no checkpoints; TracIn sums over per-epoch checkpoints`, {
      exitCode: ExitCode.state,
      metaMessages: ['Retrain with `openledger train` (it saves a checkpoint each epoch), or use `--method if`.'],
    })
  }
}

/** A span index file is missing, from another version of the format, or damaged. */
export class SpanIndexError extends OpenledgerError {
  override name = 'SpanIndexError'
  constructor(shortMessage: string, options: OpenledgerErrorOptions = {}) {
    super('E_SPAN_INDEX', shortMessage, {
      exitCode: ExitCode.state,
      metaMessages: ['Build the index again for this datanet version.'],
      ...options,
    })
  }
}

/** The exact method would need more memory than allowed for this model's dimensions. */
export class AttributionTooLargeError extends OpenledgerError {
  override name = 'AttributionTooLargeError'
  constructor(shortMessage: string, options: OpenledgerErrorOptions = {}) {
    super('E_ATTRIBUTION_TOO_LARGE', shortMessage, {exitCode: ExitCode.usage, ...options})
  }
}

/**
 * The method cannot answer from a model state read in chunks (too large to hold), and holding it
 * is what the stream avoids: one line naming the method, the suggestion in `hint`.
 */
export class NotStreamableError extends OpenledgerError {
  override name = 'NotStreamableError'
  constructor(shortMessage: string, hint: string) {
    super('E_ATTRIBUTION_NOT_STREAMABLE', shortMessage, {exitCode: ExitCode.usage, metaMessages: [hint]})
  }
}
