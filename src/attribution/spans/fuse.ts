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
