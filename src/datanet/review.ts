/** `datanet review`: listing contributions and approving or rejecting them on-chain. */
import type {Address, Hex} from 'viem'

import {UsageError} from '../errors.js'
import type {DatanetChain} from './chain.js'
import {DatanetIntegrityError} from './errors.js'
import {knownHashes, leavesOf} from './local.js'
import {MerkleTree} from './merkle.js'
import {requireOnChain} from './registration.js'
import {type ContributionEvent, registryContributions, registryReviewContribution} from './registry.js'
import {DatanetStore} from './store.js'

type Where = {stateDir?: string}

export type ContributionView = {
  id: string
  contributor: Address
  contentRoot: Hex
  records: number
  uri: string
  status: 'pending' | 'approved' | 'rejected'
  txHash: Hex
  reviewer?: Address
  reviewTxHash?: Hex
  /** Whether this folder holds the contribution's records (needed to approve it). */
  local: boolean
}

export type ReviewResult = {
  name: string
  datanetId: string
  reviewed: Array<{id: string; approved: boolean; staged: number; duplicates: number; txHash: Hex}>
  contributions: ContributionView[]
}

/**
 * Lists a datanet's contributions (from the chain's events) and, given ids, approves or rejects
 * them on-chain as the owner or a curator. An approval stages the contribution's records (after
 * checking them against the submitted content root) for the next `datanet publish`.
 * Every id is checked before any transaction is sent.
 */
export async function reviewContributions(
  p: Where & {name: string; approve?: readonly bigint[]; reject?: readonly bigint[]; chain: DatanetChain},
): Promise<ReviewResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  const approve = p.approve ?? []
  const reject = p.reject ?? []
  const both = approve.filter((a) => reject.includes(a))
  if (both.length) throw new UsageError(`contribution ${both[0]} is both approved and rejected`)
  return store.locked(async () => {
    const m = store.readManifest()
    const c = requireOnChain(m, p.chain)
    const datanetId = BigInt(c.datanetId)
    const events = await registryContributions(p.chain, datanetId)
    const byId = new Map(events.map((e) => [e.contributionId, e]))
    const plan: Array<{e: ContributionEvent; approve: boolean; records?: ReturnType<DatanetStore['readDraft']>}> = []
    for (const [ids, ok] of [
      [approve, true],
      [reject, false],
    ] as const) {
      for (const id of ids) {
        const e = byId.get(id)
        if (!e) throw new UsageError(`datanet "${p.name}" has no contribution ${id}`)
        if (e.status !== 'pending') throw new UsageError(`contribution ${id} is already ${e.status}`)
        let records
        if (ok) {
          records = store.readContribution(store.contributionPath(e.contentRoot))
          if (!records)
            throw new UsageError(`contribution ${id}: its records (${store.contributionPath(e.contentRoot)}) are not in this folder`)
          const root = MerkleTree.of(leavesOf(records)).root
          if (root !== e.contentRoot.toLowerCase() || BigInt(records.length) !== e.recordCount) {
            throw new DatanetIntegrityError(
              `contribution ${id}: the local records give root ${root} (${records.length} records), not the submitted ${e.contentRoot} (${e.recordCount})`,
            )
          }
          if (records.some((r) => r.contributor.toLowerCase() !== e.contributor.toLowerCase())) {
            throw new DatanetIntegrityError(`contribution ${id}: a record names a contributor other than ${e.contributor}`)
          }
        }
        plan.push({e, approve: ok, records})
      }
    }
    const reviewed: ReviewResult['reviewed'] = []
    for (const step of plan) {
      const r = await registryReviewContribution(p.chain, {datanetId, contributionId: step.e.contributionId, approve: step.approve})
      let staged = 0
      let duplicates = 0
      if (step.approve && step.records) {
        const known = knownHashes(store, m, store.readDraft())
        const fresh = []
        for (const rec of step.records) {
          if (known.has(rec.recordHash.toLowerCase())) duplicates++
          else {
            known.add(rec.recordHash.toLowerCase())
            fresh.push(rec)
            staged++
          }
        }
        store.appendDraft(fresh)
        // Their fields are the datanet's now: the next `datanet add` does not call them new.
        if (m.fields) m.fields = [...new Set([...m.fields, ...fresh.flatMap((x) => Object.keys(x.fields))])].sort()
      }
      step.e.status = step.approve ? 'approved' : 'rejected'
      step.e.reviewTxHash = r.txHash
      const id = step.e.contributionId.toString()
      const local = m.contributions.find((x) => x.id === id)
      if (local) Object.assign(local, {status: step.e.status, reviewTxHash: r.txHash, ...(step.approve ? {staged} : {})})
      store.writeManifest(m)
      reviewed.push({id, approved: step.approve, staged, duplicates, txHash: r.txHash})
    }
    return {name: p.name, datanetId: c.datanetId, reviewed, contributions: events.map((e) => contributionView(store, e))}
  })
}

function contributionView(store: DatanetStore, e: ContributionEvent): ContributionView {
  return {
    id: e.contributionId.toString(),
    contributor: e.contributor,
    contentRoot: e.contentRoot,
    records: Number(e.recordCount),
    uri: e.uri,
    status: e.status,
    txHash: e.txHash,
    ...(e.reviewer ? {reviewer: e.reviewer} : {}),
    ...(e.reviewTxHash ? {reviewTxHash: e.reviewTxHash} : {}),
    local: store.readContribution(store.contributionPath(e.contentRoot)) !== undefined,
  }
}
