import type {Address, Hex} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {layerClients} from '../clients.js'
import {viemBridgeChains} from './chain-handles.js'
import {Relayer, type RelayerOptions} from './relayer.js'

/** What the relayer reads from the devnet state: `internalRpcUrl` is the L2 node behind the public proxy. */
export type RelayerState = {
  l1: {chainId: number; rpcUrl: string}
  l2: {chainId: number; rpcUrl: string; internalRpcUrl?: string}
  contracts: Record<string, Address>
}

/**
 * The devnet's relayer over its two chains. It talks to the L2 node directly when the state names
 * a private URL (the public one refuses deposit transactions), else to the public URL.
 */
export function devnetRelayer(state: RelayerState, relayerKey: Hex, options: RelayerOptions = {}): Relayer {
  const chains = viemBridgeChains(
    layerClients('l1', state.l1.chainId, state.l1.rpcUrl),
    layerClients('l2', state.l2.chainId, state.l2.internalRpcUrl ?? state.l2.rpcUrl),
    {portal: state.contracts.OptimismPortal, oracle: state.contracts.L2OutputOracle},
    privateKeyToAccount(relayerKey),
  )
  return new Relayer(chains, options)
}
