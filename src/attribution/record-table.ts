/**
 * The training records behind an attribution's rows (record hash, contributor, datanet), without one
 * JavaScript object per record: 100k such objects cost about 20 MiB per loaded model, for data a
 * receipt reads 20 rows of. Three forms, one interface:
 *  - `arrayRecords`: a plain RecordMeta[] (small lists, callers that already hold one);
 *  - `PackedRecords`: hashes as one Uint8Array (32 bytes a record), contributors deduplicated and
 *    referenced by a Uint32Array index: about 36 bytes a record, in memory;
 *  - `FileRecords`: the same bytes kept in the model-state cache file (model-state-cache.ts) and
 *    read by position, so a loaded model holds only the deduplicated contributors. A file that has
 *    gone (cache cleared while a server runs) falls back to a packed copy rebuilt from the artifact.
 * Rows always read back exactly as training.json spelled them, so receipts are byte-identical
 * whichever form holds them.
 */
import {CorruptFileError} from '../store/atomic.js'
import {SafetensorsFile} from '../model/safetensors.js'
import type {RecordMeta} from './types.js'

/** Random access to a record list for the duration of one `access` call. */
export type RecordAccess = {
  /** Row i's record hash, as training.json spells it. */
  hash(i: number): string
  meta(i: number): RecordMeta
}

export interface RecordList {
  readonly length: number
  /** Runs `fn` with access to the rows; a list kept in a file opens it once for the whole call. */
  access<T>(fn: (at: RecordAccess) => T): T
  /** One row (a file-backed list opens its file for it: use `access` for many). */
  get(i: number): RecordMeta
}

/** A RecordMeta[] seen as a RecordList. */
export function arrayRecords(metas: RecordMeta[]): RecordList {
  const at: RecordAccess = {hash: (i) => metas[i].recordHash, meta: (i) => metas[i]}
  return {length: metas.length, access: (fn) => fn(at), get: (i) => metas[i]}
}

/** A list given either way, as a RecordList. */
export function asRecordList(records: RecordMeta[] | RecordList): RecordList {
  return Array.isArray(records) ? arrayRecords(records) : records
}

/** The bytes of a packed list, as stored: what `PackedRecords` holds and a cache file keeps. */
export type PackedRecordBytes = {
  /** N×32: each record hash's 32 bytes. */
  hashes: Uint8Array
  /** N: index into `contributors`. */
  contributorIds: Uint32Array
  /** The distinct contributors, each spelled as in training.json, in first-seen order. */
  contributors: string[]
}

const CANONICAL_HASH = /^0x[0-9a-f]{64}$/

/**
 * Packs entries whose hashes are all canonical (0x and 64 lowercase hex digits, as datanets write
 * them); undefined when one is not, since its spelling could not be rebuilt from its bytes.
 */
export function packRecords(entries: ReadonlyArray<{recordHash: string; contributor: string}>): PackedRecordBytes | undefined {
  const n = entries.length
  const hashes = new Uint8Array(n * 32)
  const contributorIds = new Uint32Array(n)
  const contributors: string[] = []
  const ids = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const {recordHash, contributor} = entries[i]
    if (!CANONICAL_HASH.test(recordHash)) return undefined
    hashes.set(Buffer.from(recordHash.slice(2), 'hex'), i * 32)
    let id = ids.get(contributor)
    if (id === undefined) {
      id = contributors.length
      ids.set(contributor, id)
      contributors.push(contributor)
    }
    contributorIds[i] = id
  }
  return {hashes, contributorIds, contributors}
}

/** Entries as the most compact in-memory list that reads them back exactly. */
export function recordListOf(entries: ReadonlyArray<{recordHash: string; contributor: string}>, datanet?: string): RecordList {
  const packed = packRecords(entries)
  if (packed) return new PackedRecords(packed, datanet)
  return arrayRecords(
    entries.map((e) => ({recordHash: e.recordHash, contributor: e.contributor, ...(datanet !== undefined ? {datanet} : {})})),
  )
}

const hexOf = (bytes: Uint8Array, at: number) => '0x' + Buffer.from(bytes.buffer, bytes.byteOffset + at, 32).toString('hex')

export class PackedRecords implements RecordList {
  readonly length: number
  private readonly at: RecordAccess

  constructor(
    readonly bytes: PackedRecordBytes,
    readonly datanet?: string,
  ) {
    this.length = bytes.contributorIds.length
    const {hashes, contributorIds, contributors} = bytes
    const hash = (i: number) => hexOf(hashes, i * 32)
    this.at = {
      hash,
      meta: (i) => ({recordHash: hash(i), contributor: contributors[contributorIds[i]], ...(datanet !== undefined ? {datanet} : {})}),
    }
  }

  access<T>(fn: (at: RecordAccess) => T): T {
    return fn(this.at)
  }

  get(i: number): RecordMeta {
    return this.at.meta(i)
  }
}

/** Where a packed list lies in a safetensors file: its two tensors and the file's cache key. */
export type RecordTensors = {path: string; key: string; hashes: string; contributorIds: string}

/**
 * A packed list read by position from a safetensors file (hashes N×32 U8, contributor ids N U32);
 * only the distinct contributors stay in memory. `rebuild` gives the list again should the file
 * be gone or replaced by another one (checked by the cache key in its metadata).
 */
export class FileRecords implements RecordList {
  private fallback?: RecordList

  constructor(
    readonly length: number,
    private readonly where: RecordTensors,
    private readonly contributors: string[],
    readonly datanet: string | undefined,
    private readonly rebuild: () => RecordList,
  ) {}

  access<T>(fn: (at: RecordAccess) => T): T {
    if (this.fallback) return this.fallback.access(fn)
    const file = this.open()
    if (!file) {
      this.fallback = this.rebuild()
      return this.fallback.access(fn)
    }
    try {
      const {hashes, contributorIds} = this.where
      const {contributors, datanet} = this
      const hash = (i: number) => hexOf(file.readBytes(hashes, i * 32, i * 32 + 32), 0)
      return fn({
        hash,
        meta: (i) => {
          const id = new Uint32Array(file.readBytes(contributorIds, i * 4, i * 4 + 4).buffer)[0]
          return {recordHash: hash(i), contributor: contributors[id], ...(datanet !== undefined ? {datanet} : {})}
        },
      })
    } finally {
      file.close()
    }
  }

  get(i: number): RecordMeta {
    return this.access((at) => at.meta(i))
  }

  private open(): SafetensorsFile | undefined {
    let file: SafetensorsFile
    try {
      file = SafetensorsFile.open(this.where.path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof CorruptFileError) return undefined
      throw err
    }
    const t = file.tensors.get(this.where.hashes)
    if (file.metadata.key !== this.where.key || !t || t.shape[0] !== this.length) {
      file.close()
      return undefined
    }
    return file
  }
}
