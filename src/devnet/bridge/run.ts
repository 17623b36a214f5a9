import {join} from 'node:path'

import type {Account, Address} from 'viem'

import {stateDir as defaultStateDir} from '../../store/paths.js'
import type {DevnetState} from '../state.js'
import type {BridgeEndpoints} from './addresses.js'
import {bridgeClients, relayTimeoutMs} from './endpoints.js'
import {localAccount, toEndpoints} from './errors.js'

export type BridgeRunOptions = {stateDir?: string; timeoutMs?: number}

/**
 * What a deposit and a withdrawal both start from: the endpoints, the local signer, clients for both
 * chains, how long to wait for the relayer, the journal's lock, and the key that finds this
 * transfer's pending entry in the journal on a rerun.
 */
export function bridgeRun<K extends 'deposit' | 'withdraw'>(
  kind: K,
  where: BridgeEndpoints | DevnetState,
  account: Account,
  amount: bigint,
  to: Address,
  opts: BridgeRunOptions,
) {
  const endpoints = toEndpoints(where)
  const signer = localAccount(account)
  const dir = opts.stateDir ?? defaultStateDir()
  const {l1, l2} = bridgeClients(endpoints)
  return {
    endpoints,
    signer,
    dir,
    l1,
    l2,
    timeoutMs: opts.timeoutMs ?? relayTimeoutMs(endpoints),
    lockPath: join(dir, 'bridge', 'journal.lock'),
    match: {
      kind,
      from: signer.address,
      to,
      amount: amount.toString(),
      l1ChainId: endpoints.l1.chainId,
      l2ChainId: endpoints.l2.chainId,
    },
  }
}
