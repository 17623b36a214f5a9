import type {Account, Address, LocalAccount} from 'viem'

import {formatOpen} from '../../chain/amounts.js'
import {ExitCode, OpenledgerError, UsageError} from '../../errors.js'
import {poll} from '../../util/poll.js'
import type {DevnetState} from '../state.js'
import type {BridgeEndpoints} from './addresses.js'
import {devnetBridgeEndpoints} from './endpoints.js'

export class InsufficientBalanceError extends OpenledgerError {
  override name = 'InsufficientBalanceError'
  constructor(what: string, address: Address, balance: bigint, needed: bigint) {
    super('E_INSUFFICIENT_BALANCE', `${what} of ${formatOpen(needed)} exceeds the balance of ${address} (${formatOpen(balance)})`, {
      exitCode: ExitCode.failure,
    })
  }
}

export class RelayTimeoutError extends OpenledgerError {
  override name = 'RelayTimeoutError'
  constructor(what: string, ms: number) {
    super('E_RELAY_TIMEOUT', `${what} was not relayed within ${ms} ms`, {
      metaMessages: ['`openledger devnet logs` shows the relayer; re-running the same command resumes waiting, it does not send again.'],
    })
  }
}

/** Polls until the relayer's side of a transfer shows up; a relay that never comes is a RelayTimeoutError. */
export const waitForRelay = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 25): Promise<T> =>
  poll(probe, {timeoutMs, intervalMs, onTimeout: () => new RelayTimeoutError(what, timeoutMs)})

/**
 * The bridge signs each transaction itself before journalling it, which needs the key in this
 * process (a private key or keystore: every signer src/chain/signer.ts gives is one).
 */
export function localAccount(account: Account): LocalAccount {
  if (account.type !== 'local') throw new UsageError('the bridge needs a local signer (OPENLEDGER_PRIVATE_KEY or OPENLEDGER_KEYSTORE)')
  return account
}

export function toEndpoints(where: BridgeEndpoints | DevnetState): BridgeEndpoints {
  return 'portal' in where ? where : devnetBridgeEndpoints(where)
}
