import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {getAddress} from 'viem'

import {aggregateScores} from '../../src/attribution/aggregate.js'
import {
  buildReceipt,
  canonicalJson,
  fixedPointWeights,
  receiptHash,
  receiptJson,
  settlementArgs,
  textHash,
  WEIGHT_ONE,
} from '../../src/attribution/receipt.js'
import {RunningTopK} from '../../src/attribution/top-k.js'

const addr = (i: number) => `0x${(i + 1).toString(16).padStart(40, 'a')}`
const recs = Array.from({length: 30}, (_, i) => ({
  recordHash: `0x${i.toString(16).padStart(64, '0')}`,
  contributor: addr(i % 5)
    .toUpperCase()
    .replace('0X', '0x'),
  datanet: i < 20 ? 'tickets' : 'faq',
}))

describe('fixed-point weights', () => {
  it('sum exactly to 1e18 and follow the parts (largest remainder)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({min: 0, max: 1e6, noNaN: true}), {minLength: 1, maxLength: 50}).filter((a) => a.some((v) => v > 0)),
        (parts) => {
          const w = fixedPointWeights(parts)
          expect(w.reduce((a, b) => a + b, 0n)).toBe(WEIGHT_ONE)
          const total = parts.reduce((a, b) => a + b, 0)
          parts.forEach((p, i) => {
            expect(w[i] >= 0n).toBe(true)
            expect(Math.abs(Number(w[i]) / 1e18 - p / total)).toBeLessThan(1e-9)
          })
        },
      ),
      {numRuns: 300},
    )
    expect(fixedPointWeights([1, 1, 1]).map(String)).toEqual(['333333333333333334', '333333333333333333', '333333333333333333'])
  })
  it('refuses all-zero or negative parts', () => {
    expect(() => fixedPointWeights([0, 0])).toThrowError(/all zero/)
    expect(() => fixedPointWeights([1, -1])).toThrowError(/non-negative/)
  })
})

describe('receipt', () => {
  const scores = Float64Array.from({length: 30}, (_, i) => Math.sin(i * 1.7) * (i + 1))
  const params = {
    method: 'if' as const,
    model: 'bafymodel',
    checkpoint: 'final',
    inputHash: textHash('in'),
    outputHash: textHash('out'),
    scores,
    records: recs,
    topK: 8,
  }

  it('lists the top-k records, proponents first, and splits only positive scores', () => {
    const r = buildReceipt(params)
    expect(r.records).toHaveLength(8)
    for (let k = 1; k < r.records.length; k++) expect(r.records[k - 1].score).toBeGreaterThanOrEqual(r.records[k].score)
    expect(r.records[0].score).toBeCloseTo(Math.max(...scores), 9)
    const sum = (xs: {weight: string}[]) => xs.reduce((a, b) => a + BigInt(b.weight), 0n)
    expect(sum(r.contributors)).toBe(WEIGHT_ONE)
    expect(sum(r.datanets)).toBe(WEIGHT_ONE)
    const pos = r.records.filter((x) => x.score > 0)
    const total = pos.reduce((a, b) => a + b.score, 0)
    for (const c of r.contributors) {
      const want = pos.filter((x) => x.contributor === c.address).reduce((a, b) => a + b.score, 0) / total
      expect(Number(c.weight) / 1e18).toBeCloseTo(want, 9)
      expect(c.address).toBe(getAddress(c.address))
    }
    const agg = aggregateScores(scores, recs, 8)
    expect(agg.contributors.map((c) => c.address)).toEqual(r.contributors.map((c) => c.address))
    expect(agg.contributors.reduce((a, b) => a + b.weight, 0)).toBeCloseTo(1, 12)
  })

  it('is deterministic JSON with a stable hash, ready for settle()', () => {
    const a = buildReceipt(params)
    const b = buildReceipt({...params, records: [...recs], scores: Float64Array.from(scores)})
    expect(receiptJson(a)).toBe(receiptJson(b))
    expect(receiptHash(a)).toMatch(/^0x[0-9a-f]{64}$/)
    expect(receiptHash(a)).toBe(receiptHash(b))
    expect(canonicalJson({b: 1, a: [{d: 2, c: 3}]})).toBe('{"a":[{"c":3,"d":2}],"b":1}')
    const s = settlementArgs(a)
    expect(s.weights.reduce((x, y) => x + y, 0n)).toBe(WEIGHT_ONE)
    expect(s.contributors).toEqual(a.contributors.map((c) => c.address))
  })

  it('pays the listed records equally when none is a proponent', () => {
    const r = buildReceipt({...params, scores: scores.map((v) => -Math.abs(v) - 1), topK: 5})
    expect(r.contributors.reduce((a, b) => a + BigInt(b.weight), 0n)).toBe(WEIGHT_ONE)
    expect(r.contributors.length).toBe(new Set(r.records.map((x) => x.contributor)).size)
  })

  it('rejects misaligned scores in one line', () => {
    expect(() => buildReceipt({...params, scores: new Float64Array(3)})).toThrowError(/3 scores for 30 records/)
  })

  it('from the candidates of a running top-k is the receipt all N scores give, ties at the k-th broken by hash', () => {
    // Few distinct values, so that ties straddle the k-th place; offered in a shuffled order.
    fc.assert(
      fc.property(
        fc.array(fc.integer({min: -3, max: 4}), {minLength: 30, maxLength: 30}),
        fc.integer({min: 1, max: 30}),
        fc.array(fc.nat(29), {minLength: 30, maxLength: 30}),
        (values, topK, perm) => {
          const scores = Float64Array.from(values, (v) => v * 0.25)
          // Hashes descending by position: the hash order is not the order the heap keeps ties in.
          const records = [...recs].reverse()
          const running = new RunningTopK(topK)
          const order = Array.from({length: 30}, (_, i) => i).sort((a, b) => perm[a] - perm[b] || a - b)
          for (const i of order) running.offer(i, scores[i])
          const fromCandidates = buildReceipt({...params, records, scores: undefined, candidates: running.candidates(), topK})
          expect(receiptJson(fromCandidates)).toBe(receiptJson(buildReceipt({...params, records, scores, topK})))
        },
      ),
    )
  })

  it('refuses a candidate that is not one of the records', () => {
    expect(() => buildReceipt({...params, scores: undefined, candidates: [{index: 30, score: 1}]})).toThrowError(
      /candidate 30 is not one of 30 records/,
    )
  })
})
