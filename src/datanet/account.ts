import {type Address, getAddress, isAddress, isHex} from 'viem'
import {privateKeyToAddress} from 'viem/accounts'

import {devAccounts} from '../chain/dev-accounts.js'
import {UsageError} from '../errors.js'
import {readRunningDevnet} from '../devnet/state.js'

/** Checks a --contributor value: an address (checksummed if mixed-case), returned checksummed. */
export function parseContributor(value: string, flag = '--contributor'): Address {
  const v = value.trim()
  if (!isAddress(v)) throw new UsageError(`${flag} ${value}: not an address (0x and 40 hex digits, with a valid checksum if mixed-case)`)
  return getAddress(v)
}

/**
 * The active account's address, used as the contributor of rows that name none: the key in
 * OPENLEDGER_PRIVATE_KEY, else the running devnet's dev account `account` (0 by default), else the
 * well-known dev account of that index. Never reads or prints more than the address.
 */
export function activeAddress(opts: {stateDir?: string; account?: number; env?: NodeJS.ProcessEnv} = {}): Address {
  const env = opts.env ?? process.env
  const key = env.OPENLEDGER_PRIVATE_KEY?.trim()
  if (key && isHex(key) && key.length === 66) return privateKeyToAddress(key)
  const index = opts.account ?? 0
  const devnet = readRunningDevnet(opts.stateDir)
  const accounts = devnet?.accounts.map((a) => a.address) ?? devAccounts().map((a) => a.address)
  if (!Number.isInteger(index) || index < 0 || index >= accounts.length) throw new UsageError(`--account ${index} is out of range (0 to ${accounts.length - 1})`)
  return getAddress(accounts[index])
}
