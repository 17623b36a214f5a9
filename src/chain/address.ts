/**
 * The project's one address parser: EIP-55 checksums computed with the project's own keccak
 * (src/datanet/keccak.ts), so that code which only reads or checks addresses (datanet ingest, Merkle
 * proofs, flag parsing) does not load viem, about 1,200 modules, at start-up (npm run bench -- cli).
 * Same rules as viem's isAddress / getAddress; test/chain/address.test.ts checks it against them.
 */
import type {Address} from 'viem'

import {keccak256Into} from '../datanet/keccak.js'
import {UsageError} from '../errors.js'

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000'

const ascii = new Uint8Array(40)
const digest = new Uint8Array(32)

/**
 * The EIP-55 form of `text` (0x and 40 hex digits, any casing; not validated here): each letter is
 * upper-cased where the matching nibble of keccak256(lowercase hex, as ASCII) is 8 or more.
 */
function checksum(text: string): Address {
  const lower = text.slice(2).toLowerCase()
  for (let i = 0; i < 40; i++) ascii[i] = lower.charCodeAt(i)
  keccak256Into(ascii, 0, 40, digest, 0)
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const nibble = i & 1 ? digest[i >> 1] & 0x0f : digest[i >> 1] >> 4
    out += nibble >= 8 ? lower[i].toUpperCase() : lower[i]
  }
  return out as Address
}

/** Whether `text` is an address: 0x and 40 hex digits, all-lowercase or carrying a valid checksum. */
export function isAddress(text: string): text is Address {
  if (!ADDRESS.test(text)) return false
  return text.toLowerCase() === text || checksum(text) === text
}

/** The checksummed form of an address in any casing (the checksum is not checked), or undefined. */
export function checksumAddress(text: string): Address | undefined {
  return ADDRESS.test(text) ? checksum(text) : undefined
}

/** The checksummed form of a 20-byte hex address in any casing; anything else is a TypeError (a bug, not input). */
export function toChecksumAddress(text: string): Address {
  const c = checksumAddress(text)
  if (!c) throw new TypeError(`${text} is not a 20-byte hex address`)
  return c
}

/**
 * A checksummed address, or a usage error naming the argument, flag or field. A mixed-case address
 * must carry a valid checksum (a typo in one is caught); all-lowercase is accepted.
 */
export function parseAddress(text: string, name: string): Address {
  const t = text.trim()
  if (!isAddress(t))
    throw new UsageError(`${name} "${text}" is not an address (0x followed by 40 hex digits, with a valid checksum if mixed-case)`)
  return checksum(t)
}
