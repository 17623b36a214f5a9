/** `datanet contribute`: a public contribution submitted for review. */
import type {Address, Hex} from 'viem'

import {UsageError} from '../errors.js'
import type {DatanetChain} from './chain.js'
import {ingestPaths} from './ingest.js'
import {knownHashes, leavesOf} from './local.js'
import {MerkleTree} from './merkle.js'
import {requireOnChain} from './registration.js'
import {registrySubmitContribution} from './registry.js'
import {DatanetStore} from './store.js'
import type {ContributionInfo} from './types.js'

type Where = {stateDir?: string}

export type ContributeResult = {
  name: string
  datanetId: string
  contributionId: string
  contributor: Address
  contentRoot: Hex
  records: number
  duplicates: number
  uri: string
  txHash: Hex
}

/**
 * A public contribution: the signer's own records (rows naming another contributor are refused),
 * less those already in the datanet, submitted with their Merkle root. The records wait in
 * contributions/<root>.jsonl until the owner or a curator reviews them.
 */
export async function contributeToDatanet(
  p: Where & {name: string; paths: string[]; chain: DatanetChain; textField?: string},
): Promise<ContributeResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  const signer = p.chain.walletClient.account.address
  const first = store.readManifest()
  requireOnChain(first, p.chain)
  const {files} = ingestPaths(p.paths, {
    modality: first.modality,
    textField: p.textField,
    defaultContributor: signer,
    requireContributor: signer,
  })
  return store.locked(async () => {
    const m = store.readManifest()
    const c = requireOnChain(m, p.chain)
    const known = knownHashes(store, m, store.readDraft())
    const records = []
    let total = 0
    for (const f of files) {
      for (const r of f.records) {
        total++
        const k = r.recordHash.toLowerCase()
        if (known.has(k)) continue
        known.add(k)
        records.push(r)
      }
      if (f.blob) store.writeBlob(f.blob.name, f.blob.data)
    }
    if (records.length === 0) throw new UsageError(`nothing to contribute: all ${total} records are already in datanet "${p.name}"`)
    const contentRoot = MerkleTree.of(leavesOf(records)).root
    const file = store.writeContribution(contentRoot, records)
    const uri = `openledger:datanet/${p.name}/${file}`
    const r = await registrySubmitContribution(p.chain, {datanetId: BigInt(c.datanetId), contentRoot, recordCount: records.length, uri})
    const info: ContributionInfo = {
      id: r.contributionId.toString(),
      contributor: signer,
      contentRoot,
      records: records.length,
      uri,
      file,
      txHash: r.txHash,
      status: 'pending',
    }
    m.contributions = m.contributions.filter((x) => x.id !== info.id)
    m.contributions.push(info)
    store.writeManifest(m)
    return {
      name: p.name,
      datanetId: c.datanetId,
      contributionId: info.id,
      contributor: signer,
      contentRoot,
      records: records.length,
      duplicates: total - records.length,
      uri,
      txHash: r.txHash,
    }
  })
}
