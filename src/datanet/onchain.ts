import type {Address, Hex} from 'viem'

import {UsageError} from '../errors.js'
import {canonicalJson} from './canonical-json.js'
import {DatanetIntegrityError, NothingToPublishError, NotOnChainError} from './errors.js'
import {ingestPaths} from './ingest.js'
import {knownHashes, leavesOf} from './local.js'
import {MerkleTree} from './merkle.js'
import {
  type ContributionEvent,
  type RegistryContext,
  type SignedRegistryContext,
  registryContributions,
  registryCreateDatanet,
  registryGetDatanet,
  registryPublishFeePaid,
  registryPublishVersion,
  registryReviewContribution,
  registrySetCurator,
  registrySubmitContribution,
  registryVersionEvents,
} from './registry.js'
import {DatanetStore, serializeRecords, sha256Hex} from './store.js'
import {type ContributionInfo, type DatanetManifest, MODALITY_CODE, type OnChainDatanet, type VersionInfo} from './types.js'

type Where = {stateDir?: string}

/** The registry on one chain, with the chain id the manifest records. */
export type DatanetChain = SignedRegistryContext & {chainId: number}

const dataUri = (value: unknown) => `data:application/json,${encodeURIComponent(canonicalJson(value))}`

function datanetMetadataURI(m: DatanetManifest): string {
  return dataUri({description: m.description ?? '', summary: m.summary ?? '', tags: m.tags})
}

/** Whether the manifest's registration is one this chain knows (a devnet reset forgets it). */
async function isRegisteredHere(chain: DatanetChain, m: DatanetManifest): Promise<boolean> {
  const c = m.chain
  if (!c || c.chainId !== chain.chainId || c.registry.toLowerCase() !== chain.registry.toLowerCase()) return false
  try {
    const d = await registryGetDatanet(chain, BigInt(c.datanetId))
    return d.owner.toLowerCase() === c.owner.toLowerCase() && d.name === m.name
  } catch {
    return false
  }
}

/** Registers the datanet on-chain unless this chain's registry already has it. */
async function ensureRegistered(store: DatanetStore, m: DatanetManifest, chain: DatanetChain): Promise<{registered: boolean; chain: OnChainDatanet}> {
  if (await isRegisteredHere(chain, m)) return {registered: false, chain: m.chain!}
  const metadataURI = datanetMetadataURI(m)
  const r = await registryCreateDatanet(chain, {name: m.name, metadataURI, modality: MODALITY_CODE[m.modality]})
  m.chain = {chainId: chain.chainId, registry: chain.registry, datanetId: r.datanetId.toString(), owner: r.owner, txHash: r.txHash, metadataURI}
  store.writeManifest(m)
  return {registered: true, chain: m.chain}
}

export type RegisterResult = {name: string; datanetId: string; owner: Address; txHash: Hex; registered: boolean}

/** `datanet create --onchain`: registers now, so that the public can contribute before a first version. */
export async function registerDatanet(p: Where & {name: string; chain: DatanetChain}): Promise<RegisterResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  return store.locked(async () => {
    const m = store.readManifest()
    const {registered, chain} = await ensureRegistered(store, m, p.chain)
    return {name: p.name, datanetId: chain.datanetId, owner: chain.owner, txHash: chain.txHash, registered}
  })
}

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
 * publishFee(byteSize, records) with publishVersion, checks that the VersionPublished event carries
 * our root, then writes versions/<n>.jsonl (never to change) and empties the draft.
 */
export async function publishDatanet(p: Where & {name: string; chain: DatanetChain}): Promise<PublishResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  return store.locked(async () => {
    const m = store.readManifest()
    const draft = store.readDraft()
    if (draft.length === 0) throw new NothingToPublishError(p.name)
    const previous = m.versions.length ? store.readVersion(m.versions.at(-1)!) : []
    const records = [...previous, ...draft]
    const root = MerkleTree.of(leavesOf(records)).root
    const content = serializeRecords(records)
    const byteSize = Buffer.byteLength(content)
    const sha256 = sha256Hex(content)
    const {registered, chain} = await ensureRegistered(store, m, p.chain)
    const metadataURI = dataUri({format: 'openledger-datanet-version-v1', name: m.name, records: records.length, byteSize, sha256})
    // Resumable: a run that sent its transaction but stopped before writing the version locally
    // left a published version with this root that no local version accounts for. Finish that one
    // instead of publishing (and paying) again.
    const known = new Set(
      m.versions
        .filter((v) => v.chainId === p.chain.chainId && v.registry.toLowerCase() === p.chain.registry.toLowerCase() && v.datanetId === chain.datanetId)
        .map((v) => v.chainVersion),
    )
    const earlier = (await registryVersionEvents(p.chain, BigInt(chain.datanetId))).find((e) => e.root.toLowerCase() === root && !known.has(e.version))
    const r = earlier
      ? {version: BigInt(earlier.version), root: earlier.root, fee: await registryPublishFeePaid(p.chain, earlier.txHash), txHash: earlier.txHash, blockNumber: earlier.blockNumber}
      : await registryPublishVersion(p.chain, {datanetId: BigInt(chain.datanetId), root, recordCount: records.length, byteSize, metadataURI})
    if (r.root.toLowerCase() !== root) throw new DatanetIntegrityError(`VersionPublished in ${r.txHash} carries root ${r.root}, not ${root}`)
    const version = (m.versions.at(-1)?.version ?? 0) + 1
    const file = store.writeVersionFile(version, content)
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
    store.writeManifest(m)
    store.writeDraft([])
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

function requireOnChain(m: DatanetManifest, chain: DatanetChain): OnChainDatanet {
  const c = m.chain
  if (!c || c.chainId !== chain.chainId || c.registry.toLowerCase() !== chain.registry.toLowerCase()) throw new NotOnChainError(m.name)
  return c
}

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
export async function contributeToDatanet(p: Where & {name: string; paths: string[]; chain: DatanetChain; textField?: string}): Promise<ContributeResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  const signer = p.chain.walletClient.account.address
  const first = store.readManifest()
  requireOnChain(first, p.chain)
  const {files} = ingestPaths(p.paths, {modality: first.modality, textField: p.textField, defaultContributor: signer, requireContributor: signer})
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
    return {name: p.name, datanetId: c.datanetId, contributionId: info.id, contributor: signer, contentRoot, records: records.length, duplicates: total - records.length, uri, txHash: r.txHash}
  })
}

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

function parseIds(ids: string[] | undefined, flag: string): bigint[] {
  const out: bigint[] = []
  for (const part of (ids ?? []).flatMap((s) => s.split(','))) {
    const t = part.trim()
    if (t === '') continue
    if (!/^\d+$/.test(t) || t === '0') throw new UsageError(`${flag} ${t}: not a contribution id (a positive integer)`)
    out.push(BigInt(t))
  }
  return out
}

/**
 * Lists a datanet's contributions (from the chain's events) and, given ids, approves or rejects
 * them on-chain as the owner or a curator. An approval stages the contribution's records (after
 * checking them against the submitted content root) for the next `datanet publish`.
 * Every id is checked before any transaction is sent.
 */
export async function reviewContributions(p: Where & {name: string; approve?: string[]; reject?: string[]; chain: DatanetChain}): Promise<ReviewResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  const approve = parseIds(p.approve, '--approve')
  const reject = parseIds(p.reject, '--reject')
  const both = approve.filter((a) => reject.includes(a))
  if (both.length) throw new UsageError(`contribution ${both[0]} is both approved and rejected`)
  return store.locked(async () => {
    const m = store.readManifest()
    const c = requireOnChain(m, p.chain)
    const datanetId = BigInt(c.datanetId)
    const events = await registryContributions(p.chain, datanetId)
    const byId = new Map(events.map((e) => [e.contributionId, e]))
    const plan: Array<{e: ContributionEvent; approve: boolean; records?: ReturnType<DatanetStore['readDraft']>}> = []
    for (const [ids, ok] of [[approve, true], [reject, false]] as const) {
      for (const id of ids) {
        const e = byId.get(id)
        if (!e) throw new UsageError(`datanet "${p.name}" has no contribution ${id}`)
        if (e.status !== 'pending') throw new UsageError(`contribution ${id} is already ${e.status}`)
        let records
        if (ok) {
          records = store.readContribution(store.contributionPath(e.contentRoot))
          if (!records) throw new UsageError(`contribution ${id}: its records (${store.contributionPath(e.contentRoot)}) are not in this folder`)
          const root = MerkleTree.of(leavesOf(records)).root
          if (root !== e.contentRoot.toLowerCase() || BigInt(records.length) !== e.recordCount) {
            throw new DatanetIntegrityError(`contribution ${id}: the local records give root ${root} (${records.length} records), not the submitted ${e.contentRoot} (${e.recordCount})`)
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
        const draft = store.readDraft()
        const known = knownHashes(store, m, draft)
        for (const rec of step.records) {
          if (known.has(rec.recordHash.toLowerCase())) duplicates++
          else {
            known.add(rec.recordHash.toLowerCase())
            draft.push(rec)
            staged++
          }
        }
        store.writeDraft(draft)
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

export type OnChainState = {
  datanetId: string
  owner: Address
  versionCount: number
  /** Each VersionPublished event, and whether its root is the local version's. */
  versions: Array<{version: number; root: Hex; records: number; txHash: Hex; matchesLocal: boolean | null}>
}

/** What the registry says about a datanet, compared with the local versions. */
export async function onChainState(p: Where & {name: string; chain: RegistryContext & {chainId: number}}): Promise<OnChainState | undefined> {
  const store = new DatanetStore(p.name, p.stateDir)
  const m = store.readManifest()
  const c = m.chain
  if (!c || c.chainId !== p.chain.chainId || c.registry.toLowerCase() !== p.chain.registry.toLowerCase()) return undefined
  const d = await registryGetDatanet(p.chain, BigInt(c.datanetId))
  const events = await registryVersionEvents(p.chain, BigInt(c.datanetId))
  return {
    datanetId: c.datanetId,
    owner: d.owner,
    versionCount: Number(d.versionCount),
    versions: events.map((e) => {
      const local = m.versions.find((v) => v.chainVersion === e.version && v.datanetId === c.datanetId)
      return {version: e.version, root: e.root, records: Number(e.recordCount), txHash: e.txHash, matchesLocal: local ? local.root.toLowerCase() === e.root.toLowerCase() : null}
    }),
  }
}

export type CuratorResult = {name: string; datanetId: string; curator: Address; enabled: boolean; txHash: Hex}

/**
 * Adds or removes a curator: an address that may review contributions and publish versions of the
 * datanet. Only its owner may; the registry refuses anyone else (NotDatanetOwner).
 */
export async function setDatanetCurator(p: Where & {name: string; curator: Address; enabled: boolean; chain: DatanetChain}): Promise<CuratorResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  const c = requireOnChain(store.readManifest(), p.chain)
  const r = await registrySetCurator(p.chain, {datanetId: BigInt(c.datanetId), curator: p.curator, enabled: p.enabled})
  return {name: p.name, datanetId: c.datanetId, curator: p.curator, enabled: p.enabled, txHash: r.txHash}
}
