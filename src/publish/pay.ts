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
import {sendProtocolTx} from '../protocol/tx.js'
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

export async function settleInference(
  ctx: SignerContext,
  p: {modelId: bigint; receipt: Receipt; fee: bigint; cid?: string; stateDir?: string},
): Promise<SettleReturnType> {
  const {responseHash, contributors, weights} = settlementArgs(p.receipt)
  const address = contractAddress(ctx, 'InferenceSettlement')
  const balance = await ctx.publicClient.getBalance({address: ctx.account.address})
  const data = encodeFunctionData({abi: InferenceSettlement.abi, functionName: 'settle', args: [p.modelId, responseHash, contributors, weights]})
  let gasCost = 0n
  try {
    const [gas, price] = await Promise.all([
      ctx.publicClient.estimateGas({account: ctx.account.address, to: address, data, value: balance > p.fee ? p.fee : 0n}),
      ctx.publicClient.getGasPrice(),
    ])
    gasCost = gas * price
  } catch {
    gasCost = 0n
  }
  if (balance < p.fee + gasCost) {
    throw new PaymentError(`${ctx.account.address} holds ${formatOpen(balance)}, less than the fee ${formatOpen(p.fee)} plus gas: nothing was paid`, {
      metaMessages: ['Bridge OPEN to the L2 (`openledger bridge deposit`) or lower --fee.'],
    })
  }
  const tx = await sendProtocolTx(ctx, {contract: 'InferenceSettlement', functionName: 'settle', args: [p.modelId, responseHash, contributors, weights], value: p.fee})
  const [ev] = parseEventLogs({abi: InferenceSettlement.abi, logs: tx.logs, eventName: 'InferenceSettled'})
  const credits = parseEventLogs({abi: InferenceSettlement.abi, logs: tx.logs, eventName: 'ContributorCredited'})
  const out: SettleReturnType = {
    receiptId: ev.args.receiptId.toString(),
    modelId: p.modelId.toString(),
    fee: ev.args.fee.toString(),
    split: {
      platform: ev.args.platformAmount.toString(),
      model: ev.args.modelAmount.toString(),
      stakers: ev.args.stakersAmount.toString(),
      contributors: ev.args.contributorsAmount.toString(),
    },
    credited: credits.map((c) => ({address: c.args.contributor, amount: c.args.amount.toString()})),
    txHash: tx.transactionHash,
    responseHash,
  }
  const stored: StoredSettlement = {...out, chainId: ctx.chain.id, ...(p.cid ? {cid: p.cid} : {}), receipt: p.receipt, payer: ctx.account.address, at: new Date().toISOString()}
  writeJsonAtomic(join(receiptsDir(p.stateDir), `${ctx.chain.id}-${out.receiptId}.json`), stored)
  return out
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
