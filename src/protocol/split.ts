/**
 * The inference fee split, computed off-chain exactly as InferenceSettlement computes it on-chain
 * (integer wei, rounding down, every remainder to the platform). Used to preview a payment and,
 * in the tests, as the reference the contract is checked against.
 */

/** Attribution weights are fixed point: a contributor's weights sum to exactly this. */
export const WEIGHT_SCALE = 10n ** 18n
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
  const perContributor = weights.map((w) => (contributorsPart * w) / WEIGHT_SCALE)
  const contributors = perContributor.reduce((a, b) => a + b, 0n)
  return {fee, platform: fee - modelOwner - stakers - contributors, modelOwner, stakers, perContributor, contributors}
}

/**
 * Turns non-negative scores into weights the contract accepts: positive, summing to WEIGHT_SCALE.
 * Zero scores are dropped (the contract refuses a zero weight), so the result pairs each weight
 * with the index of its score. The rounding remainder goes to the largest score.
 */
export function weightsFromScores(scores: readonly bigint[]): Array<{index: number; weight: bigint}> {
  const kept = scores.map((score, index) => ({index, score})).filter((s) => s.score > 0n)
  if (kept.length === 0) return []
  const total = kept.reduce((a, s) => a + s.score, 0n)
  const weights = kept.map((s) => ({index: s.index, weight: (s.score * WEIGHT_SCALE) / total}))
  const remainder = WEIGHT_SCALE - weights.reduce((a, w) => a + w.weight, 0n)
  let largest = 0
  for (let i = 1; i < kept.length; i++) if (kept[i].score > kept[largest].score) largest = i
  weights[largest].weight += remainder
  // Scores far apart can round a tiny one to zero: drop it and give its (zero) share to no one.
  return weights.filter((w) => w.weight > 0n)
}
