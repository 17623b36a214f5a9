import {Flags} from '@oclif/core'

import {NETWORK_NAMES} from '../chain/networks.js'

/**
 * Flags shared by the commands that touch a chain. Each has an OPENLEDGER_* environment variable,
 * so CI can set them once.
 */
export const chainFlags = {
  network: Flags.string({
    description: 'Network to use: devnet (the one this folder runs), testnet (161201) or mainnet (1612).',
    options: [...NETWORK_NAMES],
    env: 'OPENLEDGER_NETWORK',
    helpGroup: 'CHAIN',
  }),
  'rpc-url': Flags.string({
    description: 'JSON-RPC endpoint of the L2 (overrides --network).',
    env: 'OPENLEDGER_RPC_URL',
    helpGroup: 'CHAIN',
  }),
  account: Flags.integer({
    description: 'Devnet dev account index to sign with (devnet only; elsewhere use OPENLEDGER_PRIVATE_KEY or OPENLEDGER_KEYSTORE).',
    min: 0,
    env: 'OPENLEDGER_ACCOUNT',
    helpGroup: 'CHAIN',
  }),
}

export const yesFlag = {
  yes: Flags.boolean({char: 'y', description: 'Answer yes to every question (never prompt).', env: 'OPENLEDGER_YES'}),
}

/** Turns parsed chain flags into a ChainSelection. */
export function chainSelection(flags: {network?: string; 'rpc-url'?: string; account?: number}) {
  return {
    network: flags.network as 'devnet' | 'testnet' | 'mainnet' | undefined,
    rpcUrl: flags['rpc-url'],
    account: flags.account,
  }
}
