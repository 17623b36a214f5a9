import {formatEther, parseEther} from 'viem'

import {UsageError} from '../errors.js'

const DECIMAL = /^(?:\d+(?:\.\d{0,18})?|\.\d{1,18})$/

/** Parses an OPEN amount ("5", "0.25") into wei; `what` names the argument or flag in the error. */
export function parseOpen(text: string, what: string, {allowZero = false} = {}): bigint {
  const t = text.trim()
  if (!DECIMAL.test(t)) throw new UsageError(`${what} "${text}" is not an amount of OPEN (a decimal number with at most 18 decimals)`)
  const wei = parseEther(t)
  if (wei === 0n && !allowZero) throw new UsageError(`${what} must be more than 0 OPEN`)
  return wei
}

/** "5" for 5e18 wei: exact, no rounding. */
export const formatOpen = (wei: bigint) => formatEther(wei)
