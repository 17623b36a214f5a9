import {type Address, type Chain, defineChain} from 'viem'
import {chainConfig as opStackConfig} from 'viem/op-stack'

import {MAINNET_CHAIN_ID, type NetworkName, TESTNET_CHAIN_ID} from './network-names.js'

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

/**
 * Where each public network's bridge lives: its L1, and the OP Stack portal OPEN is locked in. The
 * output oracle and the token are read from the portal itself (`l2Oracle()`, its SystemConfig's
 * `gasPayingToken()`), so a preset cannot disagree with the chain; a preset address is one
 * OpenLedger publishes, with where.
 */
export type BridgePreset = {
  l1: {chainId: number; name: string; rpcUrl: string}
  /** OptimismPortal proxy on L1; undefined where OpenLedger publishes none. */
  portal?: Address
  source?: string
}

export const BRIDGE_PRESETS: Record<Exclude<NetworkName, 'devnet'>, BridgePreset> = {
  testnet: {
    l1: {chainId: 11_155_111, name: 'Sepolia', rpcUrl: 'https://ethereum-sepolia-rpc.publicnode.com'},
    portal: '0x2241bdE3a85BE011BC4685D54cfE9829b5D66A5E',
    source: 'https://openledger.gitbook.io/openledger/bridging',
  },
  mainnet: {
    l1: {chainId: 1, name: 'Ethereum', rpcUrl: 'https://ethereum-rpc.publicnode.com'},
  },
}
