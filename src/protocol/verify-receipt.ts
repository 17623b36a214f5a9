/**
 * Checking a settled receipt: read what was settled on-chain (receipt id → agent, model version,
 * response hash, contributors credited), check that the receipt JSON at hand is the one settled
 * (its hash is the response hash) and is about the text at hand (its input hash), recompute the
 * attribution from the published artifact (by the version's CID) with the receipt's method and
 * top-k, and compare the contributors' weights.
 *
 * Tolerance, not bit equality: the recomputation runs the same deterministic code path as serving
 * (ONNX Runtime's MatMul over the training matrix, whatever the batch), so on one machine it
 * agrees to the unit; across machines float32 kernels may round differently, which moves weights by
 * far less than 1e-6 of the fee. WEIGHT_TOLERANCE (1e-4 of the whole, 0.01% of the contributors'
 * part) absorbs that, and a near-tie in the top-k that flips a record in or out, while any forged
 * attribution worth forging (weight moved to someone else) is orders of magnitude above it.
 */
import {type Address, type Hex, getAddress, parseEventLogs} from 'viem'

import {type Receipt, WEIGHT_ONE, receiptHash, textHash} from '../attribution/receipt.js'
import {type ChainContext, contractAddress} from '../chain/context.js'
import {InferenceSettlement} from '../contracts/artifacts/index.js'
import {OpenledgerError, UsageError} from '../errors.js'
import {getModelVersion} from '../publish/registry.js'
import {storedSettlements} from '../publish/pay.js'

/** Largest difference in a contributor's weight (1e18 = the whole) still counted as agreement. */
export const WEIGHT_TOLERANCE = WEIGHT_ONE / 10_000n

export type SettledReceipt = {
  receiptId: bigint
  modelId: bigint
  modelVersion: number
  payer: Address
  agent: Address
  responseHash: Hex
  fee: bigint
  credited: Array<{address: Address; amount: bigint}>
  txHash: Hex
}

/** What InferenceSettlement recorded for a receipt id, from its events. */
export async function settledReceipt(ctx: ChainContext, receiptId: bigint): Promise<SettledReceipt> {
  const address = contractAddress(ctx, 'InferenceSettlement')
  const [settled] = await ctx.publicClient.getContractEvents({
    address,
    abi: InferenceSettlement.abi,
    eventName: 'InferenceSettled',
    args: {receiptId},
    fromBlock: 0n,
  })
  if (!settled)
    throw new OpenledgerError('E_UNKNOWN_RECEIPT', `receipt ${receiptId} was never settled on chain ${ctx.chain.id}`, {exitCode: 2})
  const receipt = await ctx.publicClient.getTransactionReceipt({hash: settled.transactionHash})
  const agentEvent = parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'ReceiptAgent'}).find(
    (e) => e.args.receiptId === receiptId,
  )
  const credited = parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'ContributorCredited'})
    .filter((e) => e.args.receiptId === receiptId)
    .map((e) => ({address: e.args.contributor, amount: e.args.amount}))
  return {
    receiptId,
    modelId: settled.args.modelId!,
    modelVersion: agentEvent?.args.modelVersion ?? 0,
    payer: settled.args.payer!,
    agent: agentEvent?.args.agent ?? receipt.from,
    responseHash: settled.args.responseHash!,
    fee: settled.args.fee!,
    credited,
    txHash: settled.transactionHash,
  }
}

export type WeightComparison = {address: Address; settled: string; recomputed: string; difference: string}

export type ReceiptVerification = {
  receiptId: string
  agree: boolean
  /** Why not, one line each (empty when they agree). */
  reasons: string[]
  agent: Address
  payer: Address
  modelId: string
  modelVersion: number
  cid: string
  method: string
  /** Largest weight difference counted as agreement, in 1e18 units. */
  tolerance: string
  contributors: WeightComparison[]
  /** keccak256 of the recomputed receipt: what a challenge commits to. */
  recomputedHash: Hex
  recomputed: Receipt
  settled: Receipt
  txHash: Hex
}

export type VerifyReceiptParams = {
  receiptId: bigint
  /** The query text the receipt answered (its inputHash is checked). */
  text: string
  /** The receipt JSON settled; default: the one this folder stored when it settled it. */
  receipt?: Receipt
  stateDir?: string
  tolerance?: bigint
}

/** The receipt JSON settled as `receiptId`, from this folder's settlement store. */
export function storedReceipt(chainId: number, receiptId: bigint, stateDir?: string): Receipt | undefined {
  return storedSettlements(chainId, stateDir).find((s) => s.receiptId === receiptId.toString())?.receipt
}

/** Recomputes a settled receipt's attribution and compares it with what was settled. */
export async function verifyReceipt(ctx: ChainContext, p: VerifyReceiptParams): Promise<ReceiptVerification> {
  const onChain = await settledReceipt(ctx, p.receiptId)
  const settled = p.receipt ?? storedReceipt(ctx.chain.id, p.receiptId, p.stateDir)
  if (!settled) throw new UsageError(`receipt ${p.receiptId}: no receipt JSON here; give the one the server answered with --receipt <file>`)
  if (receiptHash(settled) !== onChain.responseHash)
    throw new UsageError(
      `receipt ${p.receiptId}: the receipt JSON given hashes to ${receiptHash(settled)}, not the settled response hash ${onChain.responseHash}`,
    )
  if (textHash(p.text) !== settled.inputHash)
    throw new UsageError(`receipt ${p.receiptId}: the text given is not the one the receipt answered (its input hash differs)`)
  const version = await getModelVersion(ctx, onChain.modelId, onChain.modelVersion)
  const cid = version.artifactCid
  if (!['if', 'tracin', 'graddot', 'representer'].includes(settled.method))
    throw new UsageError(
      `receipt ${p.receiptId}: recomputing ${settled.method} attributions is not supported (if, tracin, graddot, representer)`,
    )

  const recomputed = await recompute(cid, p.text, settled, p.stateDir)
  const tolerance = p.tolerance ?? WEIGHT_TOLERANCE
  const reasons: string[] = []
  const weights = (r: Receipt) => new Map(r.contributors.map((c) => [getAddress(c.address), BigInt(c.weight)]))
  const a = weights(settled)
  const b = weights(recomputed)
  const contributors: WeightComparison[] = [...new Set([...a.keys(), ...b.keys()])].map((address) => {
    const s = a.get(address) ?? 0n
    const r = b.get(address) ?? 0n
    const d = s > r ? s - r : r - s
    if (d > tolerance) reasons.push(`${address}: settled weight ${fraction(s)}, recomputed ${fraction(r)}`)
    return {address, settled: s.toString(), recomputed: r.toString(), difference: d.toString()}
  })
  if (recomputed.outputHash !== settled.outputHash) reasons.push('the recomputed prediction differs from the one settled')
  // The credits on-chain must be the receipt's contributors: the receipt is what was paid.
  const credited = new Set(onChain.credited.map((c) => getAddress(c.address)))
  if (credited.size !== a.size || [...a.keys()].some((k) => !credited.has(k)))
    reasons.push('the contributors credited on-chain are not the receipt’s')
  return {
    receiptId: p.receiptId.toString(),
    agree: reasons.length === 0,
    reasons,
    agent: onChain.agent,
    payer: onChain.payer,
    modelId: onChain.modelId.toString(),
    modelVersion: onChain.modelVersion,
    cid,
    method: settled.method,
    tolerance: tolerance.toString(),
    contributors,
    recomputedHash: receiptHash(recomputed),
    recomputed,
    settled,
    txHash: onChain.txHash,
  }
}

const fraction = (w: bigint) => (Number(w) / 1e18).toFixed(6)

/** The receipt the published artifact gives for `text`, as serving computes it. */
async function recompute(cid: string, text: string, settled: Receipt, stateDir?: string): Promise<Receipt> {
  const [{resolveModel}, {loadModel, predict}, {loadQueryAttribution, releaseAttribution}, {attributeRows, predictedRows}] =
    await Promise.all([
      import('../publish/resolve.js'),
      import('../model/infer.js'),
      import('../attribution/from-model.js'),
      import('../serve/flow.js'),
    ])
  const resolved = await resolveModel(cid, {stateDir})
  const model = await loadModel(resolved.path, {allowRemote: false})
  try {
    const ma = await loadQueryAttribution(model, {stateDir, modelId: cid})
    try {
      const rows = predictedRows(await predict(model, [text]), [text])
      const [p] = await attributeRows(ma, rows, settled.method as 'if', settled.records.length)
      return p.receipt
    } finally {
      await releaseAttribution(ma)
    }
  } finally {
    await model.dispose()
  }
}
