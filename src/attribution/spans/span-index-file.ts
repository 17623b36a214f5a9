import {existsSync, readFileSync, rmSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {writeJsonAtomic} from '../../store/atomic.js'
import {SpanIndexError} from '../errors.js'
import type {RecordMeta} from '../types.js'
import {assembleIndex, type BuiltShard, type BuiltSpanIndex, ShardBuilder, type ShardingOptions, type SpanIndex} from './span-index.js'
import {type OpenShard, openShardFile, SPAN_INDEX_VERSION, writeShardFile} from './span-shard-file.js'

export {SPAN_INDEX_VERSION} from './span-shard-file.js'
const SPAN_INDEX_FORMAT = 'openledger-span-index'

/**
 * A stored index is a small JSON manifest at its path and one safetensors file per shard beside it
 * (`<name>.<i>.safetensors`, laid out as span-shard-file.ts describes). The shards are written first
 * and the manifest last, so an index whose manifest exists is whole.
 */
export type SpanIndexManifest = {
  format: typeof SPAN_INDEX_FORMAT
  version: number
  tokens: number
  records: number
  shards: Array<{file: string; records: number; tokens: number}>
  info: Record<string, unknown>
}

/** The file of shard i of the index whose manifest is at `path` (`x.spans.json` → `x.spans.i.safetensors`). */
export function shardPath(path: string, i: number): string {
  const stem = basename(path).replace(/\.json$/, '')
  return join(dirname(path), `${stem}.${i}.safetensors`)
}

/** Deletes shard files from position `first` on, left by an earlier build with more shards. */
function removeShardsFrom(path: string, first: number): void {
  for (let i = first; existsSync(shardPath(path, i)); i++) rmSync(shardPath(path, i))
}

/**
 * Builds and stores an index record by record: memory is one shard's worth (its tokens, then its
 * suffix and LCP arrays while it is written), whatever the datanet's size. `finish` writes the
 * manifest; an unfinished build leaves no manifest, so it is never opened.
 */
export class SpanIndexWriter {
  private readonly builder: ShardBuilder
  private readonly shards: SpanIndexManifest['shards'] = []
  private records = 0
  private tokens = 0

  constructor(
    readonly path: string,
    private readonly opts: ShardingOptions & {info?: Record<string, unknown>} = {},
  ) {
    // A manifest from an earlier build would describe shard files about to be replaced.
    rmSync(path, {force: true})
    this.builder = new ShardBuilder((s) => this.write(s), opts)
  }

  add(text: string, meta?: RecordMeta): void {
    this.builder.add(text, meta)
  }

  private write(shard: BuiltShard): void {
    const i = this.shards.length
    const file = shardPath(this.path, i)
    writeShardFile(file, shard, i)
    const records = shard.arrays.recordStarts.length - 1
    this.shards.push({file: basename(file), records, tokens: shard.arrays.tokens.length})
    this.records += records
    this.tokens += shard.arrays.tokens.length
  }

  finish(): SpanIndexManifest {
    this.builder.finish()
    removeShardsFrom(this.path, this.shards.length)
    const manifest: SpanIndexManifest = {
      format: SPAN_INDEX_FORMAT,
      version: SPAN_INDEX_VERSION,
      tokens: this.tokens,
      records: this.records,
      shards: this.shards,
      info: this.opts.info ?? {},
    }
    writeJsonAtomic(this.path, manifest)
    return manifest
  }
}

/** Stores an index built in memory (its shards, then the manifest). */
export function saveSpanIndex(path: string, idx: BuiltSpanIndex): void {
  rmSync(path, {force: true})
  const shards = idx.shards.map((s, i) => {
    const file = shardPath(path, i)
    writeShardFile(file, s, i)
    return {file: basename(file), records: s.arrays.recordStarts.length - 1, tokens: s.arrays.tokens.length}
  })
  removeShardsFrom(path, shards.length)
  writeJsonAtomic(path, {
    format: SPAN_INDEX_FORMAT,
    version: SPAN_INDEX_VERSION,
    tokens: idx.tokenCount,
    records: idx.recordCount,
    shards,
    info: idx.info ?? {},
  } satisfies SpanIndexManifest)
}

export type OpenSpanIndex = SpanIndex & {close(): void}

/**
 * Opens a stored index for queries: the manifest, each shard's header and its suffix-array sample
 * (0.14 bytes per token) are read; everything else (token array, suffix table, LCP array,
 * vocabulary, record offsets) is read by position as queries touch it, through caches of fixed size,
 * and a record's metadata only when a span lands in it. Close it when done.
 */
export function openSpanIndex(path: string): OpenSpanIndex {
  const manifest = readManifest(path)
  const shards: OpenShard[] = []
  const close = () => {
    for (const s of shards.splice(0)) s.close()
  }
  try {
    let recordBase = 0
    for (const [i, entry] of manifest.shards.entries()) {
      const shard = openShardFile(join(dirname(path), entry.file), i, recordBase)
      shards.push(shard)
      if (shard.tokens.length !== entry.tokens || shard.recordStarts.length - 1 !== entry.records)
        throw new SpanIndexError(`${path} is damaged (shard ${entry.file} does not match the manifest)`)
      recordBase += entry.records
    }
    const idx = assembleIndex([...shards], manifest.info)
    if (idx.tokenCount !== manifest.tokens || idx.recordCount !== manifest.records)
      throw new SpanIndexError(`${path} is damaged (shard totals do not match the manifest)`)
    return {...idx, close}
  } catch (err) {
    close()
    throw err
  }
}

function readManifest(path: string): SpanIndexManifest {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SpanIndexError(`no span index at ${path}`)
    throw err
  }
  let m: Partial<SpanIndexManifest>
  try {
    m = JSON.parse(text) as Partial<SpanIndexManifest>
  } catch {
    throw new SpanIndexError(`${path} is not a span index (not a JSON manifest)`)
  }
  if (m?.format !== SPAN_INDEX_FORMAT) throw new SpanIndexError(`${path} is not a span index (format ${m?.format ?? 'missing'})`)
  if (m.version !== SPAN_INDEX_VERSION)
    throw new SpanIndexError(`${path} has span index format ${m.version}, this version reads ${SPAN_INDEX_VERSION}`)
  const ok =
    Array.isArray(m.shards) &&
    m.shards.length > 0 &&
    m.shards.every(
      (s) => typeof s?.file === 'string' && !/[/\\]/.test(s.file) && Number.isInteger(s.records) && Number.isInteger(s.tokens),
    ) &&
    Number.isInteger(m.tokens) &&
    Number.isInteger(m.records) &&
    typeof m.info === 'object' &&
    m.info !== null
  if (!ok) throw new SpanIndexError(`${path} is damaged (the manifest lacks its shard list or totals)`)
  return m as SpanIndexManifest
}

/** @deprecated the name before indexes were read by position; use openSpanIndex (and close it). */
export const loadSpanIndex = openSpanIndex
