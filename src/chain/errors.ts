import {ExitCode, OpenledgerError, UsageError} from '../errors.js'

export class DevKeyRefusedError extends OpenledgerError {
  override name = 'DevKeyRefusedError'
  constructor(chainId: number, source: string) {
    super('E_DEV_KEY_REFUSED', `refusing a well-known devnet key on chain ${chainId} (${source}): anyone can spend from it`, {
      exitCode: ExitCode.usage,
      metaMessages: ['Use your own key: OPENLEDGER_PRIVATE_KEY, or OPENLEDGER_KEYSTORE with OPENLEDGER_KEYSTORE_PASSWORD.'],
    })
  }
}

export class NoSignerError extends OpenledgerError {
  override name = 'NoSignerError'
  constructor(network: string) {
    super('E_NO_SIGNER', `no key to sign with on ${network}`, {
      exitCode: ExitCode.usage,
      metaMessages: ['Set OPENLEDGER_PRIVATE_KEY, or OPENLEDGER_KEYSTORE and OPENLEDGER_KEYSTORE_PASSWORD (keys are never printed).'],
    })
  }
}

export class UnknownContractError extends OpenledgerError {
  override name = 'UnknownContractError'
  constructor(name: string, where: string) {
    super('E_UNKNOWN_CONTRACT', `no ${name} deployment known on ${where}`, {exitCode: ExitCode.state})
  }
}

export const invalidPrivateKey = (source: string) =>
  new UsageError(`${source} is not a 32-byte hex private key (0x followed by 64 hex digits)`)
