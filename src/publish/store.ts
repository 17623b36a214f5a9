/**
 * The local content store, `.openledger/store/`: `blocks/<cid>` (one file per block, written
 * atomically, checked against its hash on every read), `roots.json` (the folders added: root CID,
 * name, size, files), and `models/<cid>/` (folders rebuilt from blocks, for infer and serve).
 */
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, renameSync, rmSync, writeFileSync, symlinkSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {exporter, recursive} from 'ipfs-unixfs-exporter'
import {CID} from 'multiformats/cid'

import {readJsonFile, writeJsonAtomic} from '../store/atomic.js'
import {withLock} from '../store/lock.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {FsBlockstore} from './blockstore.js'
import {importFolder} from './cid.js'
import {ContentNotFoundError} from './errors.js'

export type StoredRoot = {cid: string; name?: string; size: string; files: number; addedAt: string}
type RootsFile = {version: 1; roots: Record<string, StoredRoot>}

export type StoreOptions = {stateDir?: string}

export function contentStoreDir(opts: StoreOptions = {}): string {
  return join(opts.stateDir ?? defaultStateDir(), 'store')
}

export function blockstore(opts: StoreOptions = {}): FsBlockstore {
  return new FsBlockstore(join(contentStoreDir(opts), 'blocks'))
}

const rootsPath = (opts: StoreOptions) => join(contentStoreDir(opts), 'roots.json')

export function storedRoots(opts: StoreOptions = {}): Record<string, StoredRoot> {
  return readJsonFile<RootsFile>(rootsPath(opts))?.roots ?? {}
}

/** Parses a CID string; undefined when it is not one. */
export function parseCid(text: string): CID | undefined {
  try {
    return CID.parse(text.trim())
  } catch {
    return undefined
  }
}

export type AddFolderReturnType = {cid: string; size: bigint; blocks: CID[]}

/** Imports a folder into the store's blocks and records it as a root. */
export async function addFolder(folder: string, opts: StoreOptions & {name?: string} = {}): Promise<AddFolderReturnType> {
  const bs = blockstore(opts)
  const r = await importFolder(folder, bs)
  const cid = r.cid.toString()
  await withLock(join(contentStoreDir(opts), 'roots.lock'), () => {
    const file = readJsonFile<RootsFile>(rootsPath(opts)) ?? {version: 1, roots: {}}
    const prev = file.roots[cid]
    file.roots[cid] = {
      cid,
      ...((opts.name ?? prev?.name) ? {name: opts.name ?? prev?.name} : {}),
      size: r.size.toString(),
      files: r.entries.filter((e) => e.type === 'file').length,
      addedAt: prev?.addedAt ?? new Date().toISOString(),
    }
    writeJsonAtomic(rootsPath(opts), file)
  })
  return {cid, size: r.size, blocks: [...new Set(bs.written.map((c) => c.toString()))].map((c) => CID.parse(c))}
}

/** Sets the registered name of a stored root (so `infer --model <name>` works offline). */
export async function nameRoot(cid: string, name: string, opts: StoreOptions = {}): Promise<void> {
  await withLock(join(contentStoreDir(opts), 'roots.lock'), () => {
    const file = readJsonFile<RootsFile>(rootsPath(opts)) ?? {version: 1, roots: {}}
    if (!file.roots[cid]) return
    file.roots[cid].name = name
    writeJsonAtomic(rootsPath(opts), file)
  })
}

/** Whether every block of the DAG under `cid` is present (walks the DAG). */
export async function hasDag(cid: string, opts: StoreOptions = {}): Promise<boolean> {
  const c = parseCid(cid)
  if (!c) return false
  const bs = blockstore(opts)
  if (!bs.has(c)) return false
  try {
    for await (const r of recursive(c, bs)) {
      const e = await exporter(r.cid, bs)
      if (e.type === 'file' || e.type === 'raw') for await (const _ of e.content()) void _
    }
    return true
  } catch {
    return false
  }
}

/**
 * Rebuilds the folder of `cid` from the store's blocks into `out` (whole or not at all: a temp
 * folder renamed into place). Every block is checked against its CID while reading.
 */
export async function exportFolder(cid: string, out: string, opts: StoreOptions = {}): Promise<string> {
  const c = parseCid(cid)
  if (!c) throw new ContentNotFoundError(`"${cid}" is not a CID`)
  const bs = blockstore(opts)
  if (!bs.has(c)) {
    throw new ContentNotFoundError(`CID ${cid} is not in the local content store (${contentStoreDir(opts)})`, [
      '`openledger publish --model <folder>` stores a model folder; `openledger verify <folder>` checks a copy.',
    ])
  }
  const root = await exporter(c, bs)
  if (root.type !== 'directory') throw new ContentNotFoundError(`CID ${cid} is a ${root.type}, not a folder`)
  mkdirSync(dirname(out), {recursive: true})
  const tmp = join(dirname(out), `.${cid}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    mkdirSync(tmp, {recursive: true})
    for await (const r of recursive(c, bs)) {
      const rel = r.path.split('/').slice(1).join('/')
      if (rel === '') continue
      const e = await exporter(r.cid, bs)
      const target = join(tmp, rel)
      if (e.type === 'directory') mkdirSync(target, {recursive: true})
      else if (e.type === 'file' || e.type === 'raw' || e.type === 'identity') {
        mkdirSync(dirname(target), {recursive: true})
        const parts: Uint8Array[] = []
        for await (const chunk of e.content()) parts.push(chunk as Uint8Array)
        writeFileSync(target, Buffer.concat(parts))
      } else if (e.type === 'object') {
        throw new ContentNotFoundError(`CID ${cid}: entry ${rel} is not UnixFS`)
      }
      if (e.type === 'file' && e.unixfs.type === 'symlink') {
        rmSync(target, {force: true})
        symlinkSync(Buffer.from(e.unixfs.data ?? new Uint8Array()).toString('utf8'), target)
      }
    }
    rmSync(out, {recursive: true, force: true})
    renameSync(tmp, out)
  } catch (err) {
    rmSync(tmp, {recursive: true, force: true})
    throw err
  }
  return out
}

/** The store's rebuilt copy of `cid` (`store/models/<cid>/`), rebuilding it when absent. */
export async function materialise(cid: string, opts: StoreOptions = {}): Promise<string> {
  const out = join(contentStoreDir(opts), 'models', cid)
  if (existsSync(join(out, 'config.json'))) return out
  return exportFolder(cid, out, opts)
}
