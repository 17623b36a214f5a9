import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {basename, join} from 'node:path'

import {UsageError} from '../errors.js'
import {CorruptFileError, readJsonFile, writeFileAtomic, writeJsonAtomic} from '../store/atomic.js'
import {withLock} from '../store/lock.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {DatanetIntegrityError, DatanetNotFoundError, VersionNotFoundError} from './errors.js'
import {Hash32Set} from './hash32-set.js'
import {StreamFileWriter} from '../store/stream-writer.js'
import {forEachLine} from './lines.js'
import {leafHashInto, merkleRootInPlace} from './merkle.js'
import type {DatanetManifest, DatanetRecord, VersionInfo} from './types.js'

/**
 * Local datanet state, one folder per datanet:
 *
 *   .openledger/datanets/<name>/
 *     datanet.json             the manifest: metadata, on-chain id, versions (root, sha256), contributions
 *     draft/<seq>.jsonl        records staged since the last version, one segment per add (append-only)
 *     draft/<seq>.keys         their record hashes, 32 bytes each (what the next add checks duplicates against)
 *     draft/<seq>.removed      hashes of staged records removed (`datanet remove`/`unstage`), 32 bytes each
 *     versions/<n>.jsonl       the records of version n, written once (O_EXCL) and never changed
 *     versions/<n>.keys        its record hashes, 32 bytes each
 *     contributions/<root>.jsonl  records of a public contribution, by content root
 *     blobs/<keccak256>.<ext>  media files of image and audio datanets
 *     .lock                    held by the process changing this datanet
 *
 * Every file is written atomically (temp file, fsync, rename) and read line by line, never as one
 * string: an add costs what it adds (one new segment, the hashes of what is there), and a version
 * of any size is built by streaming the previous one and the draft segments into it, hashing and
 * collecting Merkle leaves on the way. A record line is `{"recordHash","contributor","fields"}`.
 * (A `draft.jsonl` from before segments is read as the draft's first segment.)
 *
 * The draft is a log: segments add records, `.removed` files (tombstones) take staged ones out,
 * numbered in one sequence. A record of segment s is staged unless a tombstone numbered after s
 * names it, so a record removed and then added again is staged once more. Removing is one small
 * file written atomically, whatever the draft's size: rewriting the segments instead would cost
 * the whole draft and could not replace several files at once without a window where half of
 * them are new.
 */

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i

export function validateDatanetName(name: string): void {
  if (!NAME.test(name) || name.includes('..')) {
    throw new UsageError(`invalid datanet name "${name}": use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`)
  }
}

export function datanetsDir(stateDir = defaultStateDir()): string {
  return join(stateDir, 'datanets')
}

export function listDatanetNames(stateDir = defaultStateDir()): string[] {
  const dir = datanetsDir(stateDir)
  if (!existsSync(dir)) return []
  return readdirSync(dir, {withFileTypes: true})
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'datanet.json')))
    .map((e) => e.name)
    .sort()
}

/** One record's line (with its "\n"), as every record file holds it. */
export function recordLine(r: DatanetRecord): string {
  return JSON.stringify({recordHash: r.recordHash, contributor: r.contributor, fields: r.fields}) + '\n'
}

export function serializeRecords(records: DatanetRecord[]): string {
  let out = ''
  for (const r of records) out += recordLine(r)
  return out
}

function checkRecord(r: DatanetRecord, where: string): DatanetRecord {
  if (!r || typeof r.recordHash !== 'string' || typeof r.contributor !== 'string' || !r.fields || typeof r.fields !== 'object') {
    throw new CorruptFileError(where, 'not a record line ({"recordHash","contributor","fields"})')
  }
  return r
}

function parseRecordText(text: string, where: string): DatanetRecord {
  let r: DatanetRecord
  try {
    r = JSON.parse(text)
  } catch (err) {
    throw new CorruptFileError(where, 'not valid JSON', err)
  }
  return checkRecord(r, where)
}

export function parseRecords(text: string, path: string): DatanetRecord[] {
  const out: DatanetRecord[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) if (lines[i] !== '') out.push(parseRecordText(lines[i], `${path}:${i + 1}`))
  return out
}

export const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')

/** Every record line of a file, parsed; `onBytes` sees the file's bytes (to hash them). */
export function readRecordFile(path: string, onRecord: (r: DatanetRecord) => void, onBytes?: (chunk: Buffer) => void): void {
  forEachLine(
    path,
    (buf, start, end, line) => {
      if (end > start) onRecord(parseRecordText(buf.toString('utf8', start, end), `${path}:${line}`))
    },
    onBytes,
  )
}

// The fixed start of every line openledger writes: {"recordHash":"0x<64 hex>","contributor":"0x<40 hex>",…
const HASH_AT = Buffer.byteLength('{"recordHash":"0x')
const ADDRESS_AT = HASH_AT + 64 + Buffer.byteLength('","contributor":"0x')
const LINE_HEAD = Buffer.from('{"recordHash":"0x')
const LINE_MID = Buffer.from('","contributor":"0x')
const NEWLINE = Uint8Array.of(10)
const NIBBLE = new Int8Array(256).fill(-1)
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i
for (let i = 0; i < 6; i++) NIBBLE[65 + i] = NIBBLE[97 + i] = 10 + i

function hexBytesInto(src: Uint8Array, at: number, length: number, out: Uint8Array, offset: number): boolean {
  for (let i = 0; i < length; i++) {
    const hi = NIBBLE[src[at + 2 * i]]
    const lo = NIBBLE[src[at + 2 * i + 1]]
    if (hi < 0 || lo < 0) return false
    out[offset + i] = (hi << 4) | lo
  }
  return true
}

/**
 * The record hash and contributor of a record line, as bytes, into hash[0…32) and address[0…20).
 * Lines openledger wrote are read at fixed offsets; anything else through JSON.parse.
 */
function lineKeyInto(buf: Buffer, start: number, end: number, where: string, hash: Uint8Array, address: Uint8Array): void {
  if (
    end - start > ADDRESS_AT + 40 &&
    buf.compare(LINE_HEAD, 0, LINE_HEAD.length, start, start + HASH_AT) === 0 &&
    buf.compare(LINE_MID, 0, LINE_MID.length, start + HASH_AT + 64, start + ADDRESS_AT) === 0 &&
    buf[start + ADDRESS_AT + 40] === 0x22 &&
    hexBytesInto(buf, start + HASH_AT, 32, hash, 0) &&
    hexBytesInto(buf, start + ADDRESS_AT, 20, address, 0)
  ) {
    return
  }
  const r = parseRecordText(buf.toString('utf8', start, end), where)
  const h = Buffer.from(r.recordHash.replace(/^0x/i, ''), 'hex')
  const a = Buffer.from(r.contributor.replace(/^0x/i, ''), 'hex')
  if (h.length !== 32 || a.length !== 20) throw new CorruptFileError(where, 'recordHash or contributor is not 0x-hex of 32 and 20 bytes')
  hash.set(h)
  address.set(a)
}

/** 32 bytes of a record hash (0x-hex), for the key sets. */
export function recordKey(recordHash: string, out = new Uint8Array(32), offset = 0): Uint8Array {
  if (!hexBytesInto(Buffer.from(recordHash.slice(2), 'latin1'), 0, 32, out, offset) || recordHash.length !== 66) {
    throw new UsageError(`record hash ${recordHash} is not 0x and 64 hex digits`)
  }
  return out
}

/** A version staged on disk by `prepareVersion`: what publishing needs, and the file to put in place. */
export type PreparedVersion = {
  /** Records in the version (the previous version's, then the draft's). */
  records: number
  /** Records the draft adds. */
  added: number
  root: `0x${string}`
  byteSize: number
  sha256: string
  /** Puts the file in place as versions/<version>.jsonl (never replacing one); returns its relative path. */
  commit(version: number): string
  /** Drops the staged files (a no-op after commit; the next prepareVersion drops any left). */
  discard(): void
}

/** A draft segment being written: records go to its .jsonl and their hashes to its .keys. */
export class DraftSegmentWriter {
  records = 0
  private readonly lines: StreamFileWriter
  private readonly keys: StreamFileWriter
  private readonly key = new Uint8Array(32)

  constructor(
    private readonly base: string,
    /** Its place in the draft log. */
    readonly seq = 0,
  ) {
    this.lines = new StreamFileWriter(`${base}.jsonl`)
    this.keys = new StreamFileWriter(`${base}.keys`)
  }

  /** Appends a record whose key (its hash's 32 bytes) the caller has checked against the datanet's. */
  append(r: DatanetRecord, key?: Uint8Array): void {
    this.lines.writeText(recordLine(r))
    this.keys.write(key ?? recordKey(r.recordHash, this.key))
    this.records++
  }

  /** Keys first: a segment exists once its .jsonl does, and then its keys are there. */
  commit(): void {
    try {
      this.keys.commit()
      this.lines.commit()
    } catch (err) {
      this.abort()
      throw err
    }
  }

  abort(): void {
    this.lines.abort()
    this.keys.abort()
    rmSync(`${this.base}.keys`, {force: true})
  }
}

export class DatanetStore {
  readonly dir: string

  constructor(
    readonly name: string,
    readonly stateDir: string = defaultStateDir(),
  ) {
    validateDatanetName(name)
    this.dir = join(datanetsDir(stateDir), name)
  }

  get manifestPath(): string {
    return join(this.dir, 'datanet.json')
  }

  /** The draft of datanets written before segments; read as the first segment, removed on publish. */
  get draftPath(): string {
    return join(this.dir, 'draft.jsonl')
  }

  get draftDir(): string {
    return join(this.dir, 'draft')
  }

  get lockPath(): string {
    return join(this.dir, '.lock')
  }

  exists(): boolean {
    return existsSync(this.manifestPath)
  }

  /** Runs `fn` holding this datanet's lock (another openledger process gets a LockedError). */
  locked<R>(fn: () => Promise<R> | R): Promise<R> {
    mkdirSync(this.dir, {recursive: true})
    return withLock(this.lockPath, fn)
  }

  readManifest(): DatanetManifest {
    const m = readJsonFile<DatanetManifest>(this.manifestPath)
    if (m === undefined) throw new DatanetNotFoundError(this.name, datanetsDir(this.stateDir))
    if (m.format !== 'openledger-datanet-v1' || !Array.isArray(m.versions)) {
      throw new CorruptFileError(this.manifestPath, 'not a datanet manifest (format openledger-datanet-v1)')
    }
    m.contributions ??= []
    m.sources ??= []
    m.tags ??= []
    return m
  }

  writeManifest(m: DatanetManifest): void {
    writeJsonAtomic(this.manifestPath, m)
  }

  /** The draft's segment files (.jsonl), in the order they were added. */
  draftSegments(): string[] {
    const out: string[] = []
    if (existsSync(this.draftPath)) out.push(this.draftPath)
    for (const n of this.draftNames().filter((n) => n.endsWith('.jsonl'))) out.push(join(this.draftDir, n))
    return out
  }

  /** The draft log's file names (segments and tombstones), in sequence order. */
  private draftNames(): string[] {
    try {
      return readdirSync(this.draftDir)
        .filter((n) => /^\d{8}\.(jsonl|removed)$/.test(n))
        .sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      return []
    }
  }

  /** A draft file's place in the log (the legacy draft.jsonl comes first, as 0). */
  draftSeq(path: string): number {
    return path === this.draftPath ? 0 : Number(basename(path).slice(0, 8))
  }

  /**
   * The tombstones: each removed record hash (as a latin1 string of its 32 bytes) with the last
   * tombstone naming it. A record of segment s is removed when that number is above s.
   */
  draftRemovals(): Map<string, number> {
    const out = new Map<string, number>()
    for (const n of this.draftNames()) {
      if (!n.endsWith('.removed')) continue
      const keys = readFileSync(join(this.draftDir, n))
      if (keys.length % 32 !== 0) throw new CorruptFileError(join(this.draftDir, n), 'not a list of 32-byte record hashes')
      const seq = Number(n.slice(0, 8))
      for (let i = 0; i < keys.length; i += 32) out.set(keys.toString('latin1', i, i + 32), seq)
    }
    return out
  }

  /** Whether a record (its 32-byte key) of the segment numbered `seq` is still staged. */
  private static staged(removals: Map<string, number>, key: Uint8Array, seq: number): boolean {
    if (removals.size === 0) return true
    const at = removals.get(Buffer.from(key.buffer, key.byteOffset, 32).toString('latin1'))
    return at === undefined || at < seq
  }

  /** The staged record hashes of one segment: its keys without those removed after it. */
  private liveKeysOf(seg: string, removals: Map<string, number>): Uint8Array {
    const keys = this.keysOf(seg)
    if (removals.size === 0) return keys
    const seq = this.draftSeq(seg)
    const out = Buffer.allocUnsafe(keys.length)
    let n = 0
    for (let i = 0; i < keys.length; i += 32) {
      const key = keys.subarray(i, i + 32)
      if (DatanetStore.staged(removals, key, seq)) out.set(key, 32 * n++)
    }
    return out.subarray(0, 32 * n)
  }

  /**
   * Takes staged records out of the draft: one tombstone file, written atomically, after the last
   * segment (`keys`: 32 bytes each, of records that are staged). Call holding the lock.
   */
  removeFromDraft(keys: Uint8Array): void {
    if (keys.length === 0) return
    writeFileAtomic(join(this.draftDir, `${String(this.nextDraftSeq()).padStart(8, '0')}.removed`), keys)
  }

  private nextDraftSeq(): number {
    const last = this.draftNames().at(-1)
    return last ? Number(last.slice(0, 8)) + 1 : 1
  }

  /** The record hashes of a record file: its .keys file when there is one, else read from its lines. */
  private keysOf(jsonlPath: string): Uint8Array {
    const keysPath = jsonlPath.replace(/\.jsonl$/, '.keys')
    if (keysPath !== jsonlPath && existsSync(keysPath)) {
      const keys = readFileSync(keysPath)
      if (keys.length % 32 === 0) return keys
    }
    const chunks: Buffer[] = []
    const hash = new Uint8Array(32)
    const address = new Uint8Array(20)
    forEachLine(jsonlPath, (buf, start, end, line) => {
      if (end === start) return
      lineKeyInto(buf, start, end, `${jsonlPath}:${line}`, hash, address)
      chunks.push(Buffer.from(hash))
    })
    return Buffer.concat(chunks)
  }

  /** Records staged, counted from the segments' keys (without reading the records). */
  draftCount(): number {
    const removals = this.draftRemovals()
    let n = 0
    for (const seg of this.draftSegments()) {
      const keysPath = seg.replace(/\.jsonl$/, '.keys')
      if (removals.size > 0) n += this.liveKeysOf(seg, removals).length / 32
      else n += seg !== this.draftPath && existsSync(keysPath) ? statSync(keysPath).size / 32 : this.keysOf(seg).length / 32
    }
    return n
  }

  /** Calls `fn` for every staged record, in order, reading one segment at a time. */
  forEachDraftRecord(fn: (r: DatanetRecord) => void): void {
    const removals = this.draftRemovals()
    const key = new Uint8Array(32)
    for (const seg of this.draftSegments()) {
      const seq = this.draftSeq(seg)
      readRecordFile(seg, removals.size === 0 ? fn : (r) => DatanetStore.staged(removals, recordKey(r.recordHash, key), seq) && fn(r))
    }
  }

  readDraft(): DatanetRecord[] {
    const out: DatanetRecord[] = []
    this.forEachDraftRecord((r) => out.push(r))
    return out
  }

  /** A new segment at the draft's end; commit it to add its records, abort to add nothing. */
  draftAppender(): DraftSegmentWriter {
    const seq = this.nextDraftSeq()
    return new DraftSegmentWriter(join(this.draftDir, String(seq).padStart(8, '0')), seq)
  }

  /** Appends records to the draft as one segment. */
  appendDraft(records: DatanetRecord[]): void {
    if (records.length === 0) return
    const seg = this.draftAppender()
    try {
      for (const r of records) seg.append(r)
    } catch (err) {
      seg.abort()
      throw err
    }
    seg.commit()
  }

  /** Empties the draft. */
  clearDraft(): void {
    rmSync(this.draftDir, {recursive: true, force: true})
    rmSync(this.draftPath, {force: true})
  }

  /** Replaces the whole draft (empty: removes it). Appending (`appendDraft`) is what adds use. */
  writeDraft(records: DatanetRecord[]): void {
    this.clearDraft()
    this.appendDraft(records)
  }

  /** Hashes already in the datanet, as bytes: its latest version's and its draft's. */
  knownKeys(m: DatanetManifest): Hash32Set {
    const last = m.versions.at(-1)
    return this.keySet(last ? [this.versionKeys(last)] : [])
  }

  /** The hashes of the staged records (the draft's, without those removed). */
  stagedKeys(): Hash32Set {
    return this.keySet([])
  }

  /** The latest version's record hashes (empty before the first version). */
  latestVersionKeys(m: DatanetManifest): Hash32Set {
    const last = m.versions.at(-1)
    const keys = last ? this.versionKeys(last) : new Uint8Array()
    const set = new Hash32Set(keys.length / 32)
    set.addAll(keys)
    return set
  }

  private keySet(parts: Uint8Array[]): Hash32Set {
    const removals = this.draftRemovals()
    for (const seg of this.draftSegments()) parts.push(this.liveKeysOf(seg, removals))
    const set = new Hash32Set(parts.reduce((s, p) => s + p.length / 32, 0))
    for (const p of parts) set.addAll(p)
    return set
  }

  /** The record hashes a draft segment holds (removed or not), by its number; undefined when it is gone. */
  segmentKeys(seq: number): Uint8Array | undefined {
    const path = join(this.draftDir, `${String(seq).padStart(8, '0')}.jsonl`)
    return existsSync(path) ? this.keysOf(path) : undefined
  }

  /** A version's record hashes: versions/<n>.keys, written on publish (or, for older versions, now). */
  private versionKeys(info: VersionInfo): Uint8Array {
    const path = join(this.dir, info.file)
    const keysPath = path.replace(/\.jsonl$/, '.keys')
    if (existsSync(keysPath)) {
      const keys = readFileSync(keysPath)
      if (keys.length === info.records * 32) return keys
    }
    const keys = this.keysOf(path)
    writeFileAtomic(keysPath, keys)
    return keys
  }

  versionInfo(m: DatanetManifest, version?: number): VersionInfo {
    const v = version === undefined ? m.versions.at(-1) : m.versions.find((x) => x.version === version)
    if (!v)
      throw new VersionNotFoundError(
        this.name,
        version ?? 'latest',
        m.versions.map((x) => x.version),
      )
    return v
  }

  private versionPath(info: VersionInfo): string {
    const path = join(this.dir, info.file)
    if (!existsSync(path)) throw new DatanetIntegrityError(`${path} is missing (version ${info.version} of datanet "${this.name}")`)
    return path
  }

  private changedError(path: string): DatanetIntegrityError {
    return new DatanetIntegrityError(`${path} changed after it was published: its sha256 no longer matches the manifest`)
  }

  /** Calls `fn` for every record of a published version, then checks the file's sha256 against the manifest. */
  forEachVersionRecord(info: VersionInfo, fn: (r: DatanetRecord) => void): void {
    const path = this.versionPath(info)
    const hash = createHash('sha256')
    readRecordFile(path, fn, (chunk) => hash.update(chunk))
    if (hash.digest('hex') !== info.sha256) throw this.changedError(path)
  }

  /** The records of a published version, after checking the file's sha256 against the manifest. */
  readVersion(info: VersionInfo): DatanetRecord[] {
    const out: DatanetRecord[] = []
    this.forEachVersionRecord(info, (r) => out.push(r))
    return out
  }

  /**
   * Writes versions/<n>.jsonl once: created exclusively, fsynced, never overwritten. Returns its
   * path relative to the datanet's folder. (Publishing streams with `prepareVersion` instead.)
   */
  writeVersionFile(version: number, content: string): string {
    const rel = join('versions', `${version}.jsonl`)
    const path = join(this.dir, rel)
    const w = new StreamFileWriter(path)
    w.write(content)
    this.commitVersion(w, path)
    return rel
  }

  private commitVersion(w: StreamFileWriter, path: string): void {
    const sha = w.sha256()
    try {
      w.commit({exclusive: true})
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const have = createHash('sha256')
      forEachLine(
        path,
        () => {},
        (chunk) => have.update(chunk),
      )
      if (have.digest('hex') !== sha)
        throw new DatanetIntegrityError(`${path} already exists with other content: a published version never changes`)
    }
  }

  /**
   * Stages the next version without holding it in memory: the latest version's lines (checked
   * against its sha256) then the draft's, streamed into a temp file and a keys file, hashed on the
   * way, each line's Merkle leaf written into the tree's node array (64 bytes a record, plus 12
   * for the sort: the only part that grows).
   * The bytes are the same as the records serialized one line each, in that order.
   */
  prepareVersion(m: DatanetManifest): PreparedVersion {
    const previous = m.versions.at(-1)
    const added = this.draftCount()
    const total = (previous?.records ?? 0) + added
    const version = (previous?.version ?? 0) + 1
    const rel = join('versions', `${version}.jsonl`)
    const path = join(this.dir, rel)
    // Temp files of a publish that stopped before committing (we hold the lock: nobody else writes here).
    for (const name of existsSync(join(this.dir, 'versions')) ? readdirSync(join(this.dir, 'versions')) : []) {
      if (name.startsWith('.') && name.endsWith('.tmp')) rmSync(join(this.dir, 'versions', name), {force: true})
    }
    const lines = new StreamFileWriter(path)
    const keys = new StreamFileWriter(path.replace(/\.jsonl$/, '.keys'))
    const discard = () => {
      lines.abort()
      keys.abort()
    }
    try {
      // The tree's node array, leaves written at its end in input order; sorted and hashed in place.
      const nodes = new Uint8Array(Math.max(0, 2 * total - 1) * 32)
      const leavesAt = (total - 1) * 32
      const hash = new Uint8Array(32)
      const address = new Uint8Array(20)
      let n = 0
      const removals = this.draftRemovals()
      // `seq`: the draft segment's place in the log, to skip the records removed after it.
      const copy = (file: string, onBytes?: (chunk: Buffer) => void, seq?: number) =>
        forEachLine(
          file,
          (buf, start, end, line) => {
            if (end === start) return
            lineKeyInto(buf, start, end, `${file}:${line}`, hash, address)
            if (seq !== undefined && !DatanetStore.staged(removals, hash, seq)) return
            if (n >= total) throw new CorruptFileError(file, `holds more records than the manifest and draft keys count (${total})`)
            leafHashInto(hash, 0, address, 0, nodes, leavesAt + n * 32)
            keys.write(hash)
            lines.write(buf.subarray(start, end))
            lines.write(NEWLINE)
            n++
          },
          onBytes,
        )
      if (previous) {
        const prevPath = this.versionPath(previous)
        const sha = createHash('sha256')
        copy(prevPath, (chunk) => sha.update(chunk))
        if (sha.digest('hex') !== previous.sha256) throw this.changedError(prevPath)
      }
      for (const seg of this.draftSegments()) copy(seg, undefined, this.draftSeq(seg))
      if (n !== total) throw new CorruptFileError(this.dir, `the version and draft hold ${n} records, their keys count ${total}`)
      const root = n === 0 ? ('0x' as `0x${string}`) : merkleRootInPlace(nodes, n)
      const byteSize = lines.bytes
      const sha256 = lines.sha256()
      return {
        records: n,
        added,
        root,
        byteSize,
        sha256,
        commit: (v: number) => {
          if (v !== version) throw new Error(`prepared version ${version}, asked to commit ${v}`)
          // The version first: its keys file is only a cache of it (rebuilt from it when missing).
          this.commitVersion(lines, path)
          keys.commit()
          return rel
        },
        discard,
      }
    } catch (err) {
      discard()
      throw err
    }
  }

  contributionPath(contentRoot: string): string {
    return join('contributions', `${contentRoot}.jsonl`)
  }

  writeContribution(contentRoot: string, records: DatanetRecord[]): string {
    const rel = this.contributionPath(contentRoot)
    const w = new StreamFileWriter(join(this.dir, rel))
    try {
      for (const r of records) w.writeText(recordLine(r))
    } catch (err) {
      w.abort()
      throw err
    }
    w.commit()
    return rel
  }

  readContribution(rel: string): DatanetRecord[] | undefined {
    const path = join(this.dir, rel)
    if (!existsSync(path)) return undefined
    const out: DatanetRecord[] = []
    readRecordFile(path, (r) => out.push(r))
    return out
  }

  writeBlob(name: string, data: Uint8Array): void {
    const path = join(this.dir, 'blobs', name)
    if (!existsSync(path)) writeFileAtomic(path, data)
  }
}
