import {rmSync} from 'node:fs'
import {join} from 'node:path'

import type {Address, Hex} from 'viem'

import {CorruptFileError, readJsonFile, writeJsonAtomic} from '../store/atomic.js'
import {stateDir} from '../store/paths.js'
import {isProcessAlive} from '../store/process.js'

export {isProcessAlive}

export type DevnetChainInfo = {rpcUrl: string; chainId: number; port: number; pid: number}

export type DevnetDeployment = {name: string; chain: 'l1' | 'l2'; address: Address}

/**
 * `.openledger/devnet.json`: the one place other commands read RPC URLs, chain ids, contract
 * addresses and dev accounts from. Written atomically by the devnet supervisor once both chains
 * answer and the contracts are deployed; removed when it stops.
 */
export type DevnetState = {
  version: 1
  /** The process that owns the anvils and runs the bridge relayer. */
  supervisorPid: number
  startedAt: string
  l1: DevnetChainInfo
  l2: DevnetChainInfo
  /** Contract name → address (names are unique across both chains). */
  contracts: Record<string, Address>
  deployments: DevnetDeployment[]
  /** The well-known dev accounts, funded on both chains. Devnet only. */
  accounts: Array<{address: Address; privateKey: Hex}>
  roles: {admin: Address; treasury: Address; relayer: Address}
  blockTime?: number
  genesis: {key: string; fromCache: boolean}
  /** In-session snapshot ids (evm_snapshot) by name; files under snapshots/ outlive the session. */
  snapshots: Record<string, {l1: Hex; l2: Hex}>
}

export const devnetDir = (dir = stateDir()) => join(dir, 'devnet')
export const devnetStatePath = (dir = stateDir()) => join(dir, 'devnet.json')

export function readDevnetState(dir = stateDir()): DevnetState | undefined {
  const path = devnetStatePath(dir)
  const state = readJsonFile<DevnetState>(path)
  if (state === undefined) return undefined
  const ok =
    state &&
    typeof state === 'object' &&
    state.version === 1 &&
    typeof state.supervisorPid === 'number' &&
    typeof state.l1?.rpcUrl === 'string' &&
    typeof state.l2?.rpcUrl === 'string' &&
    typeof state.contracts === 'object' &&
    Array.isArray(state.accounts)
  if (!ok) throw new CorruptFileError(path, 'not a devnet state file (fields missing or of the wrong type)')
  state.snapshots ??= {}
  return state
}

export function writeDevnetState(state: DevnetState, dir = stateDir()): void {
  writeJsonAtomic(devnetStatePath(dir), state)
}

export function removeDevnetState(dir = stateDir()): void {
  rmSync(devnetStatePath(dir), {force: true})
}

/** The state of a devnet whose supervisor is alive, or undefined (a stale file is not a devnet). */
export function readRunningDevnet(dir = stateDir()): DevnetState | undefined {
  const state = readDevnetState(dir)
  return state && isProcessAlive(state.supervisorPid) ? state : undefined
}
