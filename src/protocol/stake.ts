/**
 * Staking OPEN as a validator or an AI agent: deposit, status, the two-step withdrawal, slashing.
 * Every function takes a chain context from src/chain/context.ts and returns plain data (wei as
 * bigint, times as unix seconds plus ISO text) for commands to render.
 */
import {type Address, type Hex, parseEventLogs} from 'viem'

import type {ChainContext, SignerContext} from '../chain/context.js'
import {Staking} from '../contracts/artifacts/index.js'
import {UsageError} from '../errors.js'
import {formatOpen} from '../chain/amounts.js'
import {readContract, writeContract} from '../chain/contract.js'
import {type DecodedRevert, ProtocolError} from '../chain/revert.js'

export const STAKE_ROLES = ['validator', 'agent'] as const
export type StakeRole = (typeof STAKE_ROLES)[number]

/** The Staking contract's `Role` enum, in order. */
const roleIndex = (role: StakeRole) => STAKE_ROLES.indexOf(role)

export type StakeStatus = {
  address: Address
  /** Active stake in wei: earns rewards, can be slashed. */
  staked: bigint
  /** null when the address has nothing staked or pending. */
  role: StakeRole | null
  /** Stake in cooldown, in wei: earns nothing, can still be slashed. */
  pendingWithdrawal: bigint
  /** Unix seconds when the pending withdrawal may be completed; null when none is pending. */
  unlockTime: bigint | null
  unlocksAt: string | null
  /** Whether `completeWithdrawal` would pay out now (by the latest block's time). */
  withdrawable: boolean
  /** Staking rewards claimable now, in wei. */
  rewards: bigint
  /** The contract's cooldown, in seconds. */
  cooldownSeconds: bigint
}

export async function stakeStatus(ctx: ChainContext, params: {address: Address}): Promise<StakeStatus> {
  const [[staked, role, pendingWithdrawal, unlockTime], rewards, cooldown, block] = await Promise.all([
    readContract(ctx, 'Staking', 'stakeOf', [params.address]),
    readContract(ctx, 'Staking', 'rewardsOf', [params.address]),
    readContract(ctx, 'Staking', 'cooldown'),
    ctx.publicClient.getBlock(),
  ])
  const pending = pendingWithdrawal > 0n
  return {
    address: params.address,
    staked,
    role: staked + pendingWithdrawal > 0n ? STAKE_ROLES[role] : null,
    pendingWithdrawal,
    unlockTime: pending ? unlockTime : null,
    unlocksAt: pending ? isoTime(unlockTime) : null,
    withdrawable: pending && block.timestamp >= unlockTime,
    rewards,
    cooldownSeconds: BigInt(cooldown),
  }
}

export type DepositResult = {transactionHash: Hex; address: Address; role: StakeRole; amount: bigint; staked: bigint}

export async function deposit(ctx: SignerContext, params: {amount: bigint; role: StakeRole}): Promise<DepositResult> {
  const {receipt} = await writeContract(ctx, {
    contract: 'Staking',
    functionName: 'stake',
    args: [roleIndex(params.role)],
    value: params.amount,
    explain: explainStakingRevert(ctx.account.address),
  })
  const [event] = parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'Staked'})
  return {
    transactionHash: receipt.transactionHash,
    address: ctx.account.address,
    role: params.role,
    amount: params.amount,
    staked: event.args.newStake,
  }
}

export type WithdrawalRequestResult = {
  transactionHash: Hex
  address: Address
  amount: bigint
  /** Everything now in cooldown (earlier requests included: a new request restarts the cooldown). */
  pendingWithdrawal: bigint
  unlockTime: bigint
  unlocksAt: string
}

/** Starts the cooldown for `amount` wei of active stake; the whole active stake when omitted. */
export async function requestWithdrawal(ctx: SignerContext, params: {amount?: bigint} = {}): Promise<WithdrawalRequestResult> {
  let amount = params.amount
  if (amount === undefined) {
    const [staked] = await readContract(ctx, 'Staking', 'stakeOf', [ctx.account.address])
    if (staked === 0n) throw new ProtocolError('E_NOTHING_STAKED', `account ${ctx.account.address} has no active stake to withdraw`)
    amount = staked
  }
  const {receipt} = await writeContract(ctx, {
    contract: 'Staking',
    functionName: 'requestWithdrawal',
    args: [amount],
    explain: explainStakingRevert(ctx.account.address),
  })
  const [event] = parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'WithdrawalRequested'})
  return {
    transactionHash: receipt.transactionHash,
    address: ctx.account.address,
    amount,
    pendingWithdrawal: event.args.pendingWithdrawal,
    unlockTime: event.args.unlockTime,
    unlocksAt: isoTime(event.args.unlockTime),
  }
}

export type WithdrawalCompleteResult = {transactionHash: Hex; address: Address; amount: bigint}

/** Pays out the pending withdrawal; a clear error naming the unlock time while in cooldown. */
export async function completeWithdrawal(ctx: SignerContext): Promise<WithdrawalCompleteResult> {
  const [, , pending] = await readContract(ctx, 'Staking', 'stakeOf', [ctx.account.address])
  const now = (await ctx.publicClient.getBlock()).timestamp
  const {receipt} = await writeContract(ctx, {
    contract: 'Staking',
    functionName: 'completeWithdrawal',
    explain: explainStakingRevert(ctx.account.address, {pending, now}),
  })
  const [event] = parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'WithdrawalCompleted'})
  return {transactionHash: receipt.transactionHash, address: ctx.account.address, amount: event.args.amount}
}

export type SlashResult = {
  transactionHash: Hex
  staker: Address
  amount: bigint
  evidence: string
  slasher: Address
  /** Where the slashed OPEN went. */
  treasury: Address
  /** The staker's active stake after the slash, in wei. */
  staked: bigint
  pendingWithdrawal: bigint
}

export async function slash(ctx: SignerContext, params: {staker: Address; amount: bigint; evidence: string}): Promise<SlashResult> {
  if (params.evidence.trim() === '') throw new UsageError('the slash evidence is empty: give a hash or URI of what justifies the slash')
  const {receipt} = await writeContract(ctx, {
    contract: 'Staking',
    functionName: 'slash',
    args: [params.staker, params.amount, params.evidence],
    explain: explainStakingRevert(params.staker),
  })
  const [[staked, , pendingWithdrawal], treasury] = await Promise.all([
    readContract(ctx, 'Staking', 'stakeOf', [params.staker]),
    readContract(ctx, 'Staking', 'treasury'),
  ])
  return {
    transactionHash: receipt.transactionHash,
    staker: params.staker,
    amount: params.amount,
    evidence: params.evidence,
    slasher: ctx.account.address,
    treasury,
    staked,
    pendingWithdrawal,
  }
}

/** One line for each of Staking's custom errors. `subject` is the staker the call was about. */
function explainStakingRevert(subject: Address, withdrawal?: {pending: bigint; now: bigint}) {
  return ({errorName, args}: DecodedRevert) => {
    switch (errorName) {
      case 'CooldownNotPassed': {
        const unlockTime = args[0] as bigint
        const what = withdrawal ? `the withdrawal of ${formatOpen(withdrawal.pending)}` : 'the pending withdrawal'
        const wait = withdrawal ? ` (in ${formatDuration(unlockTime - withdrawal.now)})` : ''
        return new ProtocolError('E_COOLDOWN', `${what} is still in cooldown: it unlocks at ${isoTime(unlockTime)}${wait}`)
      }
      case 'NoPendingWithdrawal':
        return new ProtocolError('E_NO_PENDING_WITHDRAWAL', `account ${subject} has no pending withdrawal`, {
          metaMessages: ['Request one first: `openledger stake withdraw <amount>`.'],
        })
      case 'InsufficientStake': {
        const [available, requested] = args as [bigint, bigint]
        return new ProtocolError(
          'E_INSUFFICIENT_STAKE',
          `cannot withdraw ${formatOpen(requested)}: account ${subject} has ${formatOpen(available)} staked`,
        )
      }
      case 'SlashExceedsStake': {
        const [available, requested] = args as [bigint, bigint]
        return new ProtocolError(
          'E_INSUFFICIENT_STAKE',
          `cannot slash ${formatOpen(requested)}: ${subject} has only ${formatOpen(available)} staked or in cooldown`,
        )
      }
      case 'RoleMismatch': {
        const [current, requested] = args as [number, number]
        return new ProtocolError(
          'E_ROLE_MISMATCH',
          `account ${subject} stakes as ${STAKE_ROLES[current]}; withdraw everything before staking as ${STAKE_ROLES[requested]}`,
        )
      }
      case 'ZeroAmount':
        return new UsageError('the amount must be more than 0 OPEN')
      default:
        return undefined
    }
  }
}

/** Unix seconds as ISO 8601 text (UTC). */
export function isoTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString()
}

/** "6d 23h 59m", "45s": a rough wait for people. */
export function formatDuration(seconds: bigint): string {
  let s = seconds > 0n ? Number(seconds) : 0
  const parts: string[] = []
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`)
      s %= size
    }
  }
  if (parts.length === 0 || s > 0) parts.push(`${s}s`)
  return parts.join(' ')
}
