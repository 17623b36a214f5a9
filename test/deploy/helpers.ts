/**
 * A stand-in for OpenLedger's testnet (an anvil answering chain id 161201) and a user's own key in
 * a keystore file, funded there: never a dev key.
 */
import {createCipheriv, randomBytes, scryptSync} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Address, type Hex, createPublicClient, createTestClient, http, keccak256, parseEther} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'

import '../helpers/env.js'
import {TESTNET_CHAIN_ID} from '../../src/chain/network-names.js'
import {AnvilInstance} from '../../src/devnet/anvil-instance.js'

export type StandIn = {
  anvil: AnvilInstance
  rpcUrl: string
  publicClient: ReturnType<typeof createPublicClient>
  testClient: ReturnType<typeof createTestClient>
  stop(): Promise<void>
}

export async function startTestnetStandIn(opts: {optimism?: boolean} = {}): Promise<StandIn> {
  const anvil = new AnvilInstance({
    label: 'testnet stand-in',
    port: 0,
    portFlag: '--port',
    chainId: TESTNET_CHAIN_ID,
    optimism: opts.optimism,
  })
  await anvil.start()
  const transport = http(anvil.rpcUrl)
  return {
    anvil,
    rpcUrl: anvil.rpcUrl,
    publicClient: createPublicClient({transport}),
    testClient: createTestClient({transport, mode: 'anvil'}),
    stop: () => anvil.stop(),
  }
}

export type UserKey = {address: Address; privateKey: Hex; keystore: string; password: string}

/**
 * A fresh random key written as a Web3 Secret Storage v3 keystore (scrypt, aes-128-ctr, as geth
 * writes them; a small scrypt cost keeps the test fast) and funded with `balance` OPEN.
 */
export async function fundedKeystore(standIn: Pick<StandIn, 'testClient'>, dir: string, balance = '10'): Promise<UserKey> {
  const privateKey = generatePrivateKey()
  const password = randomBytes(8).toString('hex')
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const n = 4096
  const derived = scryptSync(password, salt, 32, {N: n, r: 8, p: 1})
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv)
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(privateKey.slice(2), 'hex')), cipher.final()])
  const mac = keccak256(new Uint8Array(Buffer.concat([derived.subarray(16, 32), ciphertext]))).slice(2)
  const address = privateKeyToAccount(privateKey).address
  const keystore = join(dir, 'deployer.keystore.json')
  writeFileSync(
    keystore,
    JSON.stringify({
      version: 3,
      id: randomBytes(16).toString('hex'),
      address: address.slice(2).toLowerCase(),
      crypto: {
        cipher: 'aes-128-ctr',
        ciphertext: ciphertext.toString('hex'),
        cipherparams: {iv: iv.toString('hex')},
        kdf: 'scrypt',
        kdfparams: {dklen: 32, salt: salt.toString('hex'), n, r: 8, p: 1},
        mac,
      },
    }),
  )
  if (balance !== '0') await standIn.testClient.setBalance({address, value: parseEther(balance)})
  return {address, privateKey, keystore, password}
}
