import {AttributionInputError} from '../errors.js'
import {buildLcpArray, buildSuffixArray} from '../suffix-array.js'
import type {RecordMeta} from '../types.js'
import {isSentenceBreak, isWordToken, SEPARATOR, tokenize} from './tokenize.js'

/**
 * Span tracing of a text output against a datanet's records (OLMoTrace-style, at word level):
 * records are tokenised into words and punctuation, concatenated with a separator token, and indexed
 * by a suffix array with its LCP array. For each word start of the output, the longest match in the
 * corpus is found by one binary search; spans that are long, rare and inside one sentence are kept,
 * at most a fixed fraction of the output length, and mapped back to the records that contain them.
 */
export type SpanIndex = {
  /** Corpus token ids (records joined by SEPARATOR), length n. */
  tokens: Int32Array
  sa: Int32Array
  lcp: Int32Array
  /** Token offset of each record's first token; length records + 1 (prefix sums). */
  recordStarts: Int32Array
  /** Corpus count of each vocabulary id. */
  counts: Int32Array
  vocab: string[]
  ids: Map<string, number>
  /** 1 for sentence-break ids. */
  isBreak: Uint8Array
  /** 1 for word ids (not punctuation, not the separator). */
  isWord: Uint8Array
  records?: RecordMeta[]
  info?: Record<string, unknown>
}

/** Derives the lookup tables (ids, word and sentence-break flags) from the stored arrays. */
export function finishIndex(
  tokens: Int32Array, sa: Int32Array, lcp: Int32Array, recordStarts: Int32Array, counts: Int32Array,
  vocab: string[], records?: RecordMeta[], info?: Record<string, unknown>,
): SpanIndex {
  const ids = new Map<string, number>()
  const isBreak = new Uint8Array(vocab.length)
  const isWord = new Uint8Array(vocab.length)
  vocab.forEach((w, i) => {
    ids.set(w, i)
    if (i !== SEPARATOR) {
      if (isSentenceBreak(w)) isBreak[i] = 1
      if (isWordToken(w)) isWord[i] = 1
    }
  })
  return {tokens, sa, lcp, recordStarts, counts, vocab, ids, isBreak, isWord, records, info}
}

/** Builds the index of a datanet's record texts (in record order). */
export function buildSpanIndex(texts: string[], opts: {records?: RecordMeta[]; info?: Record<string, unknown>} = {}): SpanIndex {
  if (opts.records && opts.records.length !== texts.length) {
    throw new AttributionInputError(`${texts.length} texts but ${opts.records.length} record entries`)
  }
  const vocab: string[] = ['\u0000']
  const ids = new Map<string, number>()
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
  return finishIndex(tokens, sa, lcp, recordStarts, counts, vocab, opts.records, opts.info)
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
