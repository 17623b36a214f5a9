import {type Chain, defineChain} from 'viem'
import {openledger} from 'viem/chains'
import {chainConfig as opStackConfig} from 'viem/op-stack'

export type NetworkName = 'devnet' | 'testnet' | 'mainnet'
export const NETWORK_NAMES: readonly NetworkName[] = ['devnet', 'testnet', 'mainnet']

/** Devnet chain ids: L1 is anvil's familiar 31337; the L2 is "1612" + "1337", distinct from 1612 and 161201. */
export const DEVNET_L1_CHAIN_ID = 31_337
export const DEVNET_L2_CHAIN_ID = 16_121_337

export const openledgerMainnet: Chain = openledger

export const openledgerTestnet: Chain = defineChain({
  id: 161_201,
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
