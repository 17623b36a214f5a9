import {AttributionInputError} from '../errors.js'
import {longestMatch} from './longest-match.js'
import {recordAt, type SpanIndex} from './span-index.js'
import {isSentenceBreak, isWordToken, tokenize} from './tokenize.js'

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

export function withMeta(idx: SpanIndex, index: number, score: number): RecordScore {
  const m = idx.recordMeta?.(index)
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
    word[i] = isWordToken(tk.tokens[i]) ? 1 : 0
    brk[i] = isSentenceBreak(tk.tokens[i]) ? 1 : 0
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
    for (let k = fin.lo; k < fin.hi; k++) recs.add(recordAt(idx, idx.sa.get(k)))
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
  const spans: TracedSpan[] = cands
    .slice(0, keep)
    .sort((a, b) => a.start - b.start)
    .map(({logp: _l, ...s}) => s)
  const scores = new Map<number, number>()
  for (const s of spans) for (const r of s.records) scores.set(r, (scores.get(r) ?? 0) + s.words / s.records.length)
  const records = [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([i, s]) => withMeta(idx, i, s))
  return {spans, records, outputWords}
}
