import {closeSync, existsSync, openSync, readFileSync, rmSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {SafetensorsFile, type TensorSource, writeSafetensorsFile} from '../../model/safetensors.js'
import {CorruptFileError, writeJsonAtomic} from '../../store/atomic.js'
import {SpanIndexError} from '../errors.js'
import type {RecordMeta} from '../types.js'
import {pagedColumn} from './paged.js'
import {
  assembleIndex,
  type BuiltShard,
  type BuiltSpanIndex,
  SAMPLE_STEP,
  SAMPLE_WIDTH,
  ShardBuilder,
  type ShardingOptions,
  type SpanIndex,
  type SpanShard,
} from './span-index.js'
import {pagedVocabulary} from './vocabulary.js'

export const SPAN_INDEX_VERSION = 3
const SPAN_INDEX_FORMAT = 'openledger-span-index'
const SPAN_SHARD_FORMAT = 'openledger-span-shard'

/**
 * A stored index is a small JSON manifest at its path and one safetensors file per shard beside it
 * (`<name>.<i>.safetensors`), each laid out as infini-gram lays out its index: the token array and
 * the suffix table of fixed-width (4-byte) pointers into it, plus the LCP array beside the table.
 * Shard tensors: tokens, sa, lcp (I32 [n]); sample (I32 [⌈n/256⌉, 9]: every 256th suffix's start and
 * first 8 tokens); record_starts (I32 [records + 1]); the vocabulary sorted by UTF-8 bytes, a token's
 * id being its rank: vocab (U8, the words back to back), vocab_offsets (I32 [size + 1]), counts
 * (I32 [size]); with record metadata, record_meta_offsets (I32 [records + 1]) and record_meta (U8:
 * one JSON object per record). The shards are written first and the manifest last, so an index whose
 * manifest exists is whole.
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

/** An empty tensor is written as no chunks (the writer takes no bytes for it). */
const chunks = (a: Int32Array): Int32Array | Int32Array[] => (a.length ? a : [])

/** Deletes shard files from position `first` on, left by an earlier build with more shards. */
function removeShardsFrom(path: string, first: number): void {
  for (let i = first; existsSync(shardPath(path, i)); i++) rmSync(shardPath(path, i))
}

function writeShardFile(path: string, shard: BuiltShard, i: number): void {
  const {tokens, sa, lcp, recordStarts, counts} = shard.arrays
  const n = tokens.length
  const nr = recordStarts.length - 1
  const parts = shard.words.map((w) => Buffer.from(w, 'utf8'))
  const vocabOffsets = new Int32Array(parts.length + 1)
  for (let k = 0; k < parts.length; k++) vocabOffsets[k + 1] = vocabOffsets[k] + parts[k].length
  const tensors: TensorSource[] = [
    {name: 'tokens', dtype: 'I32', shape: [n], data: chunks(tokens)},
    {name: 'sa', dtype: 'I32', shape: [n], data: chunks(sa)},
    {name: 'lcp', dtype: 'I32', shape: [n], data: chunks(lcp)},
    {name: 'sample', dtype: 'I32', shape: [shard.sample.length / SAMPLE_WIDTH, SAMPLE_WIDTH], data: chunks(shard.sample)},
    {name: 'record_starts', dtype: 'I32', shape: [nr + 1], data: recordStarts},
    {name: 'vocab', dtype: 'U8', shape: [vocabOffsets[parts.length]], data: parts},
    {name: 'vocab_offsets', dtype: 'I32', shape: [parts.length + 1], data: vocabOffsets},
    {name: 'counts', dtype: 'I32', shape: [counts.length], data: counts},
  ]
  // Record metadata only when the index carries it (an index of bare texts has none).
  if (shard.records?.length) {
    const meta = shard.records.map((r) => Buffer.from(JSON.stringify(r), 'utf8'))
    const offsets = new Int32Array(nr + 1)
    for (let k = 0; k < meta.length; k++) offsets[k + 1] = offsets[k] + meta[k].length
    tensors.push(
      {name: 'record_meta_offsets', dtype: 'I32', shape: [nr + 1], data: offsets},
      {name: 'record_meta', dtype: 'U8', shape: [offsets[nr]], data: meta},
    )
  }
  writeSafetensorsFile(path, tensors, {
    format: SPAN_SHARD_FORMAT,
    version: String(SPAN_INDEX_VERSION),
    shard: String(i),
    record_base: String(shard.recordBase),
  })
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

/**
 * Page sizes and cache slots per column (power-of-two counts): binary searches land far apart, so
 * the token array is read 64 tokens (256 bytes) at a time; the suffix table and LCP array in blocks
 * of one sample step (a search's second stage stays inside one); the vocabulary and record offsets
 * in 4 KiB pages (a lookup's last steps share one). About 3 MiB of cache per shard in all.
 */
const PAGES = {
  tokens: [6, 4096],
  sa: [8, 512],
  lcp: [8, 256],
  record_starts: [10, 64],
  record_meta_offsets: [10, 16],
  vocab: [12, 64],
  vocab_offsets: [10, 64],
  counts: [10, 64],
} as const

export type OpenSpanIndex = SpanIndex & {close(): void}

/**
 * Opens a stored index for queries: the manifest, each shard's header and its suffix-array sample
 * (0.14 bytes per token) are read; everything else (token array, suffix table, LCP array,
 * vocabulary, record offsets) is read by position as queries touch it, through caches of fixed size,
 * and a record's metadata only when a span lands in it. Close it when done.
 */
export function openSpanIndex(path: string): OpenSpanIndex {
  const manifest = readManifest(path)
  const files: SafetensorsFile[] = []
  const fds: number[] = []
  const close = () => {
    for (const f of files) f.close()
    for (const fd of fds.splice(0)) closeSync(fd)
  }
  try {
    let recordBase = 0
    const shards = manifest.shards.map((entry, i) => {
      const shard = openShard(join(dirname(path), entry.file), i, recordBase, files, fds)
      if (shard.tokens.length !== entry.tokens || shard.recordStarts.length - 1 !== entry.records)
        throw new SpanIndexError(`${path} is damaged (shard ${entry.file} does not match the manifest)`)
      recordBase += entry.records
      return shard
    })
    const idx = assembleIndex(shards, manifest.info)
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

function openShard(path: string, i: number, recordBase: number, files: SafetensorsFile[], fds: number[]): SpanShard {
  let file: SafetensorsFile
  try {
    file = SafetensorsFile.open(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SpanIndexError(`span index shard ${path} is missing`)
    if (err instanceof CorruptFileError) throw new SpanIndexError(`span index shard ${path} is damaged (${err.message})`, {cause: err})
    throw err
  }
  files.push(file)
  try {
    const m = file.metadata
    if (
      m.format !== SPAN_SHARD_FORMAT ||
      m.version !== String(SPAN_INDEX_VERSION) ||
      m.shard !== String(i) ||
      m.record_base !== String(recordBase)
    )
      throw new SpanIndexError(`span index shard ${path} is not shard ${i} of this index (${m.format ?? 'no format'} ${m.version ?? ''})`)
    const withMeta = file.tensors.has('record_meta_offsets')
    const i32 = ['tokens', 'sa', 'lcp', 'sample', 'record_starts', 'vocab_offsets', 'counts', ...(withMeta ? ['record_meta_offsets'] : [])]
    for (const name of i32)
      if (file.info(name).dtype !== 'I32') throw new SpanIndexError(`span index shard ${path} is damaged (${name} is not I32)`)
    if (file.info('vocab').dtype !== 'U8' || (withMeta && file.info('record_meta').dtype !== 'U8'))
      throw new SpanIndexError(`span index shard ${path} is damaged (vocab or record_meta is not U8)`)
    const n = file.info('tokens').shape[0]
    const size = file.info('counts').shape[0]
    const nr = file.info('record_starts').shape[0] - 1
    const sampleShape = file.info('sample').shape
    if (
      file.info('sa').shape[0] !== n ||
      file.info('lcp').shape[0] !== n ||
      file.info('vocab_offsets').shape[0] !== size + 1 ||
      sampleShape[0] !== Math.ceil(n / SAMPLE_STEP) ||
      sampleShape[1] !== SAMPLE_WIDTH ||
      nr < 0 ||
      (withMeta && file.info('record_meta_offsets').shape[0] !== nr + 1)
    )
      throw new SpanIndexError(`span index shard ${path} is damaged (array lengths)`)
    // The columns read through a descriptor of their own (closed with the file).
    const fd = openSync(path, 'r')
    fds.push(fd)
    const col = (name: keyof typeof PAGES) => pagedColumn({fd, info: file.info(name)}, PAGES[name][0], PAGES[name][1])
    const metaOffsets = withMeta ? col('record_meta_offsets') : undefined
    const recordMeta = metaOffsets
      ? (r: number): RecordMeta | undefined => {
          if (!(r >= 0 && r < nr)) return undefined
          try {
            return JSON.parse(
              Buffer.from(file.readBytes('record_meta', metaOffsets.get(r), metaOffsets.get(r + 1))).toString('utf8'),
            ) as RecordMeta
          } catch (err) {
            throw new SpanIndexError(`span index shard ${path} is damaged (record ${r}'s metadata)`, {cause: err})
          }
        }
      : undefined
    return {
      tokens: col('tokens'),
      sa: col('sa'),
      lcp: col('lcp'),
      recordStarts: col('record_starts'),
      sample: file.read<'I32'>('sample'),
      vocabulary: pagedVocabulary(col('vocab'), col('vocab_offsets'), col('counts')),
      recordBase,
      recordMeta,
    }
  } catch (err) {
    if (err instanceof CorruptFileError) throw new SpanIndexError(`span index shard ${path} is damaged (${err.message})`, {cause: err})
    throw err
  }
}

/** @deprecated the name before indexes were read by position; use openSpanIndex (and close it). */
export const loadSpanIndex = openSpanIndex
