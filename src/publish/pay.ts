/**
 * Paid inference: settle an attribution receipt through InferenceSettlement, each contributor paid
 * proven by a Merkle multiproof against the model version's lineage (src/protocol/proofs.ts). The
 * fee is split on chain (platform, model owner, stakers, contributors by weight; every rounding remainder to the
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
import {type RegisteredVersion, versionsByCid} from './registry.js'
import type {SignedAuthorization} from '../protocol/authorization.js'
import {lineageTrees} from '../protocol/lineage-trees.js'
import {attributionProofs} from '../protocol/proofs.js'

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
  /** Whose fee it was (the sender, or the payer whose credit an authorization spent). */
  payer: Address
  /** Who sent the settlement: the agent answerable for the attribution. */
  agent: Address
}

export type StoredSettlement = SettleReturnType & {chainId: number; cid?: string; modelVersion?: number; receipt: Receipt; at: string}

/** The registered model id of a CID (its first registration). */
export async function modelIdForCid(ctx: ChainContext, cid: string): Promise<bigint> {
  return (await modelVersionForCid(ctx, cid)).modelId
}

const versionCache = new Map<string, Promise<RegisteredVersion>>()

/** The first registration of a CID: model id, version and lineage (cached per chain and CID). */
export async function modelVersionForCid(ctx: ChainContext, cid: string): Promise<RegisteredVersion> {
  const key = `${ctx.chain.id}:${contractAddress(ctx, 'ModelRegistry')}:${cid}`
  let p = versionCache.get(key)
  if (!p) {
    p = versionsByCid(ctx, cid).then((found) => {
      if (!found.length) {
        throw new PaymentError(`model ${cid} is not registered in ModelRegistry on chain ${ctx.chain.id}: there is no one to pay`, {
          exitCode: 2,
          metaMessages: ['Publish it first: `openledger publish --model <folder>`.'],
        })
      }
      return found[0]
    })
    versionCache.set(key, p)
    p.catch(() => versionCache.delete(key))
  }
  return p
}

export function receiptsDir(dir = defaultStateDir()): string {
  return join(dir, 'receipts')
}

/**
 * One inference to settle: the receipt, the fee and the model's artifact folder (its training
 * records prove the contributors paid). With `authorization` the payer's credit pays (the sender
 * must be a staked agent); without, the sender pays.
 */
export type SettleItem = {
  modelId: bigint
  receipt: Receipt
  fee: bigint
  cid: string
  artifact: string
  authorization?: SignedAuthorization
}

/** Settles one inference; see settleInferences. */
export async function settleInference(ctx: SignerContext, p: SettleItem & {stateDir?: string}): Promise<SettleReturnType> {
  const [out] = await settleInferences(ctx, [p], {stateDir: p.stateDir})
  return out
}

/** The InferenceSettlement.Settlement struct of an item: attribution with its Merkle proofs. */
export async function settlementStruct(ctx: ChainContext, it: SettleItem, opts: {stateDir?: string} = {}) {
  const version = await modelVersionForCid(ctx, it.cid)
  const {responseHash, contributors, weights} = settlementArgs(it.receipt)
  const trees = await lineageTrees(
    it.artifact,
    version.datanets.map((d) => d.root),
    opts,
  )
  if (trees.every((t) => t === undefined))
    throw new PaymentError(
      `cannot prove the receipt's contributors: the records of the datanet version ${it.artifact} was trained on are neither all in its training.json nor in the local datanet store`,
      {
        metaMessages: [
          'Run this where the datanet was published from (its .openledger/datanets folder), or train without excluding records.',
        ],
      },
    )
  return {
    modelId: it.modelId,
    modelVersion: version.version,
    responseHash,
    fee: it.fee,
    contributors,
    weights,
    proofs: attributionProofs(it.receipt, trees),
  }
}

export type SettlementStruct = Awaited<ReturnType<typeof settlementStruct>>

/** The contract call settling `structs`: self-paid (`settle`, `settleBatch`) or from credit (`settleAuthorized`). */
export function settlementCall(structs: SettlementStruct[], auths: Array<SignedAuthorization | undefined>) {
  const authorized = auths.filter(Boolean).length
  if (authorized > 0 && authorized !== auths.length) throw new PaymentError('a batch is either all paid from credit or all by the sender')
  if (authorized > 0)
    return {
      functionName: 'settleAuthorized',
      args: [structs, auths.map((a) => ({...a!}))],
      value: 0n,
    } as const
  const total = structs.reduce((sum, s) => sum + s.fee, 0n)
  return structs.length === 1
    ? ({functionName: 'settle', args: [structs[0]], value: total} as const)
    : ({functionName: 'settleBatch', args: [structs], value: total} as const)
}

/**
 * Settles inferences in one transaction: `settle` for one, `settleBatch` for several, both paid by
 * the signer; `settleAuthorized` when the items carry their payers' authorizations (a server's
 * paid requests: the signer pays only gas). Refuses before sending anything when the signer
 * cannot pay what it owes plus gas, or a contributor cannot be proven.
 */
export async function settleInferences(
  ctx: SignerContext,
  items: SettleItem[],
  opts: {stateDir?: string} = {},
): Promise<SettleReturnType[]> {
  if (items.length === 0) return []
  const structs = await Promise.all(items.map((it) => settlementStruct(ctx, it, opts)))
  return sendSettlements(ctx, items, structs, opts)
}

/** Sends one settlement transaction for `items` (their structs already built) and records each receipt. */
export async function sendSettlements(
  ctx: SignerContext,
  items: SettleItem[],
  structs: SettlementStruct[],
  opts: {stateDir?: string} = {},
): Promise<SettleReturnType[]> {
  const call = settlementCall(
    structs,
    items.map((it) => it.authorization),
  )
  const address = contractAddress(ctx, 'InferenceSettlement')
  const balance = await ctx.publicClient.getBalance({address: ctx.account.address})
  let gasCost = 0n
  try {
    const data = encodeFunctionData({abi: InferenceSettlement.abi, ...call} as Parameters<typeof encodeFunctionData>[0])
    const [gas, price] = await Promise.all([
      ctx.publicClient.estimateGas({account: ctx.account.address, to: address, data, value: balance > call.value ? call.value : 0n}),
      ctx.publicClient.getGasPrice(),
    ])
    gasCost = gas * price
  } catch {
    gasCost = 0n
  }
  if (balance < call.value + gasCost) {
    throw new PaymentError(
      `${ctx.account.address} holds ${formatOpen(balance)}, less than the fee ${formatOpen(call.value)} plus gas: nothing was paid`,
      {
        metaMessages: ['Bridge OPEN to the L2 (`openledger bridge deposit`) or lower --fee.'],
      },
    )
  }
  const {receipt: tx} = await writeContract(ctx, {contract: 'InferenceSettlement', ...call} as Parameters<typeof writeContract>[1])
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
      responseHash: structs[k].responseHash,
      payer: ev.args.payer,
      agent: ctx.account.address,
    }
    const stored: StoredSettlement = {
      ...out,
      chainId: ctx.chain.id,
      cid: items[k].cid,
      modelVersion: structs[k].modelVersion,
      receipt: items[k].receipt,
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
