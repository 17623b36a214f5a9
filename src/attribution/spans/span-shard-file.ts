import {closeSync, openSync} from 'node:fs'

import {SafetensorsFile, type TensorSource, writeSafetensorsFile} from '../../model/safetensors.js'
import {CorruptFileError} from '../../store/atomic.js'
import {SpanIndexError} from '../errors.js'
import type {RecordMeta} from '../types.js'
import {pagedColumn} from './paged.js'
import {type BuiltShard, SAMPLE_STEP, SAMPLE_WIDTH, type SpanShard} from './span-index.js'
import {pagedVocabulary} from './vocabulary.js'

/**
 * One shard of a stored span index: a safetensors file laid out as infini-gram lays out its index,
 * the token array and the suffix table of fixed-width (4-byte) pointers into it, plus the LCP array
 * beside the table. Tensors: tokens, sa, lcp, branch (I32 [n]: the token after each LCP); sample (I32 [⌈n/256⌉, 9]: every 256th
 * suffix's start and first 8 tokens); record_starts (I32 [records + 1]); the vocabulary sorted by
 * UTF-8 bytes, a token's id being its rank: vocab (U8, the words back to back), vocab_offsets
 * (I32 [size + 1]), counts (I32 [size]); with record metadata, record_meta_offsets (I32 [records + 1])
 * and record_meta (U8: one JSON object per record). `__metadata__`: format, version, the shard's
 * position and its first record.
 */
export const SPAN_INDEX_VERSION = 3
const SPAN_SHARD_FORMAT = 'openledger-span-shard'

/** An empty tensor is written as no chunks (the writer takes no bytes for it). */
const chunks = (a: Int32Array): Int32Array | Int32Array[] => (a.length ? a : [])

/** Writes one shard's file (atomically): its arrays, vocabulary and record metadata. */
export function writeShardFile(path: string, shard: BuiltShard, i: number): void {
  const {tokens, sa, lcp, branch, recordStarts, counts} = shard.arrays
  const n = tokens.length
  const nr = recordStarts.length - 1
  const parts = shard.words.map((w) => Buffer.from(w, 'utf8'))
  const vocabOffsets = new Int32Array(parts.length + 1)
  for (let k = 0; k < parts.length; k++) vocabOffsets[k + 1] = vocabOffsets[k] + parts[k].length
  const tensors: TensorSource[] = [
    {name: 'tokens', dtype: 'I32', shape: [n], data: chunks(tokens)},
    {name: 'sa', dtype: 'I32', shape: [n], data: chunks(sa)},
    {name: 'lcp', dtype: 'I32', shape: [n], data: chunks(lcp)},
    {name: 'branch', dtype: 'I32', shape: [n], data: chunks(branch)},
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
 * Page sizes and cache slots per column (power-of-two counts): binary searches land far apart, so
 * the token array is read 64 tokens (256 bytes) at a time; the suffix table and LCP array in blocks
 * of one sample step (a search's second stage stays inside one); the vocabulary and record offsets
 * in 4 KiB pages (a lookup's last steps share one). About 3 MiB of cache per shard in all.
 */
const PAGES = {
  tokens: [6, 4096],
  sa: [8, 512],
  lcp: [8, 256],
  branch: [8, 256],
  record_starts: [10, 64],
  record_meta_offsets: [10, 16],
  vocab: [12, 64],
  vocab_offsets: [10, 64],
  counts: [10, 64],
} as const

export type OpenShard = SpanShard & {close(): void}

/**
 * Opens shard file `path`, checking it is shard `i` (first record `recordBase`) of this format:
 * its header and suffix-table sample are read, every other column is read by position.
 */
export function openShardFile(path: string, i: number, recordBase: number): OpenShard {
  let file: SafetensorsFile
  try {
    file = SafetensorsFile.open(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SpanIndexError(`span index shard ${path} is missing`)
    if (err instanceof CorruptFileError) throw new SpanIndexError(`span index shard ${path} is damaged (${err.message})`, {cause: err})
    throw err
  }
  let fd: number | undefined
  const close = () => {
    file.close()
    if (fd !== undefined) closeSync(fd)
    fd = undefined
  }
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
    const i32 = [
      'tokens',
      'sa',
      'lcp',
      'branch',
      'sample',
      'record_starts',
      'vocab_offsets',
      'counts',
      ...(withMeta ? ['record_meta_offsets'] : []),
    ]
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
      file.info('branch').shape[0] !== n ||
      file.info('vocab_offsets').shape[0] !== size + 1 ||
      sampleShape[0] !== Math.ceil(n / SAMPLE_STEP) ||
      sampleShape[1] !== SAMPLE_WIDTH ||
      nr < 0 ||
      (withMeta && file.info('record_meta_offsets').shape[0] !== nr + 1)
    )
      throw new SpanIndexError(`span index shard ${path} is damaged (array lengths)`)
    // The columns read through a descriptor of their own (closed with the file).
    const own = openSync(path, 'r')
    fd = own
    const col = (name: keyof typeof PAGES) => pagedColumn({fd: own, info: file.info(name)}, PAGES[name][0], PAGES[name][1])
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
      branch: col('branch'),
      recordStarts: col('record_starts'),
      sample: file.read<'I32'>('sample'),
      vocabulary: pagedVocabulary(col('vocab'), col('vocab_offsets'), col('counts')),
      recordBase,
      recordMeta,
      close,
    }
  } catch (err) {
    close()
    if (err instanceof CorruptFileError) throw new SpanIndexError(`span index shard ${path} is damaged (${err.message})`, {cause: err})
    throw err
  }
}
