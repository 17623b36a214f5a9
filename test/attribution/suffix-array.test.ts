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
      new Int32Array(1001).fill(7),
      Int32Array.from({length: 1000}, (_, i) => (i % 2 ? 1 : 0)),
      Int32Array.from({length: 999}, (_, i) => i % 3),
      Int32Array.from({length: 1024}, (_, i) => (i & (i >> 3)) % 2),
    ]) {
      expect(Array.from(buildSuffixArray(t))).toEqual(Array.from(naiveSuffixArray(t)))
    }
    expect(Array.from(buildSuffixArray(new Int32Array(0)))).toEqual([])
  })

  it('handles the shortest inputs', () => {
    expect(Array.from(buildSuffixArray(Int32Array.of(5)))).toEqual([0])
    expect(Array.from(buildSuffixArray(Int32Array.of(1, 1)))).toEqual([1, 0])
    expect(Array.from(buildSuffixArray(Int32Array.of(1, 0)))).toEqual([1, 0])
    expect(Array.from(buildSuffixArray(Int32Array.of(0, 1)))).toEqual([0, 1])
    expect(Array.from(buildSuffixArray(Int32Array.of(0, 1), 7))).toEqual([0, 1])
  })

  it('equals a naive suffix sort on periodic inputs, which recurse after the reduced sort gives up', () => {
    // A random block repeated: every LMS substring name repeats, with the next difference a whole
    // period away, so sorting the reduced string by comparison passes its budget and recursion
    // takes over.
    fc.assert(
      fc.property(
        fc.array(fc.integer({min: 0, max: 5}), {minLength: 1, maxLength: 12}),
        fc.integer({min: 2, max: 60}),
        fc.array(fc.integer({min: 0, max: 5}), {maxLength: 5}),
        (block, times, tail) => {
          const t = Int32Array.from([...Array.from({length: times}, () => block).flat(), ...tail])
          expect(Array.from(buildSuffixArray(t))).toEqual(Array.from(naiveSuffixArray(t)))
        },
      ),
      {numRuns: 200},
    )
  })

  it('equals a naive suffix sort on longer word-like inputs, where some LMS names repeat', () => {
    // Zipf-like ids over a vocabulary of a few hundred: most LMS substrings are unique, some repeat
    // in groups of two and more, and the reduced string is sorted without recursion.
    fc.assert(
      fc.property(fc.integer({min: 1, max: 2 ** 31 - 1}), fc.integer({min: 2, max: 400}), (seed, V) => {
        let x = seed
        const t = Int32Array.from({length: 3000}, () => {
          x = (Math.imul(x, 48271) >>> 0) % 2147483647
          return Math.floor(V * (x / 2147483647) ** 3)
        })
        expect(Array.from(buildSuffixArray(t, V))).toEqual(Array.from(naiveSuffixArray(t)))
      }),
      {numRuns: 40},
    )
  })

  it('equals a naive suffix sort where LMS substrings are long and repeat', () => {
    // Long descending-then-ascending runs make LMS substrings longer than the short naming keys
    // hold; repeating them makes equal long substrings that must share a name.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({min: 8, max: 30}), fc.integer({min: 1, max: 3})), {minLength: 1, maxLength: 6}), (runs) => {
        const t: number[] = []
        for (const [len, times] of runs)
          for (let r = 0; r < times; r++) for (let k = 0; k < 2 * len; k++) t.push(k < len ? len - k : k - len + 1)
        const arr = Int32Array.from(t)
        expect(Array.from(buildSuffixArray(arr))).toEqual(Array.from(naiveSuffixArray(arr)))
      }),
      {numRuns: 100},
    )
  })

  it('equals a naive suffix sort on both sides of the 16-bit text boundary', () => {
    // The text is held in 16 bits while alphabet + 1 (the sentinel) fits in 65,536 symbols.
    for (const alphabet of [65_534, 65_535, 65_536, 65_537]) {
      fc.assert(
        fc.property(fc.array(fc.integer({min: alphabet - 4, max: alphabet - 1}), {maxLength: 300}), (arr) => {
          const t = Int32Array.from([...arr, 0, alphabet - 1, ...arr])
          expect(Array.from(buildSuffixArray(t, alphabet))).toEqual(Array.from(naiveSuffixArray(t)))
          expect(Array.from(buildSuffixArray(t))).toEqual(Array.from(naiveSuffixArray(t)))
        }),
        {numRuns: 25},
      )
    }
  })

  it('rejects a token outside the alphabet, naming it and its position', () => {
    expect(() => buildSuffixArray(Int32Array.of(0, 3, 1), 3)).toThrow('token 3 at 1 is outside [0, 3)')
    expect(() => buildSuffixArray(Int32Array.of(0, -1), 3)).toThrow('token -1 at 1')
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
