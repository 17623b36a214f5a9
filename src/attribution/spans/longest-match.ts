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
 * insertion point, then a walk of that block along the LCP and branch arrays finds the point and the
 * query's common prefix with its two neighbours, the longer of which is the match.
 */
export function longestPrefix(shard: SpanShard, q: Int32Array, from: number, end: number): Prefix {
  const {sa, lcp, branch} = shard
  const n = sa.length
  const ns = shard.sample.length / SAMPLE_WIDTH
  let a = 0
  let b = ns
  while (a < b) {
    const mid = (a + b) >>> 1
    if (sampleLess(shard, q, from, end, mid)) a = mid + 1
    else b = mid
  }
  // Samples before a sort before the query, sample a (if any) does not: the insertion point is in
  // ((a − 1)·S, a·S]. Walk that block in rank order from sample a − 1, keeping m, the query's common
  // prefix with the suffix before the current rank (which sorts before the query). Suffix r shares
  // lcp[r] tokens with suffix r − 1 and then has branch[r], larger than suffix r − 1's token there:
  //   lcp[r] > m: at depth m it has suffix r − 1's token, below the query's: still before it;
  //   lcp[r] < m: at depth lcp[r] it is larger than suffix r − 1, which equals the query there: after;
  //   lcp[r] = m: branch[r] against q[m] decides, and only when they are equal is the token array
  //   read, to find how much further the match goes.
  if (a === 0) {
    const r = n > 0 ? lcpWith(shard, q, from, end, sa.get(0)) : 0
    return {length: r, rank: r === 0 ? -1 : 0}
  }
  const start = (a - 1) * SAMPLE_STEP
  let m = sampleLcp(shard, q, from, end, a - 1)
  const qlen = end - from
  const last = Math.min(n - 1, a * SAMPLE_STEP)
  let lo = n
  let right = 0
  for (let r = start + 1; r <= last; r++) {
    const l = lcp.get(r)
    if (l > m) continue
    if (l < m) {
      lo = r
      right = l
      break
    }
    const c = branch.get(r)
    const qc = q[from + m]
    if (c < qc) continue
    if (c > qc) {
      lo = r
      right = m
      break
    }
    // Equal: suffix r matches one more token, and perhaps more.
    const s = sa.get(r)
    let d = m + 1
    while (d < qlen && s + d < n && q[from + d] === shard.tokens.get(s + d)) d++
    if (d === qlen || (s + d < n && shard.tokens.get(s + d) > q[from + d])) {
      lo = r
      right = d
      break
    }
    m = d
  }
  const length = Math.max(m, right)
  return {length, rank: length === 0 ? -1 : right >= m ? lo : lo - 1}
}

/** Common prefix of the query with sampled suffix k: its key first, the token array only past it. */
function sampleLcp(shard: SpanShard, q: Int32Array, from: number, end: number, k: number): number {
  const smp = shard.sample
  const o = k * SAMPLE_WIDTH
  for (let d = 0; d < SAMPLE_KEY; d++) if (from + d >= end || smp[o + 1 + d] !== q[from + d]) return d
  const T = shard.tokens
  const s = smp[o]
  let d = SAMPLE_KEY
  while (from + d < end && s + d < T.length && q[from + d] === T.get(s + d)) d++
  return d
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
