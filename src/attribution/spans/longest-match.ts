import {PAST_END, SAMPLE_KEY, SAMPLE_STEP, SAMPLE_WIDTH, type SpanShard} from './span-index.js'

/** Longest common prefix of q[from..end) and the shard's suffix at s. */
function lcpWith(shard: SpanShard, q: Int32Array, from: number, end: number, s: number): number {
  const T = shard.tokens
  const n = T.length
  let d = 0
  while (from + d < end && s + d < n && q[from + d] === T.get(s + d)) d++
  return d
}

/** Whether the suffix at s sorts before q[from..end), given that their first `d` tokens agree. */
function suffixLess(shard: SpanShard, q: Int32Array, from: number, end: number, s: number, d: number): boolean {
  const T = shard.tokens
  const n = T.length
  while (from + d < end && s + d < n && q[from + d] === T.get(s + d)) d++
  // suffix < query when the suffix ends first or has a smaller token at the first difference
  return from + d < end && (s + d >= n || T.get(s + d) < q[from + d])
}

/** Whether sampled suffix k sorts before the query: its key first, the token array only past a tie. */
function sampleLess(shard: SpanShard, q: Int32Array, from: number, end: number, k: number): boolean {
  const smp = shard.sample
  const o = k * SAMPLE_WIDTH
  for (let d = 0; d < SAMPLE_KEY; d++) {
    if (from + d >= end) return false
    const t = smp[o + 1 + d]
    if (t === PAST_END) return true
    if (t !== q[from + d]) return t < q[from + d]
  }
  return suffixLess(shard, q, from, end, smp[o], SAMPLE_KEY)
}

export type Match = {length: number /** first and one-past-last SA rank of the matches (capped) */; lo: number; hi: number}

/** The longest prefix's length and one SA rank whose suffix starts with it (−1 when nothing matches). */
export type Prefix = {length: number; rank: number}

/**
 * Longest prefix of q[from..end) (the shard's token ids; −1 for a word it lacks) that occurs in the
 * shard: a binary search over the in-memory sample finds the block of SAMPLE_STEP ranks holding the
 * insertion point, a second one inside that block finds the point, then the longer LCP with its two
 * neighbours.
 */
export function longestPrefix(shard: SpanShard, q: Int32Array, from: number, end: number): Prefix {
  const sa = shard.sa
  const n = sa.length
  let a = 0
  let b = shard.sample.length / SAMPLE_WIDTH
  while (a < b) {
    const mid = (a + b) >>> 1
    if (sampleLess(shard, q, from, end, mid)) a = mid + 1
    else b = mid
  }
  // Samples before a sort before the query, sample a (if any) does not.
  let lo = a > 0 ? (a - 1) * SAMPLE_STEP + 1 : 0
  let hi = Math.min(n, a * SAMPLE_STEP)
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (suffixLess(shard, q, from, end, sa.get(mid), 0)) lo = mid + 1
    else hi = mid
  }
  const l = lo > 0 ? lcpWith(shard, q, from, end, sa.get(lo - 1)) : 0
  const r = lo < n ? lcpWith(shard, q, from, end, sa.get(lo)) : 0
  const length = Math.max(l, r)
  return {length, rank: length === 0 ? -1 : r >= l ? lo : lo - 1}
}

/**
 * The SA range of the suffixes sharing `length` tokens with the one at `rank`, found by walking the
 * LCP array outward and stopping once more than `cap` are seen. Only spans that pass the length
 * filter need it, so the search leaves it out.
 */
export function occurrences(shard: SpanShard, rank: number, length: number, cap = Infinity): {lo: number; hi: number} {
  const {lcp} = shard
  const n = lcp.length
  let s = rank
  let e = rank + 1
  while (s > 0 && lcp.get(s) >= length && e - s <= cap) s--
  while (e < n && lcp.get(e) >= length && e - s <= cap) e++
  return {lo: s, hi: e}
}

/** Longest prefix of q[from..end) in the shard and its SA range (capped past `cap` occurrences). */
export function longestMatch(shard: SpanShard, q: Int32Array, from: number, end: number, cap = Infinity): Match {
  const p = longestPrefix(shard, q, from, end)
  if (p.length === 0) return {length: 0, lo: 0, hi: 0}
  return {length: p.length, ...occurrences(shard, p.rank, p.length, cap)}
}
