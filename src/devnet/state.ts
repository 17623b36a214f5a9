import {rmSync} from 'node:fs'
import {join} from 'node:path'

import type {Address, Hex} from 'viem'

import {CorruptFileError, readJsonFile, writeJsonAtomic} from '../store/atomic.js'
import {stateDir} from '../store/paths.js'
import {isProcessAlive} from '../store/process.js'
import {type ProcessIdentity, isSameProcess} from './process-identity.js'

export {isProcessAlive}

export type DevnetChainInfo = {
  /** The public endpoint: on the L2, the RPC proxy in front of anvil (src/devnet/proxy/). */
  rpcUrl: string
  chainId: number
  port: number
  /** The anvil's pid. */
  pid: number
  /**
   * The anvil's own endpoint, where it differs from rpcUrl (the L2): only the devnet's relayer uses
   * it, to inject deposit transactions the public endpoint refuses.
   */
  internalRpcUrl?: string
  /** The anvil as recorded at start: `devnet stop` signals it only while it is still this process. */
  process?: ProcessIdentity
}

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
  /** The supervisor as recorded at start (pid, start time, command line). */
  supervisor?: ProcessIdentity
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
  /** `resumed`: this session continued the chains a crashed devnet left (src/devnet/recovery.ts). */
  genesis: {key: string; fromCache: boolean; resumed?: {l1BlockNumber: string; l2BlockNumber: string}}
  /** Set when the chains are forks of a live network (`devnet start --fork`). */
  fork?: DevnetFork
  /** In-session snapshot ids (evm_snapshot) by name; files under snapshots/ outlive the session. */
  snapshots: Record<string, {l1: Hex; l2: Hex}>
}

export type DevnetFork = {network: string; l1: {rpcUrl: string; blockNumber: string}; l2: {rpcUrl: string; blockNumber: string}}

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

/**
 * Whether the state's supervisor still runs: the same process that wrote it (start time and command
 * line), not merely a live pid, which may have been given to another process since.
 */
export function isSupervisorAlive(state: DevnetState): boolean {
  return state.supervisor ? isSameProcess(state.supervisor) : isProcessAlive(state.supervisorPid)
}

/** The state of a devnet whose supervisor is alive, or undefined (a stale file is not a devnet). */
export function readRunningDevnet(dir = stateDir()): DevnetState | undefined {
  const state = readDevnetState(dir)
  return state && isSupervisorAlive(state) ? state : undefined
}
