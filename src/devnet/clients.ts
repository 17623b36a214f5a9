import {
  type Account,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
  createPublicClient,
  createWalletClient,
  http,
} from 'viem'

import {devnetChain} from '../chain/networks.js'

export type LayerClients = {
  chain: Chain
  public: PublicClient<Transport, Chain>
  wallet: (account: Account) => WalletClient<Transport, Chain, Account>
}

/**
 * viem clients for one devnet chain. Anvil mines on every transaction, so receipts are polled every
 * few milliseconds rather than viem's default of seconds.
 */
export function layerClients(layer: 'l1' | 'l2', chainId: number, rpcUrl: string): LayerClients {
  const chain = devnetChain(chainId, rpcUrl, layer)
  const transport = http(rpcUrl, {batch: false, retryCount: 0})
  return {
    chain,
    public: createPublicClient({chain, transport, pollingInterval: 10, cacheTime: 0}),
    wallet: (account) => createWalletClient({account, chain, transport, pollingInterval: 10, cacheTime: 0}),
  }
}
