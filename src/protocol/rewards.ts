/**
 * What an address can claim, by where it came from (data contributor, model owner, platform
 * treasury in InferenceSettlement; staker in Staking), and the claim itself.
 */
import {type Address, type Hex, parseEventLogs} from 'viem'

import type {ChainContext, SignerContext} from '../chain/context.js'
import {InferenceSettlement, Staking} from '../contracts/artifacts/index.js'
import {readContract, writeContract} from '../chain/contract.js'
import {ProtocolError} from '../chain/revert.js'

export type RewardBalances = {
  address: Address
  /** Inference fees credited for this address's data, in wei. */
  contributor: bigint
  /** Inference fees credited as a model's owner, in wei. */
  modelOwner: bigint
  /** The platform's share, when this address is the treasury, in wei. */
  platform: bigint
  /** Staking rewards (the stakers' share of inference fees), in wei. */
  staker: bigint
  total: bigint
}

export async function rewardBalances(ctx: ChainContext, params: {address: Address}): Promise<RewardBalances> {
  const [[contributor, modelOwner, platform], staker] = await Promise.all([
    readContract(ctx, 'InferenceSettlement', 'balancesOf', [params.address]),
    readContract(ctx, 'Staking', 'rewardsOf', [params.address]),
  ])
  return {address: params.address, contributor, modelOwner, platform, staker, total: contributor + modelOwner + platform + staker}
}

export type ClaimSource = 'settlement' | 'staking'
export type Claim = {source: ClaimSource; amount: bigint; transactionHash: Hex}
export type ClaimResult = {address: Address; claims: Claim[]; total: bigint}

/**
 * Claims everything the signer is owed: one transaction to InferenceSettlement (contributor,
 * model-owner and platform balances together) and one to Staking, each only when non-zero.
 */
export async function claimRewards(ctx: SignerContext): Promise<ClaimResult> {
  const address = ctx.account.address
  const balances = await rewardBalances(ctx, {address})
  if (balances.total === 0n) {
    throw new ProtocolError('E_NOTHING_TO_CLAIM', `account ${address} has nothing to claim`, {
      metaMessages: ['`openledger rewards` shows balances as contributor, model owner and staker.'],
    })
  }
  const claims: Claim[] = []
  if (balances.contributor + balances.modelOwner + balances.platform > 0n) {
    const {receipt} = await writeContract(ctx, {contract: 'InferenceSettlement', functionName: 'claim'})
    const [event] = parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'Claimed'})
    claims.push({source: 'settlement', amount: event.args.amount, transactionHash: receipt.transactionHash})
  }
  if (balances.staker > 0n) {
    const {receipt} = await writeContract(ctx, {contract: 'Staking', functionName: 'claimRewards'})
    const [event] = parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'RewardsClaimed'})
    claims.push({source: 'staking', amount: event.args.amount, transactionHash: receipt.transactionHash})
  }
  return {address, claims, total: claims.reduce((sum, c) => sum + c.amount, 0n)}
}

export type ClaimedTotals = {
  /** Paid out of InferenceSettlement to this address so far (contributor, model owner, treasury), in wei. */
  settlement: bigint
  /** Staking rewards paid out to it so far, in wei. */
  staking: bigint
  total: bigint
}

/** What an address has already claimed: the sum of its Claimed and RewardsClaimed events. */
export async function claimedTotals(ctx: ChainContext, params: {address: Address}): Promise<ClaimedTotals> {
  const {contractAddress} = await import('../chain/context.js')
  const [fees, staking] = await Promise.all([
    ctx.publicClient.getContractEvents({
      address: contractAddress(ctx, 'InferenceSettlement'),
      abi: InferenceSettlement.abi,
      eventName: 'Claimed',
      args: {account: params.address},
      fromBlock: 0n,
    }),
    ctx.publicClient.getContractEvents({
      address: contractAddress(ctx, 'Staking'),
      abi: Staking.abi,
      eventName: 'RewardsClaimed',
      args: {staker: params.address},
      fromBlock: 0n,
    }),
  ])
  const settlement = fees.reduce((sum, e) => sum + (e.args.amount ?? 0n), 0n)
  const staked = staking.reduce((sum, e) => sum + (e.args.amount ?? 0n), 0n)
  return {settlement, staking: staked, total: settlement + staked}
}
