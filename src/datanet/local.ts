import {statSync} from 'node:fs'

import type {Address, Hex} from 'viem'

import {UsageError} from '../errors.js'
import {DatanetExistsError, DatanetIntegrityError, VersionNotFoundError} from './errors.js'
import type {Hash32Set} from './hash32-set.js'
import {FieldCheck, type NewField, fieldsOf} from './fields.js'
import {type IngestedFile, type RecordStream, collectFiles, ingestFile, ingestStream} from './ingest.js'
import {StreamFileWriter} from '../store/stream-writer.js'
import {type MerkleLeaf, MerkleTree} from './merkle.js'
import {DatanetStore, type DraftSegmentWriter, listDatanetNames, recordKey} from './store.js'
import {type DatanetManifest, type DatanetRecord, type Modality, MODALITIES, type RecordView, type VersionInfo} from './types.js'

type Where = {stateDir?: string}

export type CreateDatanetParameters = Where & {
  name: string
  summary?: string
  description?: string
  tags?: string[]
  modality?: Modality
}

/** Creates the local draft of a datanet (on-chain registration happens on publish, or with --onchain). */
export async function createDatanet(p: CreateDatanetParameters): Promise<DatanetManifest> {
  const store = new DatanetStore(p.name, p.stateDir)
  const modality = p.modality ?? 'text'
  if (!MODALITIES.includes(modality)) throw new UsageError(`unknown modality "${modality}": use ${MODALITIES.join(', ')}`)
  return store.locked(() => {
    if (store.exists()) throw new DatanetExistsError(p.name)
    const m: DatanetManifest = {
      format: 'openledger-datanet-v1',
      name: p.name,
      ...(p.summary ? {summary: p.summary} : {}),
      ...(p.description ? {description: p.description} : {}),
      tags: [...new Set((p.tags ?? []).map((t) => t.trim()).filter(Boolean))],
      modality,
      createdAt: new Date().toISOString(),
      versions: [],
      contributions: [],
      sources: [],
    }
    store.writeManifest(m)
    return m
  })
}

export type AddFileReport = {
  file: string
  sha256: string
  records: number
  added: number
  duplicates: number
  /** This exact file (same bytes) was added before. */
  alreadyAdded: boolean
}

export type AddResult = {
  name: string
  files: AddFileReport[]
  added: number
  duplicates: number
  /** Records staged for the next version, after this add. */
  staged: number
  /** Files under the given folders that are not of a type this datanet takes. */
  skipped: string[]
  /** Fields the datanet had never had, each where it first appeared (accepted: refused under `strictFields`). */
  newFields: NewField[]
}

export type AddToDatanetParameters = Where & {
  name: string
  /** Files or folders, and streams (stdin) in the order given. */
  paths: Array<string | RecordStream>
  /** Contributor of rows without their own `contributor` field. */
  contributor: Address
  /** The field holding each row's text (stored as `text`). */
  textField?: string
  /** Refuse records with a field the datanet's records never had (else accept and report it). */
  strictFields?: boolean
  /** Called before each file is read and once at the end (files done, records staged so far). */
  onProgress?: (p: AddProgress) => void
}

export type AddProgress = {file?: string; filesDone: number; files: number; bytesDone: number; bytes: number; added: number}

/**
 * Stages the records that are not in the datanet yet, as one new draft segment: a record is a
 * duplicate when its hash is in the latest version, the draft, or earlier in this add (the first
 * contributor keeps it). Files are read, validated and hashed one at a time into the segment; the
 * first bad one (InvalidRecordFileError naming file and line) drops the segment, leaving the
 * datanet as it was. The cost is the files' plus reading the hashes already there (32 bytes a
 * record), not rewriting the draft.
 */
export async function addToDatanet(p: AddToDatanetParameters): Promise<AddResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  const {modality} = store.readManifest()
  // Folders are walked now, streams keep their place among the files.
  const inputs: Array<string | RecordStream> = []
  const skipped: string[] = []
  for (const x of p.paths) {
    if (typeof x !== 'string') inputs.push(x)
    else {
      const c = collectFiles([x], modality)
      inputs.push(...c.files.filter((f) => !inputs.includes(f)))
      skipped.push(...c.skipped)
    }
  }
  const opts = {modality, textField: p.textField, defaultContributor: p.contributor}
  return store.locked(() => {
    const m = store.readManifest()
    const known = store.knownKeys(m)
    const fields = new FieldCheck(m.fields ?? datanetFields(store, m), p.strictFields ?? false, p.name)
    const segment = store.draftAppender()
    const reports: Array<AddFileReport & {first: number}> = []
    const sizes = p.onProgress ? inputs.map((x) => (typeof x === 'string' ? statSync(x).size : x.bytes.length)) : []
    const bytes = sizes.reduce((a, b) => a + b, 0)
    let bytesDone = 0
    const addedSoFar = () => reports.reduce((sum, r) => sum + r.added, 0)
    try {
      for (const [i, input] of inputs.entries()) {
        const file = typeof input === 'string' ? input : input.name
        p.onProgress?.({file, filesDone: i, files: inputs.length, bytesDone, bytes, added: addedSoFar()})
        const f = typeof input === 'string' ? ingestFile(input, opts) : ingestStream(input, opts)
        f.records.forEach((r, i) => fields.check(r, f.path, f.lines[i]))
        reports.push(stage(f, known, segment))
        bytesDone += sizes[i] ?? 0
        // Blobs are named by their content: one left by an add that fails later is harmless.
        if (f.blob) store.writeBlob(f.blob.name, f.blob.data)
      }
    } catch (err) {
      segment.abort()
      throw err
    }
    const added = reports.reduce((s, r) => s + r.added, 0)
    p.onProgress?.({filesDone: inputs.length, files: inputs.length, bytesDone, bytes, added})
    if (added > 0) segment.commit()
    else segment.abort()
    const at = new Date().toISOString()
    for (const r of reports) {
      const prev = m.sources.find((s) => s.sha256 === r.sha256)
      r.alreadyAdded ||= prev !== undefined
      // Where its records went, for `datanet unstage`: a file added again after some of its records
      // were removed stages those anew, in another range.
      const range = {segment: segment.seq, first: r.first, count: r.added}
      if (!prev)
        m.sources.push({sha256: r.sha256, path: r.file, records: r.records, added: r.added, at, ...(r.added > 0 ? {staged: [range]} : {})})
      else if (r.added > 0) Object.assign(prev, {path: r.file, added: prev.added + r.added, at, staged: [...(prev.staged ?? []), range]})
    }
    m.fields = fields.fields()
    store.writeManifest(m)
    return {
      name: p.name,
      files: reports.map(({first: _, ...r}) => r),
      added,
      duplicates: reports.reduce((s, r) => s + r.duplicates, 0),
      staged: store.draftCount(),
      skipped,
      newFields: fields.newFields,
    }
  })
}

/** The field names of a datanet's records (latest version and draft), for manifests from before `fields`. */
function datanetFields(store: DatanetStore, m: DatanetManifest): string[] {
  return fieldsOf((fn) => {
    const last = m.versions.at(-1)
    if (last) store.forEachVersionRecord(last, fn)
    store.forEachDraftRecord(fn)
  })
}

function stage(f: IngestedFile, known: Hash32Set, segment: DraftSegmentWriter): AddFileReport & {first: number} {
  let added = 0
  const first = segment.records
  const key = new Uint8Array(32)
  for (const r of f.records) {
    recordKey(r.recordHash, key)
    if (!known.add(key)) continue
    segment.append(r, key)
    added++
  }
  return {
    file: f.path,
    sha256: f.sha256,
    records: f.records.length,
    added,
    duplicates: f.records.length - added,
    alreadyAdded: false,
    first,
  }
}

/** Hashes already in the datanet: its latest version and its draft (as lowercase hex; `store.knownKeys` gives bytes). */
export function knownHashes(store: DatanetStore, m: DatanetManifest, draft: DatanetRecord[]): Set<string> {
  const known = new Set<string>()
  if (m.versions.length) store.forEachVersionRecord(m.versions.at(-1)!, (r) => known.add(r.recordHash.toLowerCase()))
  for (const r of draft) known.add(r.recordHash.toLowerCase())
  return known
}

export const leavesOf = (records: DatanetRecord[]): MerkleLeaf[] => records.map((r) => [r.recordHash, r.contributor] as const)

export type LoadedDatanetVersion = {
  name: string
  datanetId: string | undefined
  version: number | 'draft'
  root: Hex
  records: DatanetRecord[]
}

export type LoadDatanetVersionOptions = {version?: number; stateDir?: string; allowDraft?: boolean}

/**
 * The records of a published version (the latest by default), checked against the version's
 * sha256 and Merkle root. With `allowDraft` and no published version (or `version` unset and a
 * draft staged), the draft: the latest version plus the staged records, with its would-be root.
 */
export async function loadDatanetVersion(name: string, opts: LoadDatanetVersionOptions = {}): Promise<LoadedDatanetVersion> {
  const store = new DatanetStore(name, opts.stateDir)
  const m = store.readManifest()
  if (opts.allowDraft && opts.version === undefined) {
    if (store.draftCount() > 0 || m.versions.length === 0) {
      const records = m.versions.length ? store.readVersion(m.versions.at(-1)!) : []
      store.forEachDraftRecord((r) => records.push(r))
      if (records.length === 0) throw new VersionNotFoundError(name, 'draft', [])
      return {name, datanetId: m.chain?.datanetId, version: 'draft', root: MerkleTree.of(leavesOf(records)).root, records}
    }
  }
  const info = store.versionInfo(m, opts.version)
  const records = store.readVersion(info)
  const root = MerkleTree.of(leavesOf(records)).root
  if (root !== info.root.toLowerCase()) {
    throw new DatanetIntegrityError(
      `version ${info.version} of datanet "${name}" does not match its root (${info.root}; the records give ${root})`,
    )
  }
  return {name, datanetId: info.datanetId ?? m.chain?.datanetId, version: info.version, root, records}
}

export function recordView(r: DatanetRecord): RecordView {
  return {recordHash: r.recordHash, contributor: r.contributor, ...r.fields}
}

export type VersionSelector = number | 'draft' | undefined

function parseSelector(v: string | number | undefined): VersionSelector {
  if (v === undefined || v === 'latest') return undefined
  if (v === 'draft') return 'draft'
  const n = typeof v === 'number' ? v : Number(v)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`invalid version "${v}": use a version number, latest or draft`)
  return n
}

/** A version by number, `latest` (default) or `draft`. */
export async function loadSelected(name: string, version: string | number | undefined, stateDir?: string): Promise<LoadedDatanetVersion> {
  const sel = parseSelector(version)
  return sel === 'draft' ? loadDatanetVersion(name, {stateDir, allowDraft: true}) : loadDatanetVersion(name, {stateDir, version: sel})
}

export async function datanetRecords(p: Where & {name: string; version?: string | number}): Promise<RecordView[]> {
  return (await loadSelected(p.name, p.version, p.stateDir)).records.map(recordView)
}

export type ProofResult = {
  name: string
  datanetId?: string
  version: number | 'draft'
  root: Hex
  leaf: [Hex, Address]
  proof: Hex[]
  leafEncoding: ['bytes32', 'address']
}

/** The Merkle proof of one record (by hash) in a version, as StandardMerkleTree.getProof gives it. */
export async function datanetProof(p: Where & {name: string; recordHash: string; version?: string | number}): Promise<ProofResult> {
  const v = await loadSelected(p.name, p.version, p.stateDir)
  const want = p.recordHash.toLowerCase()
  const index = v.records.findIndex((r) => r.recordHash.toLowerCase() === want)
  if (index < 0) throw new UsageError(`record ${p.recordHash} is not in version ${v.version} of datanet "${p.name}"`)
  const tree = MerkleTree.of(leavesOf(v.records))
  const r = v.records[index]
  return {
    name: p.name,
    ...(v.datanetId ? {datanetId: v.datanetId} : {}),
    version: v.version,
    root: tree.root,
    leaf: [r.recordHash, r.contributor],
    proof: tree.proof(index),
    leafEncoding: ['bytes32', 'address'],
  }
}

export type ExportResult = {name: string; version: number | 'draft'; root: Hex; records: number; format: 'jsonl'; out?: string}

const exportLine = (r: DatanetRecord) => JSON.stringify({...r.fields, contributor: r.contributor}) + '\n'

/**
 * JSONL with one line per record, `{...fields, "contributor"}`: the form `datanet add` reads, so an
 * export re-imports to the same record hashes. With `out`, streamed to that file (atomically);
 * with `write`, line by line to it (stdout); otherwise returned as `text`.
 */
export async function exportDatanet(
  p: Where & {name: string; version?: string | number; out?: string; write?: (line: string) => void},
): Promise<ExportResult & {text: string}> {
  const v = await loadSelected(p.name, p.version, p.stateDir)
  let text = ''
  if (p.out) {
    const w = new StreamFileWriter(p.out)
    try {
      for (const r of v.records) w.writeText(exportLine(r))
    } catch (err) {
      w.abort()
      throw err
    }
    w.commit()
  } else if (p.write) {
    for (const r of v.records) p.write(exportLine(r))
  } else {
    for (const r of v.records) text += exportLine(r)
  }
  return {name: p.name, version: v.version, root: v.root, records: v.records.length, format: 'jsonl', ...(p.out ? {out: p.out} : {}), text}
}

export type DiffResult = {
  name: string
  from: {version: number | 'draft'; root: Hex; records: number}
  to: {version: number | 'draft'; root: Hex; records: number}
  added: RecordView[]
  removed: RecordView[]
  unchanged: number
}

export async function diffVersions(p: Where & {name: string; from: string | number; to: string | number}): Promise<DiffResult> {
  const a = await loadSelected(p.name, p.from, p.stateDir)
  const b = await loadSelected(p.name, p.to, p.stateDir)
  const key = (r: DatanetRecord) => `${r.recordHash.toLowerCase()}:${r.contributor.toLowerCase()}`
  const inA = new Set(a.records.map(key))
  const inB = new Set(b.records.map(key))
  return {
    name: p.name,
    from: {version: a.version, root: a.root, records: a.records.length},
    to: {version: b.version, root: b.root, records: b.records.length},
    added: b.records.filter((r) => !inA.has(key(r))).map(recordView),
    removed: a.records.filter((r) => !inB.has(key(r))).map(recordView),
    unchanged: b.records.filter((r) => inA.has(key(r))).length,
  }
}

export type DatanetSummary = {
  name: string
  modality: Modality
  summary?: string
  tags: string[]
  datanetId?: string
  versions: number
  latest?: {version: number; root: Hex; records: number}
  staged: number
  pendingContributions: number
}

function summarize(store: DatanetStore, m: DatanetManifest): DatanetSummary {
  const last = m.versions.at(-1)
  return {
    name: m.name,
    modality: m.modality,
    ...(m.summary ? {summary: m.summary} : {}),
    tags: m.tags,
    ...(m.chain ? {datanetId: m.chain.datanetId} : {}),
    versions: m.versions.length,
    ...(last ? {latest: {version: last.version, root: last.root, records: last.records}} : {}),
    staged: store.draftCount(),
    pendingContributions: m.contributions.filter((c) => c.status === 'pending').length,
  }
}

export async function listDatanets(p: Where = {}): Promise<DatanetSummary[]> {
  return listDatanetNames(p.stateDir).map((name) => {
    const store = new DatanetStore(name, p.stateDir)
    return summarize(store, store.readManifest())
  })
}

export type ShowResult = DatanetSummary & {
  description?: string
  createdAt: string
  chain?: DatanetManifest['chain']
  versionHistory: VersionInfo[]
  contributions: DatanetManifest['contributions']
}

export async function showDatanet(p: Where & {name: string}): Promise<ShowResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  const m = store.readManifest()
  return {
    ...summarize(store, m),
    ...(m.description ? {description: m.description} : {}),
    createdAt: m.createdAt,
    ...(m.chain ? {chain: m.chain} : {}),
    versionHistory: m.versions,
    contributions: m.contributions,
  }
}
