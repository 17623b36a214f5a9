/**
 * Moving the devnet's clocks and blocks: `devnet time advance` and `devnet mine`. Both chains move
 * together, by the same amount (a cooldown on the L2 and a deadline on the L1 pass at once), each
 * through its anvil's own methods (evm_increaseTime, anvil_mine) via viem's test actions.
 */
import type {Hex} from 'viem'

import {anvilClient} from '../chain/anvil.js'
import {devnetChain} from '../chain/networks.js'
import {UsageError} from '../errors.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {requireRunningDevnet} from './control.js'
import {jsonRpc} from './rpc.js'
import type {DevnetChainInfo, DevnetState} from './state.js'

const UNIT_SECONDS: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86_400, w: 604_800}

/**
 * Seconds from a duration: plain seconds (`3600`) or numbers with units s, m, h, d, w, one after
 * another (`7d`, `1h30m`). `name` is the argument named in the error.
 */
export function parseDuration(text: string, name = 'duration'): number {
  const t = text.trim().toLowerCase()
  let seconds = 0
  if (/^\d+$/.test(t)) seconds = Number(t)
  else if (/^(\d+[smhdw])+$/.test(t)) {
    for (const [, n, unit] of t.matchAll(/(\d+)([smhdw])/g)) seconds += Number(n) * UNIT_SECONDS[unit]
  } else {
    throw new UsageError(`${name} "${text}" is not a duration: use seconds (3600) or units s, m, h, d, w (90s, 1h30m, 7d)`)
  }
  if (seconds === 0) throw new UsageError(`${name} "${text}" is zero: give a duration of at least 1 s`)
  if (!Number.isSafeInteger(seconds)) throw new UsageError(`${name} "${text}" is too long`)
  return seconds
}

/** A chain after the change: its latest block and that block's time. */
export type ChainClock = {chainId: number; blockNumber: string; timestamp: string; time: string}

export type AdvanceTimeResult = {seconds: number; l1: ChainClock; l2: ChainClock}
export type MineResult = {blocks: number; l1: ChainClock; l2: ChainClock}

/**
 * The URL of a devnet chain's anvil itself: a private one when the state records it (the public L2
 * port may be a proxy that passes only what clients of a real network could send), else the
 * public one.
 */
export function anvilRpcUrl(info: DevnetChainInfo & {internalRpcUrl?: string}): string {
  return info.internalRpcUrl ?? info.rpcUrl
}

/** One test client per anvil (one when both layers name the same, as some test setups do: moved once). */
function clientsOf(state: DevnetState) {
  const l1 = anvilClient(devnetChain(state.l1.chainId, anvilRpcUrl(state.l1), 'l1'))
  const sameAnvil = anvilRpcUrl(state.l1) === anvilRpcUrl(state.l2)
  return sameAnvil ? [l1] : [l1, anvilClient(devnetChain(state.l2.chainId, anvilRpcUrl(state.l2), 'l2'))]
}

/** Runs `fn` on each anvil, then reads both layers' clocks. */
async function onBoth(state: DevnetState, fn: (client: ReturnType<typeof anvilClient>) => Promise<unknown>) {
  await Promise.all(clientsOf(state).map(fn))
  const [l1, l2] = await Promise.all([clockOf(state.l1), clockOf(state.l2)])
  return {l1, l2}
}

async function clockOf(info: DevnetChainInfo): Promise<ChainClock> {
  const block = await jsonRpc<{number: Hex; timestamp: Hex} | null>(anvilRpcUrl(info), 'eth_getBlockByNumber', ['latest', false])
  if (!block) throw new Error(`${anvilRpcUrl(info)} has no latest block`)
  const timestamp = BigInt(block.timestamp)
  return {
    chainId: info.chainId,
    blockNumber: BigInt(block.number).toString(),
    timestamp: timestamp.toString(),
    time: new Date(Number(timestamp) * 1000).toISOString(),
  }
}

/**
 * Moves both chains' clocks forward by `seconds` and mines a block on each, so the next call (a
 * cooldown check, say) sees the new time.
 */
export async function advanceTime(seconds: number, dir = defaultStateDir()): Promise<AdvanceTimeResult> {
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new UsageError(`cannot advance time by ${seconds} s: give at least 1 s`)
  const state = requireRunningDevnet(dir)
  const clocks = await onBoth(state, async (client) => {
    await client.increaseTime({seconds})
    await client.mine({blocks: 1})
  })
  return {seconds, ...clocks}
}

/** Mines `blocks` blocks on both chains (anvil_mine: one call each). */
export async function mineBlocks(blocks: number, dir = defaultStateDir()): Promise<MineResult> {
  if (!Number.isSafeInteger(blocks) || blocks < 1) throw new UsageError(`cannot mine ${blocks} blocks: give at least 1`)
  const state = requireRunningDevnet(dir)
  return {blocks, ...(await onBoth(state, (client) => client.mine({blocks})))}
}
