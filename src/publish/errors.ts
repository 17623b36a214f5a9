import {ExitCode, OpenledgerError, UsageError} from '../errors.js'

/** A folder given as a model is not a complete artifact (names the file at fault). */
export class NotAnArtifactError extends UsageError {
  override name = 'NotAnArtifactError'
}

/** A CID, name or block is not in the local content store. */
export class ContentNotFoundError extends OpenledgerError {
  override name = 'ContentNotFoundError'
  constructor(shortMessage: string, metaMessages?: string[]) {
    super('E_CONTENT_NOT_FOUND', shortMessage, {exitCode: ExitCode.state, metaMessages})
  }
}

/** A block read back does not hash to its CID. */
export class CorruptBlockError extends OpenledgerError {
  override name = 'CorruptBlockError'
  constructor(shortMessage: string) {
    super('E_CORRUPT_BLOCK', shortMessage, {
      exitCode: ExitCode.state,
      metaMessages: ['Delete the block file; `openledger publish` stores it again from the folder.'],
    })
  }
}

/** The model's lineage cannot be registered (datanet root not on-chain, draft datanet). */
export class LineageError extends OpenledgerError {
  override name = 'LineageError'
  constructor(shortMessage: string, metaMessages?: string[]) {
    super('E_LINEAGE', shortMessage, {exitCode: ExitCode.usage, metaMessages})
  }
}

/** An IPFS node refused or did not answer. */
export class IpfsApiError extends OpenledgerError {
  override name = 'IpfsApiError'
  constructor(shortMessage: string, cause?: unknown) {
    super('E_IPFS_API', shortMessage, {exitCode: ExitCode.failure, cause})
  }
}

/** `verify` found differences; `details` lists each. */
export class VerifyFailedError extends OpenledgerError {
  override name = 'VerifyFailedError'
  constructor(shortMessage: string, details: string) {
    super('E_VERIFY_FAILED', shortMessage, {exitCode: ExitCode.failure, details})
  }
}

/** A paid inference cannot be settled (balance, receipt). Nothing was paid. */
export class PaymentError extends OpenledgerError {
  override name = 'PaymentError'
  constructor(shortMessage: string, options: {metaMessages?: string[]; cause?: unknown; exitCode?: number} = {}) {
    super('E_PAYMENT', shortMessage, {exitCode: ExitCode.failure, ...options})
  }
}
