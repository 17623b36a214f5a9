import {existsSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {CID} from 'multiformats/cid'
import {sha256} from 'multiformats/hashes/sha2'
import {identity} from 'multiformats/hashes/identity'

import {writeFileAtomic} from '../store/atomic.js'
import {ContentNotFoundError, CorruptBlockError} from './errors.js'

type BlockInput = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>

async function collect(val: BlockInput): Promise<Uint8Array> {
  if (val instanceof Uint8Array) return val
  const parts: Uint8Array[] = []
  for await (const p of val as AsyncIterable<Uint8Array>) parts.push(p)
  return Buffer.concat(parts)
}

/** Checks that `bytes` hash to `cid` (sha2-256 or identity multihashes). */
export async function checkBlock(cid: CID, bytes: Uint8Array): Promise<boolean> {
  if (cid.multihash.code === identity.code) return Buffer.from(cid.multihash.digest).equals(Buffer.from(bytes))
  if (cid.multihash.code !== sha256.code) return false
  const digest = await sha256.digest(bytes)
  return Buffer.from(digest.digest).equals(Buffer.from(cid.multihash.digest))
}

/**
 * Blocks on disk, one file per block named by its CIDv1 (base32), each written atomically.
 * Blocks are immutable: a block already there is not written again. Reads check the hash.
 */
export class FsBlockstore {
  /** CIDs put during this instance's life, in order (what a push to an IPFS node sends). */
  readonly written: CID[] = []

  constructor(readonly dir: string) {
    mkdirSync(dir, {recursive: true})
  }

  path(cid: CID): string {
    return join(this.dir, cid.toV1().toString())
  }

  has(cid: CID): boolean {
    return existsSync(this.path(cid))
  }

  async put(cid: CID, val: BlockInput): Promise<CID> {
    const bytes = await collect(val)
    this.written.push(cid)
    const path = this.path(cid)
    if (!existsSync(path)) writeFileAtomic(path, bytes)
    return cid
  }

  async getBytes(cid: CID): Promise<Uint8Array> {
    let bytes: Buffer
    try {
      bytes = readFileSync(this.path(cid))
    } catch {
      throw new ContentNotFoundError(`block ${cid} is not in the local content store (${this.dir})`)
    }
    if (!(await checkBlock(cid, bytes))) throw new CorruptBlockError(`block ${this.path(cid)} does not hash to its CID ${cid}`)
    return bytes
  }

  async *get(cid: CID): AsyncGenerator<Uint8Array> {
    yield await this.getBytes(cid)
  }
}

/** A blockstore that keeps nothing: for computing a CID only. */
export class NullBlockstore {
  readonly written: CID[] = []
  async put(cid: CID, val: BlockInput): Promise<CID> {
    if (!(val instanceof Uint8Array)) await collect(val)
    return cid
  }
}

export {CID}
