import {type Chain, defineChain} from 'viem'
import {chainConfig as opStackConfig} from 'viem/op-stack'

import {MAINNET_CHAIN_ID, TESTNET_CHAIN_ID} from './network-names.js'

export {DEVNET_L1_CHAIN_ID, DEVNET_L2_CHAIN_ID, NETWORK_NAMES, type NetworkName} from './network-names.js'

/**
 * viem's `openledger` chain, written out: `viem/chains` loads every chain viem knows (about 700
 * modules, 0.1 s) to give us this one. test/chain/networks.test.ts checks it against viem's.
 */
export const openledgerMainnet: Chain = defineChain({
  id: MAINNET_CHAIN_ID,
  name: 'OpenLedger',
  nativeCurrency: {name: 'Open', symbol: 'OPEN', decimals: 18},
  rpcUrls: {default: {http: ['https://rpc.openledger.xyz']}},
  blockExplorers: {default: {name: 'OpenLedger Explorer', url: 'https://scan.openledger.xyz'}},
  testnet: false,
})

export const openledgerTestnet: Chain = defineChain({
  id: TESTNET_CHAIN_ID,
  name: 'OpenLedger Testnet',
  nativeCurrency: {name: 'Open', symbol: 'OPN', decimals: 18},
  rpcUrls: {default: {http: ['https://rpctn.openledger.xyz']}},
  testnet: true,
})

export function devnetChain(chainId: number, rpcUrl: string, layer: 'l1' | 'l2'): Chain {
  return defineChain({
    // The L2 is OP-style: its formatters know deposit transactions (type 0x7e) and L1 fee fields.
    ...(layer === 'l2' ? opStackConfig : {}),
    id: chainId,
    name: layer === 'l1' ? 'openledger devnet L1' : 'openledger devnet L2',
    nativeCurrency: layer === 'l1' ? {name: 'Ether', symbol: 'ETH', decimals: 18} : {name: 'Open', symbol: 'OPEN', decimals: 18},
    rpcUrls: {default: {http: [rpcUrl]}},
    testnet: true,
  })
}
