/**
 * Contract addresses as this folder's local state records them, read without viem or a chain client:
 * `contracts list` shows them on every call, and building a client (viem, about 1,200 modules)
 * only to read two JSON files would dominate its start-up (npm run bench -- cli).
 */
import {join} from 'node:path'

import type {Address} from 'viem'

import {type DevnetState, readRunningDevnet} from '../devnet/state.js'
import {readJsonFile} from '../store/atomic.js'
import {stateDir} from '../store/paths.js'
import {MAINNET_CHAIN_ID, type NetworkName, TESTNET_CHAIN_ID} from './network-names.js'

/** `deployments/<chainId>.json` under the state folder: name → address for a public or custom chain. */
export function deployedAddresses(dir: string, chainId: number): Record<string, Address> {
  return readJsonFile<Record<string, Address>>(join(dir, 'deployments', `${chainId}.json`)) ?? {}
}

/** The part of a ChainSelection (context.ts) that says where addresses are recorded. */
export type AddressSelection = {network?: NetworkName; rpcUrl?: string; stateDir?: string}

export type LocalAddresses = {devnet?: DevnetState; contracts: Record<string, Address>}

/**
 * The addresses `resolveChain(sel)` would give, from local files alone; undefined when that needs
 * the chain (an RPC URL, whose chain id only the node knows) or when the devnet is not running.
 */
export function localAddresses(sel: AddressSelection = {}): LocalAddresses | undefined {
  if (sel.rpcUrl) return undefined
  const dir = sel.stateDir ?? stateDir()
  const network = sel.network ?? 'devnet'
  if (network === 'devnet') {
    const devnet = readRunningDevnet(dir)
    return devnet ? {devnet, contracts: devnet.contracts} : undefined
  }
  return {contracts: deployedAddresses(dir, network === 'mainnet' ? MAINNET_CHAIN_ID : TESTNET_CHAIN_ID)}
}
