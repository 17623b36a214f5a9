/**
 * A contributor's per-record trail: for each of its records that an inference was attributed to,
 * the datanet version it was accepted in, the paid inferences it was attributed to (receipt id,
 * transaction, model, score) and the OPEN it earned. Credits come from ContributorCredited events;
 * which records earned them from the receipts stored by paid inferences on this machine (a
 * contributor's credit in one receipt is shared among its records there by positive score).
 */
import {type Address, parseEventLogs} from 'viem'

import {type ChainContext, contractAddress} from '../chain/context.js'
import {InferenceSettlement} from '../contracts/artifacts/index.js'
import {loadDatanetVersion} from '../datanet/local.js'
import {storedSettlements} from './pay.js'

export type TrailInference = {receiptId: string; txHash: string; model: string; score: number; earned: string}
export type TrailRecord = {
  recordHash: string
  datanet?: string
  acceptedIn: {version: number} | null
  inferences: TrailInference[]
  earned: string
}
export type ContributorTrail = {
  records: TrailRecord[]
  /** Credits (wei) whose receipt is not stored here, by receipt id. */
  unmatched: Array<{receiptId: string; txHash: string; amount: string}>
  earned: string
}

export async function contributorTrail(ctx: ChainContext, p: {address: Address; stateDir?: string}): Promise<ContributorTrail> {
  const address = contractAddress(ctx, 'InferenceSettlement')
  const logs = await ctx.publicClient.getLogs({address, fromBlock: 0n, toBlock: 'latest'})
  const me = p.address.toLowerCase()
  const credits = parseEventLogs({abi: InferenceSettlement.abi, logs, eventName: 'ContributorCredited'}).filter(
    (e) => e.args.contributor.toLowerCase() === me,
  )
  const stored = new Map(storedSettlements(ctx.chain.id, p.stateDir).map((s) => [s.receiptId, s]))
  const byRecord = new Map<string, TrailRecord>()
  const unmatched: ContributorTrail['unmatched'] = []
  let total = 0n
  for (const c of credits) {
    const receiptId = c.args.receiptId.toString()
    const amount = c.args.amount
    total += amount
    const s = stored.get(receiptId)
    const mine = s?.receipt.records.filter((r) => r.contributor.toLowerCase() === me) ?? []
    if (!s || mine.length === 0) {
      unmatched.push({receiptId, txHash: c.transactionHash, amount: amount.toString()})
      continue
    }
    let parts = mine.map((r) => Math.max(0, r.score))
    if (!parts.some((x) => x > 0)) parts = mine.map(() => 1)
    const sum = parts.reduce((a, b) => a + b, 0)
    const shares = parts.map((x) => (amount * BigInt(Math.round((x / sum) * 1e12))) / 10n ** 12n)
    shares[0] += amount - shares.reduce((a, b) => a + b, 0n)
    mine.forEach((r, i) => {
      const key = r.recordHash.toLowerCase()
      const entry = byRecord.get(key) ?? {
        recordHash: r.recordHash,
        ...(r.datanet ? {datanet: r.datanet} : {}),
        acceptedIn: null,
        inferences: [],
        earned: '0',
      }
      entry.inferences.push({
        receiptId,
        txHash: c.transactionHash,
        model: s.cid ?? s.receipt.model,
        score: r.score,
        earned: shares[i].toString(),
      })
      entry.earned = (BigInt(entry.earned) + shares[i]).toString()
      byRecord.set(key, entry)
    })
  }
  // The first published version of each datanet that holds the record.
  const versions = new Map<string, Array<Set<string>>>()
  for (const r of byRecord.values()) {
    if (!r.datanet) continue
    if (!versions.has(r.datanet)) {
      const list: Array<Set<string>> = []
      for (let v = 1; v < 10_000; v++) {
        try {
          list.push(
            new Set(
              (await loadDatanetVersion(r.datanet, {version: v, stateDir: p.stateDir})).records.map((x) => x.recordHash.toLowerCase()),
            ),
          )
        } catch {
          break
        }
      }
      versions.set(r.datanet, list)
    }
    const i = versions.get(r.datanet)!.findIndex((set) => set.has(r.recordHash.toLowerCase()))
    r.acceptedIn = i >= 0 ? {version: i + 1} : null
  }
  return {
    records: [...byRecord.values()].sort((a, b) => (BigInt(b.earned) > BigInt(a.earned) ? 1 : -1)),
    unmatched,
    earned: total.toString(),
  }
}
