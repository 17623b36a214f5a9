/**
 * Paid inference: settle an attribution receipt through InferenceSettlement. The fee is split on
 * chain (platform, model owner, stakers, contributors by weight; every rounding remainder to the
 * platform); the split returned is read from the InferenceSettled event, so it is what was paid.
 * Each settlement is also kept in `.openledger/receipts/<chainId>-<receiptId>.json` for the
 * per-record trail of `rewards --address`.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import {type Address, type Hex, encodeFunctionData, parseEventLogs} from 'viem'

import {type ChainContext, type SignerContext, contractAddress} from '../chain/context.js'
import {formatOpen} from '../chain/amounts.js'
import {InferenceSettlement} from '../contracts/artifacts/index.js'
import {type Receipt, settlementArgs} from '../attribution/receipt.js'
import {writeContract} from '../chain/contract.js'
import {readJsonFile, writeJsonAtomic} from '../store/atomic.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {PaymentError} from './errors.js'
import {versionsByCid} from './registry.js'

/** Default fee for a paid inference: 0.01 OPEN. */
export const DEFAULT_INFERENCE_FEE = 10n ** 16n

export type FeeSplitPaid = {platform: string; model: string; stakers: string; contributors: string}

export type SettleReturnType = {
  receiptId: string
  modelId: string
  fee: string
  split: FeeSplitPaid
  credited: Array<{address: Address; amount: string}>
  txHash: Hex
  responseHash: Hex
}

export type StoredSettlement = SettleReturnType & {chainId: number; cid?: string; receipt: Receipt; payer: Address; at: string}

/** The registered model id of a CID (its first registration). */
export async function modelIdForCid(ctx: ChainContext, cid: string): Promise<bigint> {
  const found = await versionsByCid(ctx, cid)
  if (!found.length) {
    throw new PaymentError(`model ${cid} is not registered in ModelRegistry on chain ${ctx.chain.id}: there is no one to pay`, {
      exitCode: 2,
      metaMessages: ['Publish it first: `openledger publish --model <folder>`.'],
    })
  }
  return found[0].modelId
}

export function receiptsDir(dir = defaultStateDir()): string {
  return join(dir, 'receipts')
}

export type SettleItem = {modelId: bigint; receipt: Receipt; fee: bigint; cid?: string}

/** Settles one inference (`settle`): the fee split by the receipt's weights. */
export async function settleInference(ctx: SignerContext, p: SettleItem & {stateDir?: string}): Promise<SettleReturnType> {
  const [out] = await settleInferences(ctx, [p], {stateDir: p.stateDir})
  return out
}

/**
 * Settles inferences in one transaction: `settle` for one, `settleBatch` for several (a server's
 * paid requests). Refuses before sending anything when the signer cannot pay the fees plus gas.
 */
export async function settleInferences(
  ctx: SignerContext,
  items: SettleItem[],
  opts: {stateDir?: string} = {},
): Promise<SettleReturnType[]> {
  if (items.length === 0) return []
  const args = items.map((it) => settlementArgs(it.receipt))
  const total = items.reduce((sum, it) => sum + it.fee, 0n)
  const call =
    items.length === 1
      ? ({functionName: 'settle', args: [items[0].modelId, args[0].responseHash, args[0].contributors, args[0].weights]} as const)
      : ({
          functionName: 'settleBatch',
          args: [
            items.map((it, k) => ({
              modelId: it.modelId,
              responseHash: args[k].responseHash,
              fee: it.fee,
              contributors: args[k].contributors,
              weights: args[k].weights,
            })),
          ],
        } as const)
  const address = contractAddress(ctx, 'InferenceSettlement')
  const balance = await ctx.publicClient.getBalance({address: ctx.account.address})
  let gasCost = 0n
  try {
    const data = encodeFunctionData({abi: InferenceSettlement.abi, ...call} as Parameters<typeof encodeFunctionData>[0])
    const [gas, price] = await Promise.all([
      ctx.publicClient.estimateGas({account: ctx.account.address, to: address, data, value: balance > total ? total : 0n}),
      ctx.publicClient.getGasPrice(),
    ])
    gasCost = gas * price
  } catch {
    gasCost = 0n
  }
  if (balance < total + gasCost) {
    throw new PaymentError(
      `${ctx.account.address} holds ${formatOpen(balance)}, less than the fee ${formatOpen(total)} plus gas: nothing was paid`,
      {
        metaMessages: ['Bridge OPEN to the L2 (`openledger bridge deposit`) or lower --fee.'],
      },
    )
  }
  const {receipt: tx} = await writeContract(ctx, {contract: 'InferenceSettlement', ...call, value: total})
  const settled = parseEventLogs({abi: InferenceSettlement.abi, logs: tx.logs, eventName: 'InferenceSettled'})
  const credits = parseEventLogs({abi: InferenceSettlement.abi, logs: tx.logs, eventName: 'ContributorCredited'})
  return settled.map((ev, k) => {
    const out: SettleReturnType = {
      receiptId: ev.args.receiptId.toString(),
      modelId: items[k].modelId.toString(),
      fee: ev.args.fee.toString(),
      split: {
        platform: ev.args.platformAmount.toString(),
        model: ev.args.modelAmount.toString(),
        stakers: ev.args.stakersAmount.toString(),
        contributors: ev.args.contributorsAmount.toString(),
      },
      credited: credits
        .filter((c) => c.args.receiptId === ev.args.receiptId)
        .map((c) => ({address: c.args.contributor, amount: c.args.amount.toString()})),
      txHash: tx.transactionHash,
      responseHash: args[k].responseHash,
    }
    const stored: StoredSettlement = {
      ...out,
      chainId: ctx.chain.id,
      ...(items[k].cid ? {cid: items[k].cid} : {}),
      receipt: items[k].receipt,
      payer: ctx.account.address,
      at: new Date().toISOString(),
    }
    writeJsonAtomic(join(receiptsDir(opts.stateDir), `${ctx.chain.id}-${out.receiptId}.json`), stored)
    return out
  })
}

/** Settlements stored locally for a chain. */
export function storedSettlements(chainId: number, dir?: string): StoredSettlement[] {
  let names: string[] = []
  try {
    names = readdirSync(receiptsDir(dir)).filter((n) => n.startsWith(`${chainId}-`) && n.endsWith('.json'))
  } catch {
    return []
  }
  return names.map((n) => readJsonFile<StoredSettlement>(join(receiptsDir(dir), n))!).filter(Boolean)
}
