/**
 * Contract addresses as this folder's local state records them, read without viem or a chain client:
 * `contracts list` shows them on every call, and building a client (viem, about 1,200 modules)
 * only to read two JSON files would dominate its start-up (npm run bench -- cli).
 *
 * A chain other than the devnet has its addresses where `openledger deploy` wrote them, in Ignition's
 * layout beside the state folder: `deployments/<deployment id>/deployed_addresses.json`, keyed
 * "OpenLedger#<Contract>", with the chain id in the first line of the folder's journal.jsonl.
 */
import {closeSync, openSync, readSync, readdirSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'

import type {Address} from 'viem'

import {type DevnetState, readRunningDevnet} from '../devnet/state.js'
import {readJsonFile} from '../store/atomic.js'
import {stateDir} from '../store/paths.js'
import {MAINNET_CHAIN_ID, type NetworkName, TESTNET_CHAIN_ID} from './network-names.js'

/** `deployments/` of the project whose state folder is `dir`: its sibling, in the project folder. */
export function deploymentsRoot(dir: string): string {
  return join(dirname(dir), 'deployments')
}

/**
 * The deployment folder holding the protocol for `chainId`: of the folders under deployments/ whose
 * journal names that chain, the one whose addresses were written last. A redeployment under a new
 * --deployment-id (after the contracts changed) takes over from the one before it.
 */
export function deploymentDirForChain(dir: string, chainId: number): string | undefined {
  const root = deploymentsRoot(dir)
  let best: {path: string; mtime: number} | undefined
  let entries: string[]
  try {
    entries = readdirSync(root)
  } catch {
    return undefined
  }
  for (const name of entries.sort()) {
    const path = join(root, name)
    const mtime = addressesMtime(path)
    if (mtime === undefined || journalChainId(path) !== chainId) continue
    if (!best || mtime > best.mtime) best = {path, mtime}
  }
  return best?.path
}

/** Name → address for a chain other than the devnet: its deployment's, else the legacy state file. */
export function deployedAddresses(dir: string, chainId: number): Record<string, Address> {
  const deployment = deploymentDirForChain(dir, chainId)
  if (deployment) return contractsOf(readJsonFile<Record<string, Address>>(join(deployment, 'deployed_addresses.json')) ?? {})
  // Before `openledger deploy`, addresses for a public chain were written by hand here.
  return readJsonFile<Record<string, Address>>(join(dir, 'deployments', `${chainId}.json`)) ?? {}
}

/** Ignition's "OpenLedger#Staking" keys as contract names. */
export function contractsOf(deployedAddresses: Record<string, Address>): Record<string, Address> {
  return Object.fromEntries(Object.entries(deployedAddresses).map(([id, a]) => [id.slice(id.indexOf('#') + 1), a]))
}

function addressesMtime(deploymentDir: string): number | undefined {
  try {
    return statSync(join(deploymentDir, 'deployed_addresses.json')).mtimeMs
  } catch {
    return undefined
  }
}

/** The chain id in a journal's DEPLOYMENT_INITIALIZE message, its first line: read without the rest. */
export function journalChainId(deploymentDir: string): number | undefined {
  let fd: number
  try {
    fd = openSync(join(deploymentDir, 'journal.jsonl'), 'r')
  } catch {
    return undefined
  }
  try {
    const buf = Buffer.alloc(512)
    const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8')
    const first = text.split('\n').find((l) => l.trim() !== '')
    const m = first ? /"chainId":\s*(\d+)/.exec(first) : null
    return m && /"DEPLOYMENT_INITIALIZE"/.test(first!) ? Number(m[1]) : undefined
  } finally {
    closeSync(fd)
  }
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
