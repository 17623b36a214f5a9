/** `datanet publish`: the next version of a datanet, paid for and recorded on-chain. */
import type {Hex} from 'viem'

import type {DatanetChain} from './chain.js'
import {DatanetIntegrityError, NothingToPublishError} from './errors.js'
import {dataUri, ensureRegistered} from './registration.js'
import {registryPublishFeePaid, registryPublishVersion, registryVersionEvents} from './registry.js'
import {DatanetStore} from './store.js'
import type {VersionInfo} from './types.js'

type Where = {stateDir?: string}

export type PublishResult = {
  name: string
  datanetId: string
  version: number
  /** The version number DatanetRegistry gave (equal to `version` unless the chain was reset). */
  chainVersion: number
  root: Hex
  records: number
  added: number
  byteSize: number
  fee: string
  txHash: Hex
  blockNumber: string
  /** The datanet was registered on-chain by this publish. */
  registered: boolean
  /** This run finished a publication an interrupted run had already sent (nothing paid twice). */
  resumed: boolean
}

/**
 * Publishes the next version: the latest version's records plus the staged ones, in that order.
 * Registers the datanet first if this chain does not know it, builds the Merkle tree, pays
 * versionFee (base + approved contribution records) with publishVersion, checks that the VersionPublished event carries
 * our root, then writes versions/<n>.jsonl (never to change) and empties the draft.
 */
export async function publishDatanet(p: Where & {name: string; chain: DatanetChain}): Promise<PublishResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  return store.locked(async () => {
    const m = store.readManifest()
    if (store.draftCount() === 0) throw new NothingToPublishError(p.name)
    // The version streamed to a temp file: its root, size and sha256, never held as one string.
    const staged = store.prepareVersion(m)
    const {root, byteSize, sha256} = staged
    const records = {length: staged.records}
    const draft = {length: staged.added}
    const {registered, chain} = await ensureRegistered(store, m, p.chain)
    const metadataURI = dataUri({format: 'openledger-datanet-version-v1', name: m.name, records: records.length, byteSize, sha256})
    // Resumable: a run that sent its transaction but stopped before writing the version locally
    // left a published version with this root that no local version accounts for. Finish that one
    // instead of publishing (and paying) again.
    const known = new Set(
      m.versions
        .filter(
          (v) =>
            v.chainId === p.chain.chainId && v.registry.toLowerCase() === p.chain.registry.toLowerCase() && v.datanetId === chain.datanetId,
        )
        .map((v) => v.chainVersion),
    )
    const earlier = (await registryVersionEvents(p.chain, BigInt(chain.datanetId))).find(
      (e) => e.root.toLowerCase() === root && !known.has(e.version),
    )
    const r = earlier
      ? {
          version: BigInt(earlier.version),
          root: earlier.root,
          fee: await registryPublishFeePaid(p.chain, earlier.txHash),
          txHash: earlier.txHash,
          blockNumber: earlier.blockNumber,
        }
      : await registryPublishVersion(p.chain, {
          datanetId: BigInt(chain.datanetId),
          root,
          recordCount: records.length,
          byteSize,
          metadataURI,
        })
    if (r.root.toLowerCase() !== root)
      throw new DatanetIntegrityError(`VersionPublished in ${r.txHash} carries root ${r.root}, not ${root}`)
    const version = (m.versions.at(-1)?.version ?? 0) + 1
    const file = staged.commit(version)
    const info: VersionInfo = {
      version,
      root,
      records: records.length,
      byteSize,
      file,
      sha256,
      added: draft.length,
      metadataURI,
      chainId: p.chain.chainId,
      registry: p.chain.registry,
      datanetId: chain.datanetId,
      chainVersion: Number(r.version),
      txHash: r.txHash,
      blockNumber: r.blockNumber.toString(),
      fee: r.fee.toString(),
      publishedAt: new Date().toISOString(),
    }
    m.versions.push(info)
    for (const source of m.sources) {
      if (!source.staged) continue
      delete source.staged
      source.publishedIn = version
    }
    store.writeManifest(m)
    store.clearDraft()
    return {
      name: p.name,
      datanetId: chain.datanetId,
      version,
      chainVersion: info.chainVersion,
      root,
      records: records.length,
      added: draft.length,
      byteSize,
      fee: info.fee,
      txHash: r.txHash,
      blockNumber: info.blockNumber,
      registered,
      resumed: Boolean(earlier),
    }
  })
}
