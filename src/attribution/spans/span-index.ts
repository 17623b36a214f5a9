import {AttributionInputError} from '../errors.js'
import {buildLcpArray, buildSuffixArray} from '../suffix-array.js'
import type {RecordMeta} from '../types.js'
import {SEPARATOR, tokenize} from './tokenize.js'

/**
 * Span tracing of a text output against a datanet's records (OLMoTrace-style, at word level):
 * records are tokenised into words and punctuation, concatenated with a separator token, and indexed
 * by a suffix array with its LCP array. For each word start of the output, the longest match in the
 * corpus is found by one binary search; spans that are long, rare and inside one sentence are kept,
 * at most a fixed fraction of the output length, and mapped back to the records that contain them.
 */
export type SpanIndex = {
  /** Corpus token ids (records joined by SEPARATOR), length n. */
  tokens: IntColumn
  /** Suffix array: the start of each suffix in sorted order (fixed-width pointers into tokens). */
  sa: IntColumn
  /** lcp[k]: longest common prefix of the suffixes at ranks k − 1 and k. */
  lcp: IntColumn
  /** Token offset of each record's first token; length records + 1 (prefix sums). */
  recordStarts: Int32Array
  /** Corpus count of each vocabulary id. */
  counts: Int32Array
  vocab: string[]
  ids: Map<string, number>
  /** Who is behind record i, when the index carries it. */
  recordMeta?: (i: number) => RecordMeta | undefined
  info?: Record<string, unknown>
}

/**
 * A column of 32-bit integers read by position: an array in memory while an index is built, pages
 * of the file once it is stored (so a query reads the few pages its binary searches touch).
 */
export type IntColumn = {readonly length: number; get(i: number): number}

export function memoryColumn(a: Int32Array): IntColumn {
  return {length: a.length, get: (i) => a[i]}
}

/** A freshly built index, with the arrays and record list that `saveSpanIndex` stores. */
export type BuiltSpanIndex = SpanIndex & {
  arrays: {tokens: Int32Array; sa: Int32Array; lcp: Int32Array}
  records?: RecordMeta[]
}

/** The vocabulary's lookup table (token → id). */
export function vocabularyIds(vocab: string[]): Map<string, number> {
  const ids = new Map<string, number>()
  vocab.forEach((w, i) => ids.set(w, i))
  return ids
}

/** Builds the index of a datanet's record texts (in record order). */
export function buildSpanIndex(texts: string[], opts: {records?: RecordMeta[]; info?: Record<string, unknown>} = {}): BuiltSpanIndex {
  if (opts.records && opts.records.length !== texts.length) {
    throw new AttributionInputError(`${texts.length} texts but ${opts.records.length} record entries`)
  }
  const vocab: string[] = ['\u0000']
  const ids = new Map<string, number>([['\u0000', SEPARATOR]])
  const seq: number[] = []
  const recordStarts = new Int32Array(texts.length + 1)
  texts.forEach((text, r) => {
    recordStarts[r] = seq.length
    for (const w of tokenize(text).tokens) {
      let id = ids.get(w)
      if (id === undefined) {
        id = vocab.length
        vocab.push(w)
        ids.set(w, id)
      }
      seq.push(id)
    }
    seq.push(SEPARATOR)
  })
  recordStarts[texts.length] = seq.length
  const tokens = Int32Array.from(seq)
  const sa = buildSuffixArray(tokens, vocab.length)
  const lcp = buildLcpArray(tokens, sa)
  const counts = new Int32Array(vocab.length)
  for (let i = 0; i < tokens.length; i++) counts[tokens[i]]++
  const records = opts.records
  return {
    tokens: memoryColumn(tokens),
    sa: memoryColumn(sa),
    lcp: memoryColumn(lcp),
    recordStarts,
    counts,
    vocab,
    ids,
    recordMeta: records ? (i) => records[i] : undefined,
    info: opts.info,
    arrays: {tokens, sa, lcp},
    records,
  }
}

/** Record containing corpus position `pos` (binary search over the prefix sums). */
export function recordAt(idx: SpanIndex, pos: number): number {
  const rs = idx.recordStarts
  let lo = 0
  let hi = rs.length - 1
  while (lo + 1 < hi) {
    const mid = (lo + hi) >> 1
    if (rs[mid] <= pos) lo = mid
    else hi = mid
  }
  return lo
}
