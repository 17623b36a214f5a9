import {describe, expect, it} from 'vitest'

import {RunningTopK, topK, topKByScore} from '../../src/attribution/top-k.js'
import {createRandom} from '../../src/model/prng.js'

describe('topK (bounded-heap selection)', () => {
  it('equals the first k of a full sort, ties included', () => {
    const g = createRandom(11)
    for (const n of [0, 1, 2, 7, 100, 1000]) {
      // Few distinct values, so ties are common and the tie-break decides.
      const scores = Float64Array.from({length: n}, () => g.int(17) - 8)
      const full = Array.from({length: n}, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b)
      for (const k of [0, 1, 3, 20, n, n + 5]) expect(topKByScore(scores, k)).toEqual(full.slice(0, k))
    }
  })

  it('follows any total order', () => {
    const keys = ['d', 'a', 'c', 'b', 'e']
    expect(topK(keys.length, 3, (a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0))).toEqual([1, 3, 2])
  })
})

describe('RunningTopK (streamed selection)', () => {
  it('gives topKByScore of everything offered, and keeps every record tied with the k-th score', () => {
    const g = createRandom(12)
    for (const n of [0, 1, 5, 100, 3000]) {
      const scores = Float64Array.from({length: n}, () => g.int(9) - 4)
      for (const k of [0, 1, 3, 20, n, n + 5]) {
        const run = new RunningTopK(k)
        scores.forEach((s, i) => run.offer(i, s))
        const expected = topKByScore(scores, k)
        expect(run.result().map((r) => r.index)).toEqual(expected)
        expect(run.result().map((r) => r.score)).toEqual(expected.map((i) => scores[i]))
        // Candidates: exactly the records scoring at least the k-th score, so any tie-break can be applied after.
        const bar = expected.length ? scores[expected[expected.length - 1]] : Number.POSITIVE_INFINITY
        const atLeast = Array.from({length: n}, (_, i) => i).filter((i) => k > 0 && scores[i] >= bar)
        expect(
          run
            .candidates()
            .map((r) => r.index)
            .sort((a, b) => a - b),
        ).toEqual(atLeast)
      }
    }
  })
})
