/**
 * Network names and the devnet's chain ids as plain constants, apart from the viem chain objects in
 * networks.ts: flag definitions and the devnet need them on every start, and importing viem (about
 * 1,200 modules with viem/chains) for two numbers would slow every command down.
 */
export type NetworkName = 'devnet' | 'testnet' | 'mainnet'
export const NETWORK_NAMES: readonly NetworkName[] = ['devnet', 'testnet', 'mainnet']

/** Devnet chain ids: L1 is anvil's familiar 31337; the L2 is "1612" + "1337", distinct from 1612 and 161201. */
export const DEVNET_L1_CHAIN_ID = 31_337
export const DEVNET_L2_CHAIN_ID = 16_121_337

/** The public networks' chain ids (their viem chain objects are in networks.ts). */
export const MAINNET_CHAIN_ID = 1612
export const TESTNET_CHAIN_ID = 161_201
