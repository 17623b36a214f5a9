import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {writeFileAtomic} from '../store/atomic.js'
import {withLock} from '../store/lock.js'
import {cacheDir} from '../store/paths.js'

const MAGIC = 0x43454c4f // "OLEC"
const VERSION = 1

/** 32 key bytes: a bytes32 record hash as is, anything else by its sha256. */
function keyBytes(recordHash: string): Buffer {
  if (/^0x[0-9a-fA-F]{64}$/.test(recordHash)) return Buffer.from(recordHash.slice(2), 'hex')
  return createHash('sha256').update(recordHash).digest()
}

/**
 * Embeddings on disk, keyed by (encoder hash, text field, record hash): the record hash covers the
 * record's content, the field says which part of it was encoded. 256 binary shards by the key's
 * first byte; each shard is rewritten whole and atomically, under a lock shared by processes.
 * Shard layout: u32 magic "OLEC", u32 version, u32 dim, u32 count, then count × (32-byte key, dim × f32), LE.
 */
export class EmbeddingCache {
  readonly dir: string

  constructor(
    readonly encoderHash: string,
    readonly dim: number,
    readonly textField = 'text',
    root = join(cacheDir(), 'embeddings'),
  ) {
    const field = createHash('sha256').update(textField).digest('hex').slice(0, 12)
    this.dir = join(root, encoderHash.replace(/^0x/, ''), field)
  }

  private shardPath(shard: number): string {
    return join(this.dir, shard.toString(16).padStart(2, '0') + '.bin')
  }

  private readShard(shard: number): Map<string, Float32Array> {
    const map = new Map<string, Float32Array>()
    let buf: Buffer
    try {
      buf = readFileSync(this.shardPath(shard))
    } catch {
      return map
    }
    // A shard that does not parse is ignored (and rewritten on the next put): the cache is disposable.
    if (buf.length < 16 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION || buf.readUInt32LE(8) !== this.dim) return map
    const count = buf.readUInt32LE(12)
    const entry = 32 + this.dim * 4
    if (buf.length !== 16 + count * entry) return map
    for (let i = 0; i < count; i++) {
      const off = 16 + i * entry
      const vec = new Float32Array(this.dim)
      new Uint8Array(vec.buffer).set(buf.subarray(off + 32, off + entry))
      map.set(buf.toString('hex', off, off + 32), vec)
    }
    return map
  }

  /** Fills `out` (n × dim) for the keys found; returns the indices of those not in the cache. */
  getMany(recordHashes: string[], out: Float32Array): number[] {
    const {keys, byShard} = groupByShard(recordHashes)
    const missing: number[] = []
    for (const [shard, idx] of byShard) {
      const map = this.readShard(shard)
      for (const i of idx) {
        const v = map.get(keys[i].toString('hex'))
        if (v) out.set(v, i * this.dim)
        else missing.push(i)
      }
    }
    return missing.sort((a, b) => a - b)
  }

  async putMany(recordHashes: string[], vectors: Float32Array): Promise<void> {
    if (recordHashes.length === 0) return
    const {keys, byShard} = groupByShard(recordHashes)
    await withLock(join(this.dir, '.lock'), () => {
      for (const [shard, idx] of byShard) {
        const map = this.readShard(shard)
        for (const i of idx) map.set(keys[i].toString('hex'), vectors.subarray(i * this.dim, (i + 1) * this.dim))
        const entry = 32 + this.dim * 4
        const buf = Buffer.alloc(16 + map.size * entry)
        buf.writeUInt32LE(MAGIC, 0)
        buf.writeUInt32LE(VERSION, 4)
        buf.writeUInt32LE(this.dim, 8)
        buf.writeUInt32LE(map.size, 12)
        let off = 16
        for (const [k, v] of map) {
          buf.write(k, off, 'hex')
          Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(buf, off + 32)
          off += entry
        }
        writeFileAtomic(this.shardPath(shard), buf)
      }
    })
  }
}

/** Each record's cache key and, per shard (the key's first byte), the indices of its records. */
function groupByShard(recordHashes: string[]): {keys: Buffer[]; byShard: Map<number, number[]>} {
  const keys = recordHashes.map((h) => keyBytes(h))
  const byShard = new Map<number, number[]>()
  keys.forEach((k, i) => {
    const list = byShard.get(k[0]) ?? []
    list.push(i)
    byShard.set(k[0], list)
  })
  return {keys, byShard}
}
