import fc from 'fast-check'
import {getAddress, isAddress as viemIsAddress} from 'viem'
import {describe, expect, it} from 'vitest'

import {checksumAddress, isAddress, parseAddress, toChecksumAddress} from '../../src/chain/address.js'
import {UsageError} from '../../src/errors.js'

const hexAddress = fc.uint8Array({minLength: 20, maxLength: 20}).map((b) => `0x${Buffer.from(b).toString('hex')}`)

/** Flips the case of the letter at `at` (mod the letters present); undefined when there are none. */
function flipOneLetter(address: string, at: number): string | undefined {
  const letters = [...address.slice(2)].flatMap((c, i) => (/[a-f]/i.test(c) ? [i + 2] : []))
  if (letters.length === 0) return undefined
  const i = letters[at % letters.length]
  const c = address[i]
  return address.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + address.slice(i + 1)
}

describe('address parser (EIP-55 without viem)', () => {
  it('checksums random addresses exactly as viem getAddress does', () => {
    fc.assert(
      fc.property(hexAddress, (a) => {
        expect(checksumAddress(a)).toBe(getAddress(a))
        expect(checksumAddress(a.toUpperCase().replace('0X', '0x'))).toBe(getAddress(a))
        expect(parseAddress(a, 'address')).toBe(getAddress(a))
        expect(isAddress(getAddress(a))).toBe(true)
      }),
      {numRuns: 500},
    )
  })

  it('refuses a mixed-case address whose checksum is wrong, as viem isAddress does', () => {
    fc.assert(
      fc.property(hexAddress, fc.nat(), (a, at) => {
        const bad = flipOneLetter(getAddress(a), at)
        fc.pre(bad !== undefined && bad.toLowerCase() !== bad)
        expect(viemIsAddress(bad!)).toBe(false)
        expect(isAddress(bad!)).toBe(false)
        expect(() => parseAddress(bad!, '--to')).toThrow(UsageError)
      }),
      {numRuns: 500},
    )
  })

  it('agrees with viem on malformed and edge inputs, and names the argument at fault', () => {
    for (const t of [
      '',
      '0x',
      '0x123',
      'abcdef0123456789abcdef0123456789abcdef01',
      `0x${'g'.repeat(40)}`,
      `0x${'0'.repeat(41)}`,
      `0x${'A'.repeat(40)}`,
      `0x${'a'.repeat(40)}`,
    ]) {
      expect(isAddress(t), t).toBe(viemIsAddress(t))
    }
    expect(() => parseAddress('0x12', '--curator')).toThrow(/^--curator "0x12" is not an address/)
    expect(parseAddress('  0x0000000000000000000000000000000000000001 ', 'a')).toBe('0x0000000000000000000000000000000000000001')
    expect(checksumAddress('nope')).toBeUndefined()
    expect(() => toChecksumAddress('0x1234')).toThrow(/not a 20-byte hex address/)
  })
})
