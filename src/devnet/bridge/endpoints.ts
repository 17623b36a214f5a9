import {type Chain, createPublicClient, createWalletClient, defineChain, http} from 'viem'
import {chainConfig as opStackConfig} from 'viem/op-stack'

import type {LayerClients} from '../clients.js'
import type {DevnetState} from '../state.js'
import {type BridgeEndpoints, L2_TO_L1_MESSAGE_PASSER, MULTICALL3} from './addresses.js'

/** The bridge endpoints of a running devnet, read from its state file. */
export function devnetBridgeEndpoints(state: DevnetState): BridgeEndpoints {
  return {
    l1: {chainId: state.l1.chainId, rpcUrl: state.l1.rpcUrl},
    l2: {chainId: state.l2.chainId, rpcUrl: state.l2.rpcUrl},
    token: state.contracts.OpenToken,
    portal: state.contracts.OptimismPortal,
    oracle: state.contracts.L2OutputOracle,
  }
}

export type BridgeClients = {l1: LayerClients; l2: LayerClients}

/**
 * viem clients for both sides of a bridge. The chain objects carry the bridge's addresses the way
 * viem's own OP Stack chains do (`sourceId`, `contracts.portal[l1]`, `contracts.l2OutputOracle[l1]`,
 * Multicall3 on L1), so viem's withdrawal actions find them without per-call overrides.
 */
export function bridgeClients(endpoints: BridgeEndpoints, pollingInterval?: number): BridgeClients {
  const l1Chain: Chain = defineChain({
    id: endpoints.l1.chainId,
    name: `L1 (chain ${endpoints.l1.chainId})`,
    nativeCurrency: {name: 'Ether', symbol: 'ETH', decimals: 18},
    rpcUrls: {default: {http: [endpoints.l1.rpcUrl]}},
    contracts: {multicall3: {address: MULTICALL3}},
  })
  const l2Chain: Chain = defineChain({
    ...opStackConfig,
    id: endpoints.l2.chainId,
    name: `OpenLedger L2 (chain ${endpoints.l2.chainId})`,
    nativeCurrency: {name: 'Open', symbol: 'OPEN', decimals: 18},
    rpcUrls: {default: {http: [endpoints.l2.rpcUrl]}},
    sourceId: endpoints.l1.chainId,
    contracts: {
      ...opStackConfig.contracts,
      l2ToL1MessagePasser: {address: L2_TO_L1_MESSAGE_PASSER},
      portal: {[endpoints.l1.chainId]: {address: endpoints.portal}},
      l2OutputOracle: {[endpoints.l1.chainId]: {address: endpoints.oracle}},
    },
  })
  const layer = (chain: Chain): LayerClients => {
    const url = chain.rpcUrls.default.http[0]
    const transport = http(url, {batch: false, retryCount: isLoopback(url) ? 0 : 3})
    const interval = pollingInterval ?? defaultPollingInterval(url)
    return {
      chain,
      public: createPublicClient({chain, transport, pollingInterval: interval, cacheTime: 0}),
      wallet: (account) => createWalletClient({account, chain, transport, pollingInterval: interval, cacheTime: 0}),
    }
  }
  return {l1: layer(l1Chain), l2: layer(l2Chain)}
}

const isLoopback = (url: string) => /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|\/|$)/.test(url)

/**
 * How often to ask for receipts and relays: a local anvil mines at once and answers in well under a
 * millisecond, so every few milliseconds; a public node (2 s L2 blocks, 12 s L1 blocks, rate
 * limits) every second.
 */
function defaultPollingInterval(url: string): number {
  return isLoopback(url) ? 5 : 1_000
}

/**
 * How long a command waits for the other side (a deposit credited, an output proposed) before it
 * stops and says a rerun resumes: seconds on a local devnet, minutes where a real sequencer waits
 * for L1 confirmations and a proposer publishes outputs every hour or so.
 */
export function relayTimeoutMs(endpoints: BridgeEndpoints): number {
  return isLoopback(endpoints.l1.rpcUrl) && isLoopback(endpoints.l2.rpcUrl) ? 30_000 : 15 * 60_000
}
