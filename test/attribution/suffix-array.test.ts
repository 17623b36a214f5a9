import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {buildLcpArray, buildSuffixArray, naiveSuffixArray} from '../../src/attribution/suffix-array.js'

describe('SA-IS suffix array', () => {
  it('equals a naive suffix sort on random token sequences', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 6}).chain((K) => fc.array(fc.integer({min: 0, max: K - 1}), {maxLength: 300})),
        (arr) => {
          const t = Int32Array.from(arr)
          expect(Array.from(buildSuffixArray(t))).toEqual(Array.from(naiveSuffixArray(t)))
        },
      ),
      {numRuns: 400},
    )
  })

  it('handles repetitive inputs that recurse several levels', () => {
    for (const t of [
      new Int32Array(1000),
      Int32Array.from({length: 999}, (_, i) => i % 3),
      Int32Array.from({length: 1024}, (_, i) => (i & (i >> 3)) % 2),
    ]) {
      expect(Array.from(buildSuffixArray(t))).toEqual(Array.from(naiveSuffixArray(t)))
    }
    expect(Array.from(buildSuffixArray(new Int32Array(0)))).toEqual([])
  })

  it('accepts Uint32Array and large alphabets', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({min: 0, max: 100_000}), {maxLength: 200}), (arr) => {
        const t = Uint32Array.from(arr)
        expect(Array.from(buildSuffixArray(t))).toEqual(Array.from(naiveSuffixArray(t)))
      }),
      {numRuns: 100},
    )
  })
})

describe('LCP array', () => {
  it('equals the common prefix of adjacent suffixes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({min: 0, max: 3}), {maxLength: 200}), (arr) => {
        const t = Int32Array.from(arr)
        const sa = buildSuffixArray(t)
        const lcp = buildLcpArray(t, sa)
        for (let k = 1; k < sa.length; k++) {
          let d = 0
          while (sa[k - 1] + d < t.length && sa[k] + d < t.length && t[sa[k - 1] + d] === t[sa[k] + d]) d++
          expect(lcp[k]).toBe(d)
        }
        if (sa.length) expect(lcp[0]).toBe(0)
      }),
      {numRuns: 200},
    )
  })
})
