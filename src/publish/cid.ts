/**
 * The CID of a folder exactly as `ipfs add -r --cid-version 1 <folder>` prints it with Kubo's
 * defaults: CIDv1, sha2-256, raw leaves, fixed-size 262144-byte chunks, balanced DAG of at most 174
 * links per node, a single-chunk file reduced to its raw leaf, dag-pb UnixFS directories (links
 * sorted by name), HAMT sharding of a directory past 256 KiB of link bytes (Kubo's estimate), no
 * mode or mtime. Hidden entries (names starting with ".") are left out, as Kubo does without
 * `--hidden`; symlinks are stored as UnixFS symlinks, not followed.
 */
import {createReadStream, lstatSync, readdirSync, readlinkSync} from 'node:fs'
import {join, posix, resolve} from 'node:path'

import {fixedSize} from 'ipfs-unixfs-importer/chunker'
import {balanced} from 'ipfs-unixfs-importer/layout'
import {type ImportCandidate, type ImporterOptions, importer} from 'ipfs-unixfs-importer'
import type {CID} from 'multiformats/cid'

import {UsageError} from '../errors.js'

export const CHUNK_SIZE = 262_144
export const MAX_LINKS = 174
export const SHARD_THRESHOLD_BYTES = 262_144

/** The importer options that reproduce `ipfs add -r --cid-version 1`. */
export function kuboImporterOptions(): ImporterOptions {
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({chunkSize: CHUNK_SIZE}),
    layout: balanced({maxChildrenPerNode: MAX_LINKS}),
    shardSplitThresholdBytes: SHARD_THRESHOLD_BYTES,
    shardSplitStrategy: 'links-bytes',
    fieldOrder: 'links-first',
    wrapWithDirectory: false,
  }
}

export type FolderEntry = {path: string; type: 'file' | 'directory' | 'symlink'; size: number; link?: string}

/** The entries a folder contributes, relative paths with "/" separators, sorted; hidden ones skipped. */
export function listFolder(folder: string): FolderEntry[] {
  const root = resolve(folder)
  let st
  try {
    st = lstatSync(root)
  } catch {
    throw new UsageError(`${folder}: no such folder`)
  }
  if (!st.isDirectory()) throw new UsageError(`${folder} is not a folder`)
  const out: FolderEntry[] = []
  const walk = (rel: string) => {
    const names = readdirSync(join(root, rel))
      .filter((n) => !n.startsWith('.'))
      .sort()
    for (const name of names) {
      const r = rel ? posix.join(rel, name) : name
      const s = lstatSync(join(root, r))
      if (s.isSymbolicLink()) out.push({path: r, type: 'symlink', size: 0, link: readlinkSync(join(root, r))})
      else if (s.isDirectory()) {
        out.push({path: r, type: 'directory', size: 0})
        walk(r)
      } else if (s.isFile()) out.push({path: r, type: 'file', size: s.size})
      else throw new UsageError(`${join(folder, r)} is neither a file, a folder nor a symlink`)
    }
  }
  walk('')
  return out
}

export type WritableBlocks = {put(cid: CID, bytes: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<CID> | CID}

export type ImportFolderReturnType = {
  cid: CID
  /** Cumulative DAG size in bytes (what `ipfs ls` reports for the root). */
  size: bigint
  entries: Array<FolderEntry & {cid?: string}>
}

const ROOT = 'root'

/** Imports a folder into `blocks` and returns its root CID (and each entry's). */
export async function importFolder(folder: string, blocks: WritableBlocks): Promise<ImportFolderReturnType> {
  const root = resolve(folder)
  const entries = listFolder(folder)
  async function* candidates(): AsyncGenerator<ImportCandidate> {
    yield {path: ROOT}
    for (const e of entries) {
      const path = `${ROOT}/${e.path}`
      if (e.type === 'directory') yield {path}
      else if (e.type === 'symlink') yield {path, link: e.link!}
      else yield {path, content: createReadStream(join(root, e.path))}
    }
  }
  const byPath = new Map<string, {cid: CID; size: bigint}>()
  for await (const r of importer(candidates(), blocks, kuboImporterOptions())) {
    if (r.path !== undefined) byPath.set(r.path, {cid: r.cid, size: r.size})
  }
  const top = byPath.get(ROOT)
  if (!top) throw new Error(`the importer returned no root for ${folder}`)
  return {
    cid: top.cid,
    size: top.size,
    entries: entries.map((e) => {
      const c = byPath.get(`${ROOT}/${e.path}`)
      return c ? {...e, cid: c.cid.toString()} : e
    }),
  }
}

/** The folder's CID (string), storing nothing. */
export async function folderCid(folder: string): Promise<string> {
  return (await importFolder(folder, {put: (cid) => cid})).cid.toString()
}
