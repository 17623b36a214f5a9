import canonicalize from 'canonicalize'
import fc from 'fast-check'
import {keccak256, stringToBytes} from 'viem'
import {describe, expect, it} from 'vitest'

import {CanonicalJsonError, canonicalJson} from '../../src/datanet/canonical-json.js'
import {recordHash} from '../../src/datanet/hash.js'

describe('canonicalJson (RFC 8785)', () => {
  it('agrees with the canonicalize reference on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(v)).toBe(canonicalize(v))
      }),
      {numRuns: 500},
    )
  })

  it('agrees on unicode-heavy objects', () => {
    const key = fc.string({unit: 'grapheme', maxLength: 6})
    fc.assert(
      fc.property(
        fc.dictionary(
          key,
          fc.oneof(fc.string({unit: 'grapheme'}), fc.double({noNaN: true, noDefaultInfinity: true}), fc.boolean(), fc.constant(null)),
        ),
        (v) => {
          expect(canonicalJson(v)).toBe(canonicalize(v))
        },
      ),
      {numRuns: 300},
    )
  })

  it('matches the RFC 8785 examples for numbers, escapes and key order', () => {
    expect(
      canonicalJson({numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001], literals: [null, true, false]}),
    ).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}')
    expect(canonicalJson({string: '€$\u000f\nA\'B"\\\\"/'})).toBe('{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    // Sorted by UTF-16 code units: "\r" < "1" < "\u0080" < "ö" < "€" < "😀" (a surrogate pair) < "\ufb33".
    const sorted = canonicalJson({
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    })
    expect(sorted).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    )
    expect(canonicalJson(-0)).toBe('0')
    expect(canonicalJson({b: [], a: {}})).toBe('{"a":{},"b":[]}')
  })

  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson({x: Number.NaN})).toThrow(CanonicalJsonError)
    expect(() => canonicalJson({x: Infinity})).toThrow(/field x/)
    expect(() => canonicalJson({x: '\ud800'})).toThrow(/lone UTF-16 surrogate/)
    expect(() => canonicalJson({x: undefined})).toThrow(CanonicalJsonError)
    expect(() => canonicalJson({x: 1n})).toThrow(/bigint/)
    expect(() => canonicalJson(new Date())).toThrow(/Date/)
  })
})

describe('recordHash', () => {
  it('is keccak256 of the canonical JSON bytes of the content fields, contributor left out', () => {
    const fields = {text: 'my card was charged twice 💳', label: 'billing', extra: {b: 1, a: [1.5, 'ü']}}
    const expected = keccak256(stringToBytes(canonicalize(fields)!))
    expect(recordHash(fields)).toBe(expected)
    expect(recordHash({...fields, contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'})).toBe(expected)
    expect(recordHash({label: 'billing', extra: {a: [1.5, 'ü'], b: 1}, text: 'my card was charged twice 💳'})).toBe(expected)
    expect(recordHash({...fields, label: 'other'})).not.toBe(expected)
  })

  it('keeps a "__proto__" field a field', () => {
    const row = JSON.parse('{"text":"x","__proto__":{"a":1},"contributor":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}')
    expect(recordHash(row)).toBe(keccak256(stringToBytes('{"__proto__":{"a":1},"text":"x"}')))
  })
})
