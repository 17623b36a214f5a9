/**
 * Settling a server's paid answers: one `settleAuthorized` per batch, split by gas rather than by
 * count. A batch whose estimate exceeds a safe share of the block gas limit (proofs make items
 * differ widely in cost) is halved until each part fits; a part whose estimate reverts is halved
 * too, down to single items, so one bad authorization (a payer who withdrew meanwhile) fails its
 * own request and never its neighbours'.
 */
import {BaseError, type Hex, decodeErrorResult, encodeFunctionData} from 'viem'

import {type SignerContext, contractAddress} from '../chain/context.js'
import {messageOf} from '../errors.js'
import {InferenceSettlement} from '../contracts/artifacts/index.js'
import {
  type SettleItem,
  type SettleReturnType,
  type SettlementStruct,
  sendSettlements,
  settlementCall,
  settlementStruct,
} from '../publish/pay.js'
import {type InferredPrediction, type PayRow, paidPrediction, settleItem} from './flow.js'

/** Share of the block gas limit one settlement may use: room for other transactions in the block. */
export const SAFE_BLOCK_GAS_SHARE = 0.5

export type SettleOutcome = {ok: true; paid: SettleReturnType} | {ok: false; error: unknown}

/** Gas the call would use, or the revert that estimating it met. */
async function estimate(ctx: SignerContext, structs: SettlementStruct[], items: SettleItem[]): Promise<bigint | Error> {
  const call = settlementCall(
    structs,
    items.map((it) => it.authorization),
  )
  try {
    return await ctx.publicClient.estimateGas({
      account: ctx.account.address,
      to: contractAddress(ctx, 'InferenceSettlement'),
      data: encodeFunctionData({abi: InferenceSettlement.abi, ...call} as Parameters<typeof encodeFunctionData>[0]),
      value: call.value,
    })
  } catch (err) {
    return revertReason(err)
  }
}

/** The contract's custom error behind a failed estimate, by name ("InvalidSignature(0x…, 12)"), else the error. */
function revertReason(err: unknown): Error {
  const found = err instanceof BaseError ? err.walk((e) => typeof (e as {data?: unknown}).data === 'string') : undefined
  const data = (found as {data?: Hex} | undefined)?.data
  if (data) {
    try {
      const d = decodeErrorResult({abi: InferenceSettlement.abi, data})
      return new Error(`${d.errorName}(${(d.args ?? []).map(String).join(', ')})`, {cause: err})
    } catch {
      // Not one of the contract's errors: keep the original.
    }
  }
  return err instanceof Error ? err : new Error(messageOf(err))
}

/**
 * The parts `items` is sent in: consecutive runs whose estimated gas is at most `gasCap`, each
 * with its estimate; an item that cannot be settled alone comes back as its error.
 */
export async function splitByGas(
  ctx: SignerContext,
  items: SettleItem[],
  structs: SettlementStruct[],
  gasCap: bigint,
): Promise<Array<{from: number; to: number; gas: bigint} | {index: number; error: Error}>> {
  const out: Array<{from: number; to: number; gas: bigint} | {index: number; error: Error}> = []
  const visit = async (from: number, to: number): Promise<void> => {
    const gas = await estimate(ctx, structs.slice(from, to), items.slice(from, to))
    if (typeof gas === 'bigint' && gas <= gasCap) {
      out.push({from, to, gas})
      return
    }
    if (to - from === 1) {
      out.push({index: from, error: typeof gas === 'bigint' ? new Error(`one settlement needs ${gas} gas, over the cap ${gasCap}`) : gas})
      return
    }
    const mid = from + Math.ceil((to - from) / 2)
    await visit(from, mid)
    await visit(mid, to)
  }
  await visit(0, items.length)
  return out
}

/** Settles a server's batch; one outcome per item, in order. */
export async function settleServedBatch(ctx: SignerContext, items: SettleItem[], opts: {stateDir?: string} = {}): Promise<SettleOutcome[]> {
  const outcomes: SettleOutcome[] = new Array(items.length)
  const structs: Array<SettlementStruct | undefined> = await Promise.all(
    items.map((it, i) =>
      settlementStruct(ctx, it, opts).catch((error) => {
        outcomes[i] = {ok: false, error}
        return undefined
      }),
    ),
  )
  const ready = items.map((_, i) => i).filter((i) => structs[i])
  if (ready.length === 0) return outcomes
  const block = await ctx.publicClient.getBlock()
  const gasCap = BigInt(Math.floor(Number(block.gasLimit) * SAFE_BLOCK_GAS_SHARE))
  const readyItems = ready.map((i) => items[i])
  const readyStructs = ready.map((i) => structs[i]!)
  for (const part of await splitByGas(ctx, readyItems, readyStructs, gasCap)) {
    if ('error' in part) {
      outcomes[ready[part.index]] = {ok: false, error: part.error}
      continue
    }
    try {
      const paid = await sendSettlements(ctx, readyItems.slice(part.from, part.to), readyStructs.slice(part.from, part.to), opts)
      paid.forEach((p, k) => (outcomes[ready[part.from + k]] = {ok: true, paid: p}))
    } catch (error) {
      for (let k = part.from; k < part.to; k++) outcomes[ready[k]] = {ok: false, error}
    }
  }
  return outcomes
}

/** A paid answer settled, or why it could not be. */
export type PaidRowOutcome = {ok: true; prediction: InferredPrediction; paid: SettleReturnType} | {ok: false; error: unknown}

/** The payment batcher's work: a batch of paid answers, each settled from its payer's credit. */
export async function settlePaidRows(ctx: SignerContext, rows: PayRow[], opts: {stateDir?: string} = {}): Promise<PaidRowOutcome[]> {
  const outcomes = await settleServedBatch(ctx, rows.map(settleItem), opts)
  return outcomes.map((o, i) => (o.ok ? {ok: true, prediction: paidPrediction(rows[i].prediction, o.paid), paid: o.paid} : o))
}
