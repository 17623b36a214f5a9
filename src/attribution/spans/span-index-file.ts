import {SafetensorsFile, type TensorSource, writeSafetensorsFile} from '../../model/safetensors.js'
import {CorruptFileError} from '../../store/atomic.js'
import {SpanIndexError} from '../errors.js'
import type {RecordMeta} from '../types.js'
import {type BuiltSpanIndex, type IntColumn, type SpanIndex, vocabularyIds} from './span-index.js'

export const SPAN_INDEX_VERSION = 2
const SPAN_INDEX_FORMAT = 'openledger-span-index'

/**
 * The stored index is safetensors, laid out as infini-gram lays out its index: the token array and
 * the suffix table of fixed-width (4-byte) pointers into it, plus the LCP array beside the table.
 * Tensors: tokens, sa, lcp (I32 [n]); record_starts (I32 [records + 1]); counts (I32 [vocabulary]);
 * vocab (U8: the tokens joined by newlines, which no token contains); when the index carries
 * record metadata, record_meta_offsets (I32 [records + 1]) and record_meta (U8: one JSON object per
 * record). `__metadata__` holds the
 * format, version and the caller's `info` (datanet, version, root, text field) as JSON.
 */
export function saveSpanIndex(path: string, idx: BuiltSpanIndex): void {
  const {tokens, sa, lcp} = idx.arrays
  const n = tokens.length
  const nr = idx.recordStarts.length - 1
  const vocab = Buffer.from(idx.vocab.join('\n'), 'utf8')
  const tensors: TensorSource[] = [
    {name: 'tokens', dtype: 'I32', shape: [n], data: tokens},
    {name: 'sa', dtype: 'I32', shape: [n], data: sa},
    {name: 'lcp', dtype: 'I32', shape: [n], data: lcp},
    {name: 'record_starts', dtype: 'I32', shape: [nr + 1], data: idx.recordStarts},
    {name: 'counts', dtype: 'I32', shape: [idx.counts.length], data: idx.counts},
    {name: 'vocab', dtype: 'U8', shape: [vocab.length], data: vocab},
  ]
  // Record metadata only when the index carries it (an index of bare texts has none).
  if (idx.records?.length) {
    const parts = idx.records.map((r) => Buffer.from(JSON.stringify(r), 'utf8'))
    const offsets = new Int32Array(nr + 1)
    for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i] + parts[i].length
    const meta = Buffer.concat(parts)
    tensors.push(
      {name: 'record_meta_offsets', dtype: 'I32', shape: [nr + 1], data: offsets},
      {name: 'record_meta', dtype: 'U8', shape: [meta.length], data: meta},
    )
  }
  writeSafetensorsFile(path, tensors, {
    format: SPAN_INDEX_FORMAT,
    version: String(SPAN_INDEX_VERSION),
    info: JSON.stringify(idx.info ?? {}),
  })
}

/** 1024 pointers (4 KiB) per page: a binary search over n suffixes touches about log2(n) pages. */
const PAGE_SHIFT = 10

/** A stored I32 column read a page at a time, each page read once. */
function pagedColumn(file: SafetensorsFile, name: string): IntColumn {
  const length = file.info(name).shape[0]
  const pages = new Map<number, Int32Array>()
  const mask = (1 << PAGE_SHIFT) - 1
  return {
    length,
    get(i) {
      const p = i >>> PAGE_SHIFT
      let page = pages.get(p)
      if (!page) {
        page = file.readRows<'I32'>(name, p << PAGE_SHIFT, Math.min(length, (p + 1) << PAGE_SHIFT))
        pages.set(p, page)
      }
      return page[i & mask]
    },
  }
}

export type OpenSpanIndex = SpanIndex & {close(): void}

/**
 * Opens a stored index for queries: the header, the per-record offsets, the counts and the
 * vocabulary are read; the token array, suffix table and LCP array are read by position as queries
 * touch them, and a record's metadata only when a span lands in it. Close it when done.
 */
export function openSpanIndex(path: string): OpenSpanIndex {
  let file: SafetensorsFile
  try {
    file = SafetensorsFile.open(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SpanIndexError(`no span index at ${path}`)
    if (err instanceof CorruptFileError) throw new SpanIndexError(`${path} is not a span index (${err.message})`, {cause: err})
    throw err
  }
  try {
    const m = file.metadata
    if (m.format !== SPAN_INDEX_FORMAT) throw new SpanIndexError(`${path} is not a span index (format ${m.format ?? 'missing'})`)
    if (m.version !== String(SPAN_INDEX_VERSION))
      throw new SpanIndexError(`${path} has span index format ${m.version}, this version reads ${SPAN_INDEX_VERSION}`)
    const withMeta = file.tensors.has('record_meta_offsets')
    for (const name of ['tokens', 'sa', 'lcp', 'record_starts', 'counts', ...(withMeta ? ['record_meta_offsets'] : [])]) {
      if (file.info(name).dtype !== 'I32') throw new SpanIndexError(`${path} is damaged (${name} is not I32)`)
    }
    const vocab = Buffer.from(file.read<'U8'>('vocab')).toString('utf8').split('\n')
    const counts = file.read<'I32'>('counts')
    if (vocab.length !== counts.length) throw new SpanIndexError(`${path} is damaged (vocabulary size)`)
    const n = file.info('tokens').shape[0]
    if (file.info('sa').shape[0] !== n || file.info('lcp').shape[0] !== n) throw new SpanIndexError(`${path} is damaged (array lengths)`)
    const metaOffsets = withMeta ? file.read<'I32'>('record_meta_offsets') : new Int32Array(0)
    let info: Record<string, unknown>
    try {
      info = JSON.parse(m.info ?? '{}')
    } catch (err) {
      throw new SpanIndexError(`${path} is damaged (metadata is not JSON)`, {cause: err})
    }
    const recordMeta = metaOffsets.length
      ? (i: number): RecordMeta | undefined => {
          if (!(i >= 0 && i + 1 < metaOffsets.length)) return undefined
          return JSON.parse(Buffer.from(file.readBytes('record_meta', metaOffsets[i], metaOffsets[i + 1])).toString('utf8')) as RecordMeta
        }
      : undefined
    return {
      tokens: pagedColumn(file, 'tokens'),
      sa: pagedColumn(file, 'sa'),
      lcp: pagedColumn(file, 'lcp'),
      recordStarts: file.read<'I32'>('record_starts'),
      counts,
      vocab,
      ids: vocabularyIds(vocab),
      recordMeta,
      info,
      close: () => file.close(),
    }
  } catch (err) {
    file.close()
    if (err instanceof CorruptFileError) throw new SpanIndexError(`${path} is damaged (${err.message})`, {cause: err})
    throw err
  }
}

/** @deprecated the name before indexes were read by position; use openSpanIndex (and close it). */
export const loadSpanIndex = openSpanIndex
