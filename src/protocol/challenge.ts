/**
 * Challenging a receipt's attribution and ruling on it. The challenger's evidence is what anyone
 * needs to recompute the receipt (the query text and the settled receipt JSON), logged in the
 * ChallengeOpened event; the challenge commits to the challenger's recomputed receipt by hash.
 * The slasher rules by recomputing it again itself: a receipt that disagrees with the published
 * model beyond the stated tolerance (verify-receipt.ts) is a forged attribution, and its agent
 * is slashed (by default its whole stake: forging is fraud, not a mistake of degree), part to the
 * challenger; one that agrees is dismissed and costs its agent nothing.
 */
import {type Address, type Hex, parseEventLogs} from 'viem'

import type {Receipt} from '../attribution/receipt.js'
import type {SignerContext} from '../chain/context.js'
import {contractAddress} from '../chain/context.js'
import {readContract, writeContract} from '../chain/contract.js'
import {Staking} from '../contracts/artifacts/index.js'
import {OpenledgerError} from '../errors.js'
import {type ReceiptVerification, verifyReceipt} from './verify-receipt.js'

export type ChallengeEvidence = {format: 'openledger-challenge-v1'; receiptId: string; text: string; receipt: Receipt}

const PREFIX = 'data:application/json,'

export function encodeEvidence(e: ChallengeEvidence): string {
  return PREFIX + encodeURIComponent(JSON.stringify(e))
}

export function decodeEvidence(text: string): ChallengeEvidence | undefined {
  if (!text.startsWith(PREFIX)) return undefined
  try {
    const e = JSON.parse(decodeURIComponent(text.slice(PREFIX.length))) as ChallengeEvidence
    return e.format === 'openledger-challenge-v1' ? e : undefined
  } catch {
    return undefined
  }
}

export type ChallengeResult = {challengeId: bigint; receiptId: bigint; agent: Address; evidenceHash: Hex; transactionHash: Hex}

/** Opens a challenge of a verified receipt against its agent. */
export async function openChallenge(ctx: SignerContext, v: ReceiptVerification, text: string): Promise<ChallengeResult> {
  const evidence = encodeEvidence({format: 'openledger-challenge-v1', receiptId: v.receiptId, text, receipt: v.settled})
  const {receipt} = await writeContract(ctx, {
    contract: 'Staking',
    functionName: 'challenge',
    args: [v.agent, BigInt(v.receiptId), v.recomputedHash, evidence],
  })
  const [ev] = parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'ChallengeOpened'})
  return {
    challengeId: ev.args.challengeId,
    receiptId: BigInt(v.receiptId),
    agent: v.agent,
    evidenceHash: v.recomputedHash,
    transactionHash: receipt.transactionHash,
  }
}

export type RulingResult = {
  challengeId: bigint
  receiptId: bigint
  agent: Address
  challenger: Address
  upheld: boolean
  /** Slashed from the agent, and the challenger's part of it, wei. */
  slashed: bigint
  toChallenger: bigint
  reasons: string[]
  transactionHash: Hex
}

/** The slasher's ruling: recompute the challenged receipt, uphold (slash) or dismiss. */
export async function ruleOnChallenge(
  ctx: SignerContext,
  p: {challengeId: bigint; amount?: bigint; stateDir?: string},
): Promise<RulingResult> {
  const [challenger, agent, receiptId, status] = await readContract(ctx, 'Staking', 'getChallenge', [p.challengeId])
  if (status !== 0) throw new OpenledgerError('E_CHALLENGE_CLOSED', `challenge ${p.challengeId} was already ruled on`, {exitCode: 2})
  const [opened] = await ctx.publicClient.getContractEvents({
    address: contractAddress(ctx, 'Staking'),
    abi: Staking.abi,
    eventName: 'ChallengeOpened',
    args: {challengeId: p.challengeId},
    fromBlock: 0n,
  })
  const evidence = opened ? decodeEvidence(opened.args.evidence ?? '') : undefined
  let verification: ReceiptVerification | undefined
  const reasons: string[] = []
  if (!evidence || evidence.receiptId !== receiptId.toString()) reasons.push('the evidence does not let the receipt be recomputed')
  else {
    try {
      verification = await verifyReceipt(ctx, {receiptId, text: evidence.text, receipt: evidence.receipt, stateDir: p.stateDir})
      if (verification.agent.toLowerCase() !== agent.toLowerCase())
        reasons.push(`receipt ${receiptId} was settled by ${verification.agent}, not ${agent}`)
    } catch (err) {
      reasons.push(`the evidence does not check out: ${(err as Error).message}`)
    }
  }
  // Upheld only on a recomputation that disagrees; anything else dismisses the challenge.
  const upheld = reasons.length === 0 && verification !== undefined && !verification.agree
  let amount = p.amount ?? 0n
  if (upheld && p.amount === undefined) {
    const [staked, , pending] = await readContract(ctx, 'Staking', 'stakeOf', [agent])
    amount = staked + pending
  }
  const {receipt} = await writeContract(ctx, {
    contract: 'Staking',
    functionName: 'resolveChallenge',
    args: [p.challengeId, upheld, upheld ? amount : 0n],
  })
  const [ev] = parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'ChallengeResolved'})
  return {
    challengeId: p.challengeId,
    receiptId,
    agent,
    challenger,
    upheld,
    slashed: ev.args.slashed,
    toChallenger: ev.args.toChallenger,
    reasons: upheld ? verification!.reasons : reasons.length ? reasons : ['the receipt agrees with the recomputation'],
    transactionHash: receipt.transactionHash,
  }
}
