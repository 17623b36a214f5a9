import {createHash} from 'node:crypto'
import {closeSync, existsSync, fsyncSync, mkdirSync, linkSync, openSync, readFileSync, readdirSync, rmSync, writeSync} from 'node:fs'
import {join} from 'node:path'

import {UsageError} from '../errors.js'
import {CorruptFileError, readJsonFile, writeFileAtomic, writeJsonAtomic} from '../store/atomic.js'
import {withLock} from '../store/lock.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {DatanetIntegrityError, DatanetNotFoundError, VersionNotFoundError} from './errors.js'
import type {DatanetManifest, DatanetRecord, VersionInfo} from './types.js'

/**
 * Local datanet state, one folder per datanet:
 *
 *   .openledger/datanets/<name>/
 *     datanet.json             the manifest: metadata, on-chain id, versions (root, sha256), contributions
 *     draft.jsonl              records staged since the last version
 *     versions/<n>.jsonl       the records of version n, written once (O_EXCL) and never changed
 *     contributions/<root>.jsonl  records of a public contribution, by content root
 *     blobs/<keccak256>.<ext>  media files of image and audio datanets
 *     .lock                    held by the process changing this datanet
 *
 * Every file is written atomically (temp file, fsync, rename). A record line is
 * `{"recordHash","contributor","fields"}`.
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

export function serializeRecords(records: DatanetRecord[]): string {
  let out = ''
  for (const r of records) out += JSON.stringify({recordHash: r.recordHash, contributor: r.contributor, fields: r.fields}) + '\n'
  return out
}

export function parseRecords(text: string, path: string): DatanetRecord[] {
  const out: DatanetRecord[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue
    let r: DatanetRecord
    try {
      r = JSON.parse(lines[i])
    } catch (err) {
      throw new CorruptFileError(`${path}:${i + 1}`, 'not valid JSON', err)
    }
    if (!r || typeof r.recordHash !== 'string' || typeof r.contributor !== 'string' || !r.fields || typeof r.fields !== 'object') {
      throw new CorruptFileError(`${path}:${i + 1}`, 'not a record line ({"recordHash","contributor","fields"})')
    }
    out.push(r)
  }
  return out
}

export const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')

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

  get draftPath(): string {
    return join(this.dir, 'draft.jsonl')
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

  readDraft(): DatanetRecord[] {
    let text: string
    try {
      text = readFileSync(this.draftPath, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    return parseRecords(text, this.draftPath)
  }

  writeDraft(records: DatanetRecord[]): void {
    if (records.length === 0) rmSync(this.draftPath, {force: true})
    else writeFileAtomic(this.draftPath, serializeRecords(records))
  }

  versionInfo(m: DatanetManifest, version?: number): VersionInfo {
    const v = version === undefined ? m.versions.at(-1) : m.versions.find((x) => x.version === version)
    if (!v) throw new VersionNotFoundError(this.name, version ?? 'latest', m.versions.map((x) => x.version))
    return v
  }

  /** The records of a published version, after checking the file's sha256 against the manifest. */
  readVersion(info: VersionInfo): DatanetRecord[] {
    const path = join(this.dir, info.file)
    let bytes: Buffer
    try {
      bytes = readFileSync(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new DatanetIntegrityError(`${path} is missing (version ${info.version} of datanet "${this.name}")`)
      throw err
    }
    if (sha256Hex(bytes) !== info.sha256) {
      throw new DatanetIntegrityError(`${path} changed after it was published: its sha256 no longer matches the manifest`)
    }
    return parseRecords(bytes.toString('utf8'), path)
  }

  /**
   * Writes versions/<n>.jsonl once: created exclusively, fsynced, never overwritten. Returns its
   * path relative to the datanet's folder.
   */
  writeVersionFile(version: number, content: string): string {
    const rel = join('versions', `${version}.jsonl`)
    const path = join(this.dir, rel)
    mkdirSync(join(this.dir, 'versions'), {recursive: true})
    const tmp = `${path}.${process.pid}.tmp`
    const fd = openSync(tmp, 'w')
    try {
      const buf = Buffer.from(content)
      let off = 0
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    // link() fails when the target exists: a published version is never replaced.
    try {
      linkSync(tmp, path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (sha256Hex(readFileSync(path)) !== sha256Hex(content)) {
        throw new DatanetIntegrityError(`${path} already exists with other content: a published version never changes`)
      }
    } finally {
      rmSync(tmp, {force: true})
    }
    return rel
  }

  contributionPath(contentRoot: string): string {
    return join('contributions', `${contentRoot}.jsonl`)
  }

  writeContribution(contentRoot: string, records: DatanetRecord[]): string {
    const rel = this.contributionPath(contentRoot)
    writeFileAtomic(join(this.dir, rel), serializeRecords(records))
    return rel
  }

  readContribution(rel: string): DatanetRecord[] | undefined {
    const path = join(this.dir, rel)
    if (!existsSync(path)) return undefined
    return parseRecords(readFileSync(path, 'utf8'), path)
  }

  writeBlob(name: string, data: Uint8Array): void {
    const path = join(this.dir, 'blobs', name)
    if (!existsSync(path)) writeFileAtomic(path, data)
  }
}
