import {createHash} from 'node:crypto'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import {cacheDir} from '../store/paths.js'
import {SafetensorsFile, writeSafetensorsFile} from './safetensors.js'

const FORMAT = 'openledger-embeddings'
const VERSION = '2'
/** Pending vectors are written early past this many bytes, so a huge job's memory stays bounded. */
const MAX_PENDING_BYTES = 256 * 1024 * 1024

const HEX64 = /^0x[0-9a-fA-F]{64}$/

/**
 * A record's key as 64 lowercase hex digits: a bytes32 record hash as is, anything else by its
 * sha256. Hex strings, not bytes, so the common case costs a slice and no conversion.
 */
function keyHex(recordHash: string): string {
  if (recordHash.length === 66 && HEX64.test(recordHash)) return recordHash.slice(2).toLowerCase()
  return createHash('sha256').update(recordHash).digest('hex')
}

/** Where one cached vector lies: its segment and row. */
type Location = {segment: SegmentRef; row: number}
type SegmentRef = {path: string; rows: number}

/**
 * Embeddings on disk, keyed by (encoder hash, text field, record hash): the record hash covers the
 * record's content, the field says which part of it was encoded.
 *
 * Append-only segments: each job writes what it encoded as one safetensors file (`keys` U8 [n, 32],
 * `vectors` F32 [n, dim], `__metadata__` naming the format, encoder, field and dim), named by the
 * sha256 of its keys, with one fsync. Nothing is ever rewritten, so no lock is needed: two jobs
 * write two segments. A lookup reads every segment's keys (32 bytes an entry) and then only the
 * vector rows the job asks for, in runs. A segment that does not parse is skipped: the cache is
 * disposable.
 *
 * `getMany` notes how many vectors the job lacks; `putMany` collects vectors until that many have
 * arrived (or past 256 MiB) and then writes them as one segment, so a caller that encodes in chunks
 * (as training does) still writes once. `flush` writes whatever is pending.
 */
export class EmbeddingCache {
  readonly dir: string
  private index: Map<string, Location> | undefined
  private pendingKeys: string[] = []
  private pendingVectors: Float32Array[] = []
  private pendingBytes = 0
  /** How many vectors the last getMany missed that putMany has not delivered yet. */
  private awaited = 0

  constructor(
    readonly encoderHash: string,
    readonly dim: number,
    readonly textField = 'text',
    root = join(cacheDir(), 'embeddings'),
  ) {
    const field = createHash('sha256').update(textField).digest('hex').slice(0, 12)
    this.dir = join(root, encoderHash.replace(/^0x/, ''), field)
  }

  private metadata(): Record<string, string> {
    return {format: FORMAT, version: VERSION, encoder: this.encoderHash, textField: this.textField, dim: String(this.dim)}
  }

  /** Key (hex) → segment and row, over every readable segment. */
  private loadIndex(): Map<string, Location> {
    const index = new Map<string, Location>()
    let names: string[]
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.safetensors'))
    } catch {
      return index
    }
    const want = this.metadata()
    for (const name of names.sort()) {
      const path = join(this.dir, name)
      let file: SafetensorsFile
      try {
        file = SafetensorsFile.open(path)
      } catch {
        continue
      }
      try {
        const keys = file.tensors.get('keys')
        const vectors = file.tensors.get('vectors')
        const meta = file.metadata
        if (!keys || !vectors || Object.entries(want).some(([k, v]) => meta[k] !== v)) continue
        const rows = keys.shape[0]
        if (
          keys.dtype !== 'U8' ||
          keys.shape[1] !== 32 ||
          vectors.dtype !== 'F32' ||
          vectors.shape[0] !== rows ||
          vectors.shape[1] !== this.dim
        )
          continue
        const bytes = Buffer.from(file.readBytes('keys'))
        const segment = {path, rows}
        for (let r = 0; r < rows; r++) index.set(bytes.toString('hex', r * 32, r * 32 + 32), {segment, row: r})
      } catch {
        // unreadable: skipped
      } finally {
        file.close()
      }
    }
    return index
  }

  /** Fills `out` (n × dim) for the keys found; returns the indices of those not in the cache. */
  getMany(recordHashes: string[], out: Float32Array): number[] {
    // A lookup starts a new job: what the last one put is written, what it still awaited is dropped.
    this.flush()
    this.index ??= this.loadIndex()
    const missing: number[] = []
    const bySegment = new Map<SegmentRef, Array<[row: number, i: number]>>()
    for (let i = 0; i < recordHashes.length; i++) {
      const at = this.index.get(keyHex(recordHashes[i]))
      if (!at) {
        missing.push(i)
        continue
      }
      let list = bySegment.get(at.segment)
      if (!list) bySegment.set(at.segment, (list = []))
      list.push([at.row, i])
    }
    for (const [segment, hits] of bySegment) {
      if (!this.readHits(segment, hits, out)) {
        // The segment vanished or broke since it was indexed: its hits become misses.
        for (const [, i] of hits) missing.push(i)
      }
    }
    this.awaited = missing.length
    return missing.sort((a, b) => a - b)
  }

  /** Reads the rows `hits` asks for, in runs of consecutive rows (a warm job reads its segment in one go). */
  private readHits(segment: SegmentRef, hits: Array<[number, number]>, out: Float32Array): boolean {
    hits.sort((a, b) => a[0] - b[0])
    const D = this.dim
    try {
      const file = SafetensorsFile.open(segment.path)
      try {
        for (let s = 0; s < hits.length; ) {
          let e = s + 1
          // Extend the run over rows that are close: reading a few unneeded rows beats another read call.
          while (e < hits.length && hits[e][0] - hits[e - 1][0] <= 8) e++
          const first = hits[s][0]
          if (hits[e - 1][0] - first === e - 1 - s && hits[e - 1][1] - hits[s][1] === e - 1 - s) {
            // Rows and outputs both consecutive (a warm job asking in the order it wrote): read straight into `out`.
            file.readRowsInto('vectors', first, hits[e - 1][0] + 1, out, hits[s][1] * D)
            s = e
            continue
          }
          const rows = file.readRows<'F32'>('vectors', first, hits[e - 1][0] + 1)
          for (let k = s; k < e; k++) {
            const r = hits[k][0] - first
            out.set(rows.subarray(r * D, (r + 1) * D), hits[k][1] * D)
          }
          s = e
        }
      } finally {
        file.close()
      }
      return true
    } catch {
      return false
    }
  }

  /**
   * Adds vectors (n × dim, in the order of `recordHashes`). Written as one segment once every key the
   * last `getMany` missed has arrived; without such a lookup, at once.
   */
  async putMany(recordHashes: string[], vectors: Float32Array): Promise<void> {
    if (recordHashes.length === 0) return
    if (vectors.length !== recordHashes.length * this.dim)
      throw new Error(`putMany: ${vectors.length} values for ${recordHashes.length} vectors of ${this.dim}`)
    for (const h of recordHashes) this.pendingKeys.push(keyHex(h))
    this.pendingVectors.push(vectors.slice())
    this.pendingBytes += vectors.byteLength
    this.awaited = Math.max(0, this.awaited - recordHashes.length)
    if (this.awaited === 0 || this.pendingBytes >= MAX_PENDING_BYTES) this.flush()
  }

  /** Writes the pending vectors as one segment (one fsync); nothing when none are pending. */
  flush(): void {
    const n = this.pendingKeys.length
    if (n === 0) return
    const keys = Buffer.from(this.pendingKeys.join(''), 'hex')
    const name = createHash('sha256').update(keys).digest('hex').slice(0, 40)
    writeSafetensorsFile(
      join(this.dir, `${name}.safetensors`),
      [
        {name: 'keys', dtype: 'U8', shape: [n, 32], data: keys},
        {name: 'vectors', dtype: 'F32', shape: [n, this.dim], data: this.pendingVectors},
      ],
      this.metadata(),
    )
    this.pendingKeys = []
    this.pendingVectors = []
    this.pendingBytes = 0
    // The next lookup sees the new segment.
    this.index = undefined
  }
}
