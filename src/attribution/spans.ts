import {readFileSync} from 'node:fs'

import {writeFileAtomic} from '../store/atomic.js'
import {AttributionInputError, SpanIndexError} from './errors.js'
import {buildLcpArray, buildSuffixArray} from './suffix-array.js'
import type {RecordMeta} from './types.js'

/**
 * Span tracing of a text output against a datanet's records (OLMoTrace-style, at word level):
 * records are tokenised into words and punctuation, concatenated with a separator token, and indexed
 * by a suffix array with its LCP array. For each word start of the output, the longest match in the
 * corpus is found by one binary search; spans that are long, rare and inside one sentence are kept,
 * at most a fixed fraction of the output length, and mapped back to the records that contain them.
 */

/** Token id 0 separates records; matches never cross it because outputs never contain it. */
export const SEPARATOR = 0
const TOKEN_RE = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu
const WORD_RE = /^[\p{L}\p{N}]/u
const SENTENCE_BREAKS = new Set(['.', '!', '?', ';'])

export type Tokenized = {tokens: string[]; starts: Int32Array; ends: Int32Array}

/** Words (lower-cased, NFKC) and single punctuation marks, with character offsets into `text`. */
export function tokenize(text: string): Tokenized {
  const tokens: string[] = []
  const starts: number[] = []
  const ends: number[] = []
  for (const m of text.matchAll(TOKEN_RE)) {
    tokens.push(m[0].normalize('NFKC').toLowerCase().replace(/’/g, "'"))
    starts.push(m.index)
    ends.push(m.index + m[0].length)
  }
  return {tokens, starts: Int32Array.from(starts), ends: Int32Array.from(ends)}
}

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

function finishIndex(
  tokens: Int32Array, sa: Int32Array, lcp: Int32Array, recordStarts: Int32Array, counts: Int32Array,
  vocab: string[], records?: RecordMeta[], info?: Record<string, unknown>,
): SpanIndex {
  const ids = new Map<string, number>()
  const isBreak = new Uint8Array(vocab.length)
  const isWord = new Uint8Array(vocab.length)
  vocab.forEach((w, i) => {
    ids.set(w, i)
    if (i !== SEPARATOR) {
      if (SENTENCE_BREAKS.has(w)) isBreak[i] = 1
      if (WORD_RE.test(w)) isWord[i] = 1
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

/** Longest common prefix of q[from..end) and the corpus suffix at s. */
function lcpWith(idx: SpanIndex, q: Int32Array, from: number, end: number, s: number): number {
  const T = idx.tokens
  const n = T.length
  let d = 0
  while (from + d < end && s + d < n && q[from + d] === T[s + d]) d++
  return d
}

export type Match = {length: number; /** first and one-past-last SA rank of the matches (capped) */ lo: number; hi: number}

/**
 * Longest prefix of q[from..end) that occurs in the corpus: one binary search for the insertion
 * point, then the longer LCP with its two neighbours. The SA range of that prefix is found by walking
 * the LCP array outward, stopping once more than `cap` occurrences are seen.
 */
export function longestMatch(idx: SpanIndex, q: Int32Array, from: number, end: number, cap = Infinity): Match {
  const {sa, tokens: T, lcp} = idx
  const n = sa.length
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const s = sa[mid]
    let d = 0
    while (from + d < end && s + d < n && q[from + d] === T[s + d]) d++
    // suffix < query when the suffix ends first or has a smaller token at the first difference
    const less = from + d < end && (s + d >= n || T[s + d] < q[from + d])
    if (less) lo = mid + 1
    else hi = mid
  }
  const a = lo > 0 ? lcpWith(idx, q, from, end, sa[lo - 1]) : 0
  const b = lo < n ? lcpWith(idx, q, from, end, sa[lo]) : 0
  const L = Math.max(a, b)
  if (L === 0) return {length: 0, lo: 0, hi: 0}
  const k = b >= a ? lo : lo - 1
  let s = k
  let e = k + 1
  while (s > 0 && lcp[s] >= L && e - s <= cap) s--
  while (e < n && lcp[e] >= L && e - s <= cap) e++
  return {length: L, lo: s, hi: e}
}

export type SpanOptions = {
  /** Fewest words in a span. Default 5. */
  minWords?: number
  /** Most corpus occurrences for a span to count as rare. Default 10. */
  maxCount?: number
  /** Keep at most ceil(density × output words) spans. Default 0.05. */
  density?: number
}

export type TracedSpan = {
  text: string
  /** Character offsets into the output. */
  start: number
  end: number
  tokenStart: number
  tokenEnd: number
  words: number
  count: number
  /** Record indices (into the datanet version) containing the span. */
  records: number[]
}

export type RecordScore = {index: number; score: number; recordHash?: string; contributor?: string}

export type SpanTrace = {spans: TracedSpan[]; records: RecordScore[]; outputWords: number}

function withMeta(idx: SpanIndex, index: number, score: number): RecordScore {
  const m = idx.records?.[index]
  return m ? {index, score, recordHash: m.recordHash, contributor: m.contributor} : {index, score}
}

/**
 * OLMoTrace filters over the maximal matches at word starts: whole words (tokens are words; spans
 * start and end on a word), no sentence break inside, at least `minWords` words, at most `maxCount`
 * occurrences; then the rarest spans by unigram probability, at most `density` × output words.
 * Each kept span adds (its words / records containing it) to those records' scores.
 */
export function traceSpans(idx: SpanIndex, text: string, opts: SpanOptions = {}): SpanTrace {
  if (text.trim() === '') throw new AttributionInputError('the text to trace is empty')
  const minWords = opts.minWords ?? 5
  const maxCount = opts.maxCount ?? 10
  const density = opts.density ?? 0.05
  const tk = tokenize(text)
  const m = tk.tokens.length
  const q = new Int32Array(m)
  const word = new Uint8Array(m)
  const brk = new Uint8Array(m)
  for (let i = 0; i < m; i++) {
    const id = idx.ids.get(tk.tokens[i])
    q[i] = id === undefined ? -1 : id
    word[i] = WORD_RE.test(tk.tokens[i]) ? 1 : 0
    brk[i] = SENTENCE_BREAKS.has(tk.tokens[i]) ? 1 : 0
  }
  let outputWords = 0
  for (let i = 0; i < m; i++) outputWords += word[i]
  // End of the sentence containing each position (exclusive).
  const sentEnd = new Int32Array(m)
  for (let i = m - 1, e = m; i >= 0; i--) {
    if (brk[i]) e = i
    sentEnd[i] = e
  }
  const total = idx.tokens.length
  type Cand = TracedSpan & {logp: number}
  const cands: Cand[] = []
  let maxEnd = -1
  for (let j = 0; j < m; j++) {
    if (!word[j] || q[j] < 0) continue
    const mt = longestMatch(idx, q, j, sentEnd[j], maxCount)
    let e = j + mt.length
    while (e > j && !word[e - 1]) e--
    if (e <= maxEnd) continue
    maxEnd = e
    let words = 0
    for (let i = j; i < e; i++) words += word[i]
    if (words < minWords) continue
    // The match may have been trimmed; recount for the final length.
    const fin = e - j === mt.length ? mt : longestMatch(idx, q, j, e, maxCount)
    const count = fin.hi - fin.lo
    if (count > maxCount) continue
    let logp = 0
    for (let i = j; i < e; i++) logp += Math.log(idx.counts[q[i]] / total)
    const recs = new Set<number>()
    for (let k = fin.lo; k < fin.hi; k++) recs.add(recordAt(idx, idx.sa[k]))
    cands.push({
      text: text.slice(tk.starts[j], tk.ends[e - 1]),
      start: tk.starts[j],
      end: tk.ends[e - 1],
      tokenStart: j,
      tokenEnd: e,
      words,
      count,
      records: [...recs].sort((a, b) => a - b),
      logp,
    })
  }
  const keep = Math.max(1, Math.ceil(density * outputWords))
  cands.sort((a, b) => a.logp - b.logp || a.start - b.start)
  const spans: TracedSpan[] = cands.slice(0, keep).sort((a, b) => a.start - b.start).map(({logp: _l, ...s}) => s)
  const scores = new Map<number, number>()
  for (const s of spans) for (const r of s.records) scores.set(r, (scores.get(r) ?? 0) + s.words / s.records.length)
  const records = [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([i, s]) => withMeta(idx, i, s))
  return {spans, records, outputWords}
}

// ---------------------------------------------------------------------------------------------
// Embedding neighbours (paraphrase) and the hybrid
// ---------------------------------------------------------------------------------------------

export type EmbeddingIndex = {N: number; D: number; E: Float32Array; invNorm: Float32Array}

/** Record vectors (N×D, the encoder's outputs) with their inverse norms, computed once. */
export function createEmbeddingIndex(E: Float32Array, N: number, D: number): EmbeddingIndex {
  if (E.length !== N * D) throw new AttributionInputError(`record vectors have ${E.length} values, expected N×D = ${N}×${D}`)
  const invNorm = new Float32Array(N)
  for (let i = 0; i < N; i++) {
    let s = 0
    for (let j = 0; j < D; j++) s += E[i * D + j] ** 2
    invNorm[i] = s > 0 ? 1 / Math.sqrt(s) : 0
  }
  return {N, D, E, invNorm}
}

/** Top-k records by cosine similarity to `v`. */
export function embeddingNeighbours(ei: EmbeddingIndex, v: Float32Array, k = 20): Array<{index: number; score: number}> {
  if (v.length !== ei.D) throw new AttributionInputError(`query vector has ${v.length} values, expected D = ${ei.D}`)
  let vn = 0
  for (let j = 0; j < ei.D; j++) vn += v[j] * v[j]
  if (!(vn > 0)) return []
  vn = 1 / Math.sqrt(vn)
  const {E, D, N} = ei
  const scores = new Float64Array(N)
  for (let i = 0; i < N; i++) {
    let s0 = 0
    let s1 = 0
    let j = 0
    for (; j + 1 < D; j += 2) {
      s0 += E[i * D + j] * v[j]
      s1 += E[i * D + j + 1] * v[j + 1]
    }
    if (j < D) s0 += E[i * D + j] * v[j]
    scores[i] = (s0 + s1) * ei.invNorm[i] * vn
  }
  const order = Array.from({length: N}, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b)
  return order.slice(0, k).map((i) => ({index: i, score: scores[i]}))
}

export const RRF_K = 60

/**
 * Hybrid: reciprocal-rank fusion of the span ranking and the embedding ranking,
 * score(i) = Σ_lists 1/(60 + rank(i)). Ranks, not raw scores, are fused because span scores (words)
 * and cosines live on different scales; a record found by both lists outranks one found by either.
 */
export function fuseRankings(lists: Array<Array<{index: number}>>, k0 = RRF_K): Array<{index: number; score: number}> {
  const s = new Map<number, number>()
  for (const list of lists) list.forEach((r, rank) => s.set(r.index, (s.get(r.index) ?? 0) + 1 / (k0 + rank + 1)))
  return [...s].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([index, score]) => ({index, score}))
}

export type TextTraceOptions = SpanOptions & {
  method?: 'spans' | 'embedding' | 'hybrid'
  embeddings?: EmbeddingIndex
  /** The encoder's vector of the output text (embedding and hybrid). */
  vector?: Float32Array
  topK?: number
}

/** Traces a text output by spans, by embedding neighbours, or both fused. */
export function traceText(idx: SpanIndex, text: string, opts: TextTraceOptions = {}): SpanTrace {
  const method = opts.method ?? 'spans'
  const topK = opts.topK ?? 20
  if (text.trim() === '') throw new AttributionInputError('the text to trace is empty')
  if (method === 'spans') return traceSpans(idx, text, opts)
  if (!opts.embeddings || !opts.vector) throw new AttributionInputError(`--method ${method} needs the records' vectors and the output's vector`)
  const nb = embeddingNeighbours(opts.embeddings, opts.vector, topK)
  if (method === 'embedding') {
    return {spans: [], records: nb.map((r) => withMeta(idx, r.index, r.score)), outputWords: tokenize(text).tokens.length}
  }
  const sp = traceSpans(idx, text, opts)
  const fused = fuseRankings([sp.records, nb]).slice(0, topK)
  return {spans: sp.spans, records: fused.map((r) => withMeta(idx, r.index, r.score)), outputWords: sp.outputWords}
}
