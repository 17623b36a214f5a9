import {AttributionInputError} from '../errors.js'
import {longestPrefix, occurrences, type Prefix} from './longest-match.js'
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
  const shards = idx.shards
  // Each shard numbers its own vocabulary: the output in each shard's ids (−1 where it lacks the word).
  const qs = shards.map(() => new Int32Array(m))
  const count = new Float64Array(m)
  const word = new Uint8Array(m)
  const brk = new Uint8Array(m)
  const seen = new Map<string, number>()
  for (let i = 0; i < m; i++) {
    const w = tk.tokens[i]
    const first = seen.get(w)
    if (first !== undefined) {
      for (const q of qs) q[i] = q[first]
      count[i] = count[first]
    } else {
      seen.set(w, i)
      for (let s = 0; s < shards.length; s++) {
        const id = shards[s].vocabulary.idOf(w)
        qs[s][i] = id
        if (id >= 0) count[i] += shards[s].vocabulary.count(id)
      }
    }
    word[i] = isWordToken(w) ? 1 : 0
    brk[i] = isSentenceBreak(w) ? 1 : 0
  }
  let outputWords = 0
  for (let i = 0; i < m; i++) outputWords += word[i]
  const wordsBefore = new Int32Array(m + 1)
  for (let i = 0; i < m; i++) wordsBefore[i + 1] = wordsBefore[i] + word[i]
  // Per shard, where a match from each position must stop: the sentence end or a word the shard lacks.
  const stops = qs.map((q) => {
    const stop = new Int32Array(m)
    for (let i = m - 1, e = m; i >= 0; i--) {
      if (brk[i] || q[i] < 0) e = i
      stop[i] = e
    }
    return stop
  })
  const total = idx.tokenCount
  type Cand = TracedSpan & {logp: number}
  const cands: Cand[] = []
  const prefixes: Array<Prefix | undefined> = shards.map(() => undefined)
  const ranges: Array<{lo: number; hi: number} | undefined> = shards.map(() => undefined)
  let maxEnd = -1
  for (let j = 0; j < m; j++) {
    if (!word[j] || count[j] === 0) continue
    // The longest match over the shards is the longest of each shard's. A shard whose match could
    // not reach minWords words is not searched: the span is not kept whichever shard gives it, and a
    // later span it would have hidden (ending no further) lies inside it, so is too short as well.
    let length = 0
    for (let s = 0; s < shards.length; s++) {
      const stop = stops[s][j]
      prefixes[s] = wordsBefore[stop] - wordsBefore[j] < minWords ? undefined : longestPrefix(shards[s], qs[s], j, stop)
      length = Math.max(length, prefixes[s]?.length ?? 0)
    }
    let e = j + length
    while (e > j && !word[e - 1]) e--
    if (e <= maxEnd) continue
    maxEnd = e
    let words = 0
    for (let i = j; i < e; i++) words += word[i]
    if (words < minWords) continue
    // Occurrences of the (possibly trimmed) span, summed over the shards that hold it: the suffix a
    // shard's search ended on starts with it, so its range grows from there. Each shard's count is
    // capped past maxCount, so the sum passes maxCount exactly when the true count does.
    let found = 0
    for (let s = 0; s < shards.length; s++) {
      const p = prefixes[s]
      const r = p && p.length >= e - j ? occurrences(shards[s], p.rank, e - j, maxCount) : undefined
      ranges[s] = r
      if (r) found += r.hi - r.lo
    }
    if (found > maxCount) continue
    let logp = 0
    for (let i = j; i < e; i++) logp += Math.log(count[i] / total)
    const recs = new Set<number>()
    for (let s = 0; s < shards.length; s++) {
      const r = ranges[s]
      if (!r) continue
      const sh = shards[s]
      for (let k = r.lo; k < r.hi; k++) recs.add(sh.recordBase + recordAt(sh, sh.sa.get(k)))
    }
    cands.push({
      text: text.slice(tk.starts[j], tk.ends[e - 1]),
      start: tk.starts[j],
      end: tk.ends[e - 1],
      tokenStart: j,
      tokenEnd: e,
      words,
      count: found,
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
