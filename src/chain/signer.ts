/**
 * The one answer to "who signs?", used by every command for both signing and "whose address":
 * OPENLEDGER_PRIVATE_KEY, else OPENLEDGER_KEYSTORE (+ _PASSWORD), else on the devnet its dev account
 * N. A key of the public test mnemonic (its first 100 accounts) is refused on any chain but the devnet. Keys are never printed: errors
 * name where the key came from, not the key.
 */
import {type Hex, type LocalAccount, isHex} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {UsageError} from '../errors.js'
import {devMnemonicIndex} from './dev-accounts.js'
import {DevKeyRefusedError, NoSignerError, invalidPrivateKey} from './errors.js'
import {decryptKeystore} from './keystore.js'

export type SignerAccount = {account: LocalAccount; source: string}

export type SignerTarget = {
  /** Whether the chain is this folder's devnet: the only place dev keys are allowed. */
  onDevnet: boolean
  chainId: number
  /** For messages: the network name. */
  network: string
  /** The devnet's dev account keys, by index (empty off the devnet). */
  devKeys: readonly Hex[]
  /** The dev account index asked for. */
  account?: number
}

/** The signing account for a chain, from the environment and the selection alone (no RPC). */
export function signerAccount(target: SignerTarget, env: NodeJS.ProcessEnv = process.env): SignerAccount {
  let key: Hex
  let source: string
  if (env.OPENLEDGER_PRIVATE_KEY) {
    source = 'OPENLEDGER_PRIVATE_KEY'
    const k = env.OPENLEDGER_PRIVATE_KEY.trim()
    if (!isHex(k) || k.length !== 66) throw invalidPrivateKey(source)
    key = k
  } else if (env.OPENLEDGER_KEYSTORE) {
    source = `keystore ${env.OPENLEDGER_KEYSTORE}`
    if (env.OPENLEDGER_KEYSTORE_PASSWORD === undefined) {
      throw new UsageError('OPENLEDGER_KEYSTORE is set but OPENLEDGER_KEYSTORE_PASSWORD is not')
    }
    key = decryptKeystore(env.OPENLEDGER_KEYSTORE, env.OPENLEDGER_KEYSTORE_PASSWORD)
  } else if (target.onDevnet) {
    const index = target.account ?? 0
    if (!Number.isInteger(index) || index < 0 || index >= target.devKeys.length) {
      throw new UsageError(`dev account ${index} is out of range: the devnet has dev accounts 0 to ${target.devKeys.length - 1}`)
    }
    source = `dev account ${index}`
    key = target.devKeys[index]
  } else {
    if (target.account !== undefined) throw new DevKeyRefusedError(target.chainId, `dev account ${target.account}`)
    throw new NoSignerError(target.network)
  }
  const account = privateKeyToAccount(key)
  if (!target.onDevnet) {
    const index = devMnemonicIndex(account.address)
    if (index !== undefined) throw new DevKeyRefusedError(target.chainId, `${source}: account ${index} of the public test mnemonic`)
  }
  return {account, source}
}
