import {ExitCode, OpenledgerError, type OpenledgerErrorOptions} from '../../errors.js'

/** The stored per-record gradients are missing, of another format, damaged, or belong to another adapter. */
export class GradientStoreError extends OpenledgerError {
  override name = 'GradientStoreError'
  constructor(shortMessage: string, options: OpenledgerErrorOptions = {}) {
    super('E_GRADIENT_STORE', shortMessage, {
      exitCode: ExitCode.state,
      metaMessages: ['Compute the per-record gradients again for this adapter (they are written after training).'],
      ...options,
    })
  }
}
