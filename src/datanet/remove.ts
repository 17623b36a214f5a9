/**
 * Taking staged records out of a datanet's draft: by record hash, by the records a file holds, or
 * everything one `datanet add` of a file staged (unstage). Published versions never change, so
 * only staged records can go; each call checks every record first and then writes one tombstone
 * (src/datanet/store.ts says why a tombstone), so it removes all it was asked to or nothing.
 */
import {existsSync, readFileSync, statSync} from 'node:fs'
import {resolve} from 'node:path'

import type {Address, Hex} from 'viem'

import {ExitCode, OpenledgerError, UsageError} from '../errors.js'
import {toHex} from './bytes.js'
import {DatanetIntegrityError, InvalidRecordFileError} from './errors.js'
import {Hash32Set} from './hash32-set.js'
import {collectFiles, ingestFile} from './ingest.js'
import {DatanetStore, recordKey, sha256Hex} from './store.js'
import type {DatanetManifest, DatanetRecord} from './types.js'

type Where = {stateDir?: string}

export type RemovedRecord = {recordHash: Hex; contributor: Address}

export type RemoveResult = {
  name: string
  /** The records taken out of the draft, in draft order. */
  removed: RemovedRecord[]
  /** Records staged after the removal. */
  staged: number
}

export type UnstageResult = RemoveResult & {
  /** The adds undone: the file as it was added, its sha256, and how many of its records were still staged (and are removed now). */
  sources: Array<{path: string; sha256: string; added: number}>
}

/** A record named for removal that is not staged: one line saying where it is instead. */
export class RecordNotStagedError extends OpenledgerError {
  override name = 'RecordNotStagedError'
  constructor(where: string, recordHash: string, name: string, published: number | undefined) {
    super(
      'E_RECORD_NOT_STAGED',
      `${where}record ${recordHash} is not staged in datanet "${name}"${published === undefined ? '' : `: it is in published version ${published}, which never changes`}`,
      {
        exitCode: ExitCode.usage,
        metaMessages: ['Nothing was removed. `openledger datanet records ' + name + ' --version draft` lists the staged records.'],
      },
    )
  }
}

export type RemoveRecordsParameters = Where & {
  name: string
  /** Record hashes (0x and 64 hex digits). */
  recordHashes?: string[]
  /** Files whose records (hashed as `datanet add` would) are to go. */
  files?: string[]
  /** The field holding each row's text, as given to `datanet add`. */
  textField?: string
}

/**
 * Removes staged records, named by hash and/or by files holding them. Every one must be staged:
 * the first that is not (unknown, or in a published version) refuses the whole call, naming it
 * (and the file and line it came from).
 */
export async function removeRecords(p: RemoveRecordsParameters): Promise<RemoveResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  const {modality} = store.readManifest()
  // Keys and where each was named, checked and read before taking the lock.
  const wanted: Array<{key: Uint8Array; hash: string; where: string}> = []
  for (const h of p.recordHashes ?? []) {
    const t = h.trim()
    if (!/^0x[0-9a-fA-F]{64}$/.test(t)) throw new UsageError(`recordHash "${h}" is not 0x and 64 hex digits`)
    wanted.push({key: recordKey(t.toLowerCase()), hash: t.toLowerCase(), where: ''})
  }
  if (p.files?.length) {
    const {files} = collectFiles(p.files, modality)
    // Rows are hashed as `add` hashes them; the contributor is not part of a record's hash.
    const opts = {modality, textField: p.textField, defaultContributor: ZERO_CONTRIBUTOR}
    for (const file of files) {
      const f = ingestFile(file, opts)
      if (f.records.length === 0) throw new InvalidRecordFileError(file, undefined, 'holds no records')
      f.records.forEach((r, i) => wanted.push({key: recordKey(r.recordHash), hash: r.recordHash, where: `${file}:${f.lines[i]}: `}))
    }
  }
  if (wanted.length === 0) throw new UsageError('name the records to remove: record hashes, or --file with a file holding them')
  return store.locked(() => {
    const m = store.readManifest()
    const staged = store.stagedKeys()
    let published: Hash32Set | undefined
    for (const w of wanted) {
      if (staged.has(w.key)) continue
      published ??= store.latestVersionKeys(m)
      throw new RecordNotStagedError(w.where, w.hash, p.name, published.has(w.key) ? m.versions.at(-1)?.version : undefined)
    }
    return removeKeys(
      store,
      m,
      wanted.map((w) => w.key),
    )
  })
}

/** The 20-byte placeholder contributor for rows hashed only to be found (it is not in the hash). */
const ZERO_CONTRIBUTOR = '0x0000000000000000000000000000000000000001' as Address

/**
 * Removes every record one file's `datanet add` staged that is still staged (all adds of it, when
 * it was added again with other content). The file is found by the path it was added as, or, when
 * it still exists, by its content.
 */
export async function unstageFile(p: Where & {name: string; file: string}): Promise<UnstageResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  store.readManifest()
  let sha256: string | undefined
  if (p.file !== '-' && existsSync(p.file) && statSync(p.file).isFile()) sha256 = sha256Hex(readFileSync(p.file))
  return store.locked(() => {
    const m = store.readManifest()
    const samePath = (path: string) => path === p.file || (p.file !== '-' && path !== '-' && resolve(path) === resolve(p.file))
    const matches = m.sources.filter((s) => samePath(s.path) || s.sha256 === sha256)
    if (matches.length === 0) {
      const staged = m.sources.filter((s) => s.staged).map((s) => s.path)
      throw new UsageError(`${p.file} was never added to datanet "${p.name}"`, {
        metaMessages: [staged.length ? `Files with staged records: ${staged.join(', ')}.` : 'No file has records staged.'],
      })
    }
    const undo = matches.filter((s) => s.staged?.length)
    if (undo.length === 0) {
      const version = matches.find((s) => s.publishedIn !== undefined)?.publishedIn
      throw new UsageError(
        version !== undefined
          ? `${p.file}: what it added was published in version ${version}, which never changes`
          : `${p.file}: nothing it added is staged (its records were already in datanet "${p.name}", or were removed)`,
      )
    }
    const staged = store.stagedKeys()
    const keys: Uint8Array[] = []
    const taken = new Hash32Set()
    const sources: UnstageResult['sources'] = []
    for (const s of undo) {
      let removed = 0
      for (const {segment, first, count} of s.staged!) {
        const seg = store.segmentKeys(segment)
        if (!seg || seg.length < (first + count) * 32) {
          throw new DatanetIntegrityError(`draft segment ${segment} of datanet "${p.name}" does not hold what ${s.path} added`)
        }
        for (let i = first; i < first + count; i++) {
          const key = seg.subarray(i * 32, (i + 1) * 32)
          // Removed since (by hash), or staged by this file twice: counted once.
          if (staged.has(key) && taken.add(key)) {
            keys.push(key)
            removed++
          }
        }
      }
      sources.push({path: s.path, sha256: s.sha256, added: removed})
    }
    for (const s of undo) m.sources.splice(m.sources.indexOf(s), 1)
    return {...removeKeys(store, m, keys), sources}
  })
}

/**
 * Writes the tombstone (the keys, deduplicated) and the manifest, and reads back what went: the
 * removed records in draft order. The tombstone first: a manifest still naming an unstaged file
 * only lets a later unstage find nothing more to remove.
 */
function removeKeys(store: DatanetStore, m: DatanetManifest, keys: Uint8Array[]): RemoveResult {
  const unique = new Map<string, Uint8Array>(keys.map((k) => [toHex(k), k]))
  const removed: RemovedRecord[] = []
  store.forEachDraftRecord((r: DatanetRecord) => {
    if (unique.has(r.recordHash.toLowerCase() as Hex)) removed.push({recordHash: r.recordHash, contributor: r.contributor})
  })
  const bytes = new Uint8Array(unique.size * 32)
  let i = 0
  for (const k of unique.values()) bytes.set(k, 32 * i++)
  store.removeFromDraft(bytes)
  store.writeManifest(m)
  return {name: store.name, removed, staged: store.draftCount()}
}
