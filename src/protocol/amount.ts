import {type Address, formatEther, getAddress, isAddress, parseEther} from 'viem'

import {UsageError} from '../errors.js'

const DECIMAL = /^\d+(\.\d{1,18})?$/

/**
 * Parses an amount of OPEN written in whole units ("10", "0.5") into wei. `name` is the argument
 * or flag the text came from, named in the error.
 */
export function parseOpenAmount(text: string, name: string): bigint {
  const trimmed = text.trim()
  if (!DECIMAL.test(trimmed)) {
    throw new UsageError(`${name} "${text}" is not an amount of OPEN (a decimal number such as 10 or 0.5, at most 18 decimals)`)
  }
  const wei = parseEther(trimmed)
  if (wei === 0n) throw new UsageError(`${name} must be more than 0 OPEN`)
  return wei
}

/** "1.5 OPEN": for people; JSON output carries wei as decimal strings. */
export function formatOpen(wei: bigint): string {
  return `${formatEther(wei)} OPEN`
}

/** A checksummed address, or a usage error naming the argument. */
export function parseAddress(text: string, name: string): Address {
  if (!isAddress(text.trim(), {strict: false})) throw new UsageError(`${name} "${text}" is not an address (0x followed by 40 hex digits)`)
  return getAddress(text.trim())
}
