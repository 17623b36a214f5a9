import {createCipheriv, pbkdf2Sync, randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {HDKey} from '@scure/bip32'
import {mnemonicToSeedSync} from '@scure/bip39'
import {type Hex, bytesToHex, keccak256} from 'viem'
import {generatePrivateKey, privateKeyToAddress} from 'viem/accounts'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/env.js'
import {resolveSigner} from '../../src/chain/context.js'
import {
  DEV_ACCOUNT_COUNT,
  DEV_MNEMONIC,
  REFUSED_MNEMONIC_INDICES,
  devAccounts,
  devMnemonicAddresses,
  devMnemonicIndex,
  isDevAddress,
} from '../../src/chain/dev-accounts.js'
import {signerAccount} from '../../src/chain/signer.js'
import {decryptKeystore} from '../../src/chain/keystore.js'
import {AnvilInstance} from '../../src/devnet/anvil-instance.js'

// The test vectors of the Web3 Secret Storage definition (password "testpassword").
const SPEC_KEY = '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d'
const PBKDF2_VECTOR = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: {iv: '6087dab2f9fdbbfaddc31a909735c1e6'},
    ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
    kdf: 'pbkdf2',
    kdfparams: {c: 262_144, dklen: 32, prf: 'hmac-sha256', salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd'},
    mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
}

describe('dev accounts', () => {
  it("are the accounts the mnemonic derives at m/44'/60'/0'/0/i", () => {
    const master = HDKey.fromMasterSeed(mnemonicToSeedSync(DEV_MNEMONIC))
    const derived = Array.from({length: DEV_ACCOUNT_COUNT}, (_, index) => {
      const privateKey = bytesToHex(master.derive(`m/44'/60'/0'/0/${index}`).privateKey!)
      return {index, address: privateKeyToAddress(privateKey), privateKey}
    })
    expect(devAccounts()).toEqual(derived)
    expect(devAccounts(3)).toEqual(derived.slice(0, 3))
  })

  it("are refused as the mnemonic's first 100 addresses, rederived here", () => {
    const master = HDKey.fromMasterSeed(mnemonicToSeedSync(DEV_MNEMONIC))
    const derived = Array.from({length: REFUSED_MNEMONIC_INDICES}, (_, i) =>
      privateKeyToAddress(bytesToHex(master.derive(`m/44'/60'/0'/0/${i}`).privateKey!)),
    )
    expect(devMnemonicAddresses()).toEqual(derived)
    expect(devMnemonicIndex(derived[99].toLowerCase())).toBe(99)
    expect(devMnemonicIndex(privateKeyToAddress(bytesToHex(master.derive("m/44'/60'/0'/0/100").privateKey!)))).toBeUndefined()
  })

  it('recognises a dev address in any case', () => {
    expect(isDevAddress(devAccounts()[4].address.toLowerCase())).toBe(true)
    expect(isDevAddress(privateKeyToAddress(generatePrivateKey()))).toBe(false)
  })
})

describe('keystores', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  it('decrypts the specification’s pbkdf2 vector', () => {
    const path = join(tmp.dir, 'pbkdf2.json')
    writeFileSync(path, JSON.stringify(PBKDF2_VECTOR))
    expect(decryptKeystore(path, 'testpassword')).toBe(SPEC_KEY)
  })

  it('names a wrong password without revealing anything', () => {
    const path = join(tmp.dir, 'pbkdf2.json')
    writeFileSync(path, JSON.stringify(PBKDF2_VECTOR))
    expect(() => decryptKeystore(path, 'nope')).toThrow(/wrong password \(OPENLEDGER_KEYSTORE_PASSWORD\) or corrupt keystore/)
  })
})

describe('devnet keys stay on the devnet', () => {
  // A chain that is not this folder's devnet, with the public testnet's chain id.
  const chain = new AnvilInstance({label: 'testnet-like', port: 0, portFlag: '--port', chainId: 161_201})
  const tmp = tempDir()
  beforeAll(() => chain.start())
  afterAll(async () => {
    await chain.stop()
    tmp.cleanup()
  })

  it('refuses --account N off the devnet', async () => {
    await expect(resolveSigner({rpcUrl: chain.rpcUrl, account: 1, stateDir: tmp.dir}, {})).rejects.toMatchObject({
      code: 'E_DEV_KEY_REFUSED',
    })
  })

  it('refuses a well-known dev key given as OPENLEDGER_PRIVATE_KEY', async () => {
    const env = {OPENLEDGER_PRIVATE_KEY: devAccounts()[0].privateKey}
    const err = await resolveSigner({rpcUrl: chain.rpcUrl, stateDir: tmp.dir}, env).catch((e) => e)
    expect(err.code).toBe('E_DEV_KEY_REFUSED')
    expect(err.message).not.toContain(env.OPENLEDGER_PRIVATE_KEY.slice(2))
  })

  // Index 57: far past the ten the devnet uses, as a script that counts accounts up would reach.
  const key57 = bytesToHex(HDKey.fromMasterSeed(mnemonicToSeedSync(DEV_MNEMONIC)).derive("m/44'/60'/0'/0/57").privateKey!)

  it('refuses any of the public mnemonic’s first 100 keys, naming its index and never the key', async () => {
    const err = await resolveSigner({rpcUrl: chain.rpcUrl, stateDir: tmp.dir}, {OPENLEDGER_PRIVATE_KEY: key57}).catch((e) => e)
    expect(err.code).toBe('E_DEV_KEY_REFUSED')
    expect(err.shortMessage).toBe(
      'refusing a well-known devnet key on chain 161201 (OPENLEDGER_PRIVATE_KEY: account 57 of the public test mnemonic): anyone can spend from it',
    )
    expect(err.message).not.toContain(key57.slice(2))
  })

  it('refuses such a key from a keystore too', async () => {
    const path = join(tmp.dir, 'dev57.json')
    writeFileSync(path, JSON.stringify(pbkdf2Keystore(key57, 'pw')))
    const env = {OPENLEDGER_KEYSTORE: path, OPENLEDGER_KEYSTORE_PASSWORD: 'pw'}
    await expect(resolveSigner({rpcUrl: chain.rpcUrl, stateDir: tmp.dir}, env)).rejects.toMatchObject({
      code: 'E_DEV_KEY_REFUSED',
      shortMessage: expect.stringContaining(`keystore ${path}: account 57 of the public test mnemonic`),
    })
  })

  it('allows them on the devnet', () => {
    const signer = signerAccount({onDevnet: true, chainId: 16_121_337, network: 'devnet', devKeys: []}, {OPENLEDGER_PRIVATE_KEY: key57})
    expect(signer.account.address).toBe(devMnemonicAddresses()[57])
  })

  it('signs with the user’s own key and never shows it', async () => {
    const key = generatePrivateKey()
    const ctx = await resolveSigner({rpcUrl: chain.rpcUrl, stateDir: tmp.dir}, {OPENLEDGER_PRIVATE_KEY: key})
    expect(ctx.chain.id).toBe(161_201)
    expect(ctx.account.address).toBe(privateKeyToAddress(key))
    expect(JSON.stringify({...ctx, publicClient: undefined, walletClient: undefined, account: ctx.account.address})).not.toContain(
      key.slice(2),
    )
  })

  it('asks for a key when none is given off the devnet', async () => {
    await expect(resolveSigner({rpcUrl: chain.rpcUrl, stateDir: tmp.dir}, {})).rejects.toMatchObject({code: 'E_NO_SIGNER'})
  })

  it('names a malformed key by its variable only', async () => {
    const err = await resolveSigner({rpcUrl: chain.rpcUrl, stateDir: tmp.dir}, {OPENLEDGER_PRIVATE_KEY: '0x1234secret'}).catch((e) => e)
    expect(err.message).toMatch(/^OPENLEDGER_PRIVATE_KEY is not a 32-byte hex private key/)
    expect(err.message).not.toContain('secret')
  })
})

/** A Web3 Secret Storage v3 keystore (pbkdf2, few rounds: the test is about the key, not the KDF). */
function pbkdf2Keystore(key: Hex, password: string) {
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const derived = pbkdf2Sync(password, salt, 1024, 32, 'sha256')
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv)
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(key.slice(2), 'hex')), cipher.final()])
  const mac = keccak256(new Uint8Array(Buffer.concat([derived.subarray(16, 32), ciphertext]))).slice(2)
  return {
    version: 3,
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: {iv: iv.toString('hex')},
      ciphertext: ciphertext.toString('hex'),
      kdf: 'pbkdf2',
      kdfparams: {c: 1024, dklen: 32, prf: 'hmac-sha256', salt: salt.toString('hex')},
      mac,
    },
  }
}
