/** The one place OPEN amounts and addresses are parsed from text and formatted for people. */
import {formatEther, parseEther} from 'viem'

import {UsageError} from '../errors.js'

const DECIMAL = /^\d+(?:\.\d{1,18})?$/

/** Parses an OPEN amount ("5", "0.25") into wei; `name` is the argument or flag named in the error. */
export function parseOpen(text: string, name: string, {allowZero = false} = {}): bigint {
  const t = text.trim()
  if (!DECIMAL.test(t))
    throw new UsageError(`${name} "${text}" is not an amount of OPEN (a decimal number such as 10 or 0.5, at most 18 decimals)`)
  const wei = parseEther(t)
  if (wei === 0n && !allowZero) throw new UsageError(`${name} must be more than 0 OPEN`)
  return wei
}

/** "1.5 OPEN", exact: for people. JSON output carries wei as decimal strings. */
export const formatOpen = (wei: bigint) => `${formatEther(wei)} OPEN`

// Addresses are parsed in ./address.ts, without viem; re-exported for the callers that import them here.
export {parseAddress} from './address.js'
