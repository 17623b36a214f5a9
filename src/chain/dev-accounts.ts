import {HDKey} from '@scure/bip32'
import {mnemonicToSeedSync} from '@scure/bip39'
import {type Hex, bytesToHex} from 'viem'
import {privateKeyToAddress} from 'viem/accounts'

/**
 * The devnet's well-known accounts: anvil's public test mnemonic. Anyone can derive these keys, so
 * they are for the devnet only: `assertKeyAllowedOnChain` refuses them on every other chain.
 */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'
export const DEV_ACCOUNT_COUNT = 10

export type DevAccount = {index: number; address: Hex; privateKey: Hex}

let cached: DevAccount[] | undefined

export function devAccounts(count = DEV_ACCOUNT_COUNT): DevAccount[] {
  if (!cached || cached.length < count) {
    const master = HDKey.fromMasterSeed(mnemonicToSeedSync(DEV_MNEMONIC))
    cached = Array.from({length: count}, (_, index) => {
      const privateKey = bytesToHex(master.derive(`m/44'/60'/0'/0/${index}`).privateKey!)
      return {index, address: privateKeyToAddress(privateKey), privateKey}
    })
  }
  return cached.slice(0, count)
}

/** Whether an address is one of the well-known dev accounts (compares case-insensitively). */
export function isDevAddress(address: string): boolean {
  const a = address.toLowerCase()
  return devAccounts().some((acc) => acc.address.toLowerCase() === a)
}

/** Roles the devnet gives its dev accounts (documented in the README). */
export const DEV_ROLES = {
  /** Deployer, admin of every contract, treasury holding the OPEN supply on L1. */
  admin: 0,
  /** The bridge relayer that credits deposits and releases withdrawals. */
  relayer: 9,
} as const
