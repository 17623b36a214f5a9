import {readFileSync} from 'node:fs'

import {writeFileAtomic} from '../../store/atomic.js'
import {SpanIndexError} from '../errors.js'
import type {RecordMeta} from '../types.js'
import {finishIndex, type SpanIndex} from './span-index.js'

const MAGIC = 0x58534c4f // 'OLSX'
export const SPAN_INDEX_VERSION = 1
const HEADER = 32

/**
 * Binary layout, little-endian: a 32-byte header (magic 'OLSX', version, n tokens, records,
 * vocabulary size, JSON length), then Int32 arrays tokens[n], sa[n], lcp[n], recordStarts[records+1],
 * counts[vocab], then UTF-8 JSON {vocab, records?, info?}. Loaded with one read; the arrays are views.
 */
export function saveSpanIndex(path: string, idx: SpanIndex): void {
  const json = Buffer.from(JSON.stringify({vocab: idx.vocab, records: idx.records, info: idx.info}), 'utf8')
  const n = idx.tokens.length
  const nr = idx.recordStarts.length - 1
  const V = idx.vocab.length
  const ints = 3 * n + nr + 1 + V
  const buf = new Uint8Array(HEADER + ints * 4 + json.length)
  const dv = new DataView(buf.buffer)
  dv.setUint32(0, MAGIC, true)
  dv.setUint32(4, SPAN_INDEX_VERSION, true)
  dv.setUint32(8, n, true)
  dv.setUint32(12, nr, true)
  dv.setUint32(16, V, true)
  dv.setUint32(20, json.length, true)
  let off = HEADER
  for (const a of [idx.tokens, idx.sa, idx.lcp, idx.recordStarts, idx.counts]) {
    buf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off)
    off += a.byteLength
  }
  buf.set(json, off)
  writeFileAtomic(path, buf)
}

export function loadSpanIndex(path: string): SpanIndex {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SpanIndexError(`no span index at ${path}`)
    throw err
  }
  if (buf.length < HEADER) throw new SpanIndexError(`${path} is not a span index (too short)`)
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length)
  if (dv.getUint32(0, true) !== MAGIC) throw new SpanIndexError(`${path} is not a span index (bad magic)`)
  const version = dv.getUint32(4, true)
  if (version !== SPAN_INDEX_VERSION) throw new SpanIndexError(`${path} has span index format ${version}, this version reads ${SPAN_INDEX_VERSION}`)
  const n = dv.getUint32(8, true)
  const nr = dv.getUint32(12, true)
  const V = dv.getUint32(16, true)
  const jl = dv.getUint32(20, true)
  const ints = 3 * n + nr + 1 + V
  if (buf.length !== HEADER + ints * 4 + jl) throw new SpanIndexError(`${path} is truncated or damaged (size ${buf.length})`)
  const base = buf.byteOffset + HEADER
  const all = base % 4 === 0 ? new Int32Array(buf.buffer, base, ints) : new Int32Array(buf.buffer.slice(base, base + ints * 4))
  let o = 0
  const take = (len: number): Int32Array => {
    const a = all.subarray(o, o + len)
    o += len
    return a
  }
  const tokens = take(n)
  const sa = take(n)
  const lcp = take(n)
  const recordStarts = take(nr + 1)
  const counts = take(V)
  let meta: {vocab: string[]; records?: RecordMeta[]; info?: Record<string, unknown>}
  try {
    meta = JSON.parse(buf.subarray(HEADER + ints * 4).toString('utf8'))
  } catch (err) {
    throw new SpanIndexError(`${path} is damaged (metadata is not JSON)`, {cause: err})
  }
  if (meta.vocab.length !== V) throw new SpanIndexError(`${path} is damaged (vocabulary size)`)
  return finishIndex(tokens, sa, lcp, recordStarts, counts, meta.vocab, meta.records, meta.info)
}
