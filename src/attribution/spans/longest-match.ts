import type {SpanIndex} from './span-index.js'

/** Longest common prefix of q[from..end) and the corpus suffix at s. */
function lcpWith(idx: SpanIndex, q: Int32Array, from: number, end: number, s: number): number {
  const T = idx.tokens
  const n = T.length
  let d = 0
  while (from + d < end && s + d < n && q[from + d] === T.get(s + d)) d++
  return d
}

export type Match = {length: number /** first and one-past-last SA rank of the matches (capped) */; lo: number; hi: number}

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
    const s = sa.get(mid)
    let d = 0
    while (from + d < end && s + d < n && q[from + d] === T.get(s + d)) d++
    // suffix < query when the suffix ends first or has a smaller token at the first difference
    const less = from + d < end && (s + d >= n || T.get(s + d) < q[from + d])
    if (less) lo = mid + 1
    else hi = mid
  }
  const a = lo > 0 ? lcpWith(idx, q, from, end, sa.get(lo - 1)) : 0
  const b = lo < n ? lcpWith(idx, q, from, end, sa.get(lo)) : 0
  const L = Math.max(a, b)
  if (L === 0) return {length: 0, lo: 0, hi: 0}
  const k = b >= a ? lo : lo - 1
  let s = k
  let e = k + 1
  while (s > 0 && lcp.get(s) >= L && e - s <= cap) s--
  while (e < n && lcp.get(e) >= L && e - s <= cap) e++
  return {length: L, lo: s, hi: e}
}
