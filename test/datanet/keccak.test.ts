import {keccak_256} from '@noble/hashes/sha3'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {keccak256Bytes, keccak256Into, keccak256x64Into} from '../../src/datanet/keccak.js'

describe('keccak256 on raw bytes', () => {
  it('matches @noble/hashes for every length across block boundaries', () => {
    for (let len = 0; len <= 3 * 136 + 3; len++) {
      const data = Uint8Array.from({length: len}, (_, i) => (i * 131 + len * 7) & 255)
      expect(keccak256Bytes(data)).toEqual(keccak_256(data))
    }
  })

  it('matches on random inputs, at offsets, into offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 700}), fc.nat(40), fc.nat(40), (data, pre, outOff) => {
        const input = new Uint8Array(pre + data.length)
        input.set(data, pre)
        const out = new Uint8Array(outOff + 32)
        keccak256Into(input, pre, data.length, out, outOff)
        expect(out.subarray(outOff)).toEqual(keccak_256(data))
      }),
    )
  })

  it('has a 64-byte fast path equal to the general one', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 64, maxLength: 64}), (data) => {
        const out = new Uint8Array(32)
        keccak256x64Into(data, 0, out, 0)
        expect(out).toEqual(keccak_256(data))
      }),
    )
  })

  it('knows the empty-input digest', () => {
    expect(Buffer.from(keccak256Bytes(new Uint8Array())).toString('hex')).toBe(
      'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    )
  })
})
