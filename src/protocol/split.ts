/**
 * The inference fee split, computed off-chain exactly as InferenceSettlement computes it on-chain
 * (integer wei, rounding down, every remainder to the platform). Used to preview a payment and,
 * in the tests, as the reference the contract is checked against.
 */

import {WEIGHT_ONE} from '../attribution/receipt.js'

/** The 1e18 weight unit, under the name the contract gives it (the one constant is WEIGHT_ONE). */
export const WEIGHT_SCALE = WEIGHT_ONE
export const BPS_DENOMINATOR = 10_000n

/** Shares of the fee in basis points; they add up to 10000. */
export type SplitBps = {platform: bigint; modelOwner: bigint; stakers: bigint; contributors: bigint}

export const DEFAULT_SPLIT_BPS: SplitBps = {platform: 1000n, modelOwner: 2000n, stakers: 2000n, contributors: 5000n}

export type FeeSplit = {
  fee: bigint
  platform: bigint
  modelOwner: bigint
  stakers: bigint
  /** What each contributor is credited, in the order of the weights. */
  perContributor: bigint[]
  contributors: bigint
}

/**
 * Splits `fee` wei. `anyoneStaked` false sends the stakers' share to the platform, as the contract
 * does when Staking holds no active stake.
 */
export function splitFee(fee: bigint, weights: readonly bigint[], bps: SplitBps = DEFAULT_SPLIT_BPS, anyoneStaked = true): FeeSplit {
  const modelOwner = (fee * bps.modelOwner) / BPS_DENOMINATOR
  const stakers = anyoneStaked ? (fee * bps.stakers) / BPS_DENOMINATOR : 0n
  const contributorsPart = (fee * bps.contributors) / BPS_DENOMINATOR
  const perContributor = weights.map((w) => (contributorsPart * w) / WEIGHT_ONE)
  const contributors = perContributor.reduce((a, b) => a + b, 0n)
  return {fee, platform: fee - modelOwner - stakers - contributors, modelOwner, stakers, perContributor, contributors}
}
