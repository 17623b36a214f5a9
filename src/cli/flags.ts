import {Args, Flags} from '@oclif/core'
import type {Address} from 'viem'

import {parseAddress} from '../chain/address.js'
import type {ChainSelection} from '../chain/context.js'
import {NETWORK_NAMES, type NetworkName} from '../chain/network-names.js'
import {UsageError} from '../errors.js'

// viem (behind the amount parser) loads only when an amount is given: every command imports this
// file, and most never parse an amount (npm run bench -- cli). Addresses are parsed without viem.
const amounts = () => import('../chain/amounts.js')

/**
 * Typed flags and arguments for the values commands take again and again. Each parses and checks its
 * text once, in oclif's parser, and its errors name the flag or argument at fault; commands receive
 * an Address, wei as bigint or an account index, never the raw text.
 */

/** An address flag: checksummed Address. */
export const addressFlag = Flags.custom<Address>({
  helpValue: '<address>',
  parse: async (input, _ctx, opts) => parseAddress(input, `--${opts.name}`),
})

/** An OPEN amount flag ("10", "0.5"): wei. Zero is refused. */
export const openAmountFlag = Flags.custom<bigint>({
  helpValue: '<OPEN>',
  parse: async (input, _ctx, opts) => (await amounts()).parseOpen(input, `--${opts.name}`),
})

/** A devnet dev account index: a non-negative integer. */
export const accountFlag = Flags.custom<number>({
  helpValue: '<index>',
  parse: async (input, _ctx, opts) => {
    const t = input.trim()
    if (!/^\d+$/.test(t)) throw new UsageError(`--${opts.name} "${input}" is not an account index (0, 1, 2, …)`)
    return Number(t)
  },
})

/** Contribution ids, comma-separated and/or repeated: positive integers. */
export const contributionIdsFlag = Flags.custom<bigint>({
  helpValue: '<id,…>',
  multiple: true,
  delimiter: ',',
  parse: async (input, _ctx, opts) => {
    const t = input.trim()
    if (!/^\d+$/.test(t) || BigInt(t) === 0n) throw new UsageError(`--${opts.name} ${t}: not a contribution id (a positive integer)`)
    return BigInt(t)
  },
})

/** An address argument: checksummed Address. */
export const addressArg = Args.custom<Address>({
  parse: async (input, _ctx, opts) => parseAddress(input, opts.name),
})

/** An OPEN amount argument ("10", "0.5"): wei. Zero is refused. */
export const openAmountArg = Args.custom<bigint>({
  parse: async (input, _ctx, opts) => (await amounts()).parseOpen(input, opts.name),
})

/**
 * Flags shared by the commands that touch a chain. Each has an OPENLEDGER_* environment variable,
 * so CI can set them once.
 */
export const chainFlags = {
  network: Flags.option({
    description: 'Network to use: devnet (the one this folder runs), testnet (161201) or mainnet (1612).',
    options: NETWORK_NAMES,
    env: 'OPENLEDGER_NETWORK',
    helpGroup: 'CHAIN',
  })(),
  'rpc-url': Flags.string({
    description: 'JSON-RPC endpoint of the L2 (overrides --network).',
    env: 'OPENLEDGER_RPC_URL',
    helpGroup: 'CHAIN',
  }),
  account: accountFlag({
    description: 'Devnet dev account index to sign with (devnet only; elsewhere use OPENLEDGER_PRIVATE_KEY or OPENLEDGER_KEYSTORE).',
    env: 'OPENLEDGER_ACCOUNT',
    helpGroup: 'CHAIN',
  }),
}

export const yesFlag = {
  yes: Flags.boolean({char: 'y', description: 'Answer yes to every question (never prompt).', env: 'OPENLEDGER_YES'}),
}

/** Turns parsed chain flags into a ChainSelection. */
export function chainSelection(flags: {network?: NetworkName; 'rpc-url'?: string; account?: number}): ChainSelection {
  return {network: flags.network, rpcUrl: flags['rpc-url'], account: flags.account}
}
