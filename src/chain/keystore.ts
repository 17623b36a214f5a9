import {createDecipheriv, pbkdf2Sync, scryptSync} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {type Hex, bytesToHex, keccak256} from 'viem'

import {UsageError} from '../errors.js'

type KeystoreV3 = {
  version: number
  crypto?: KeystoreCrypto
  Crypto?: KeystoreCrypto
}
type KeystoreCrypto = {
  cipher: string
  ciphertext: string
  cipherparams: {iv: string}
  kdf: 'scrypt' | 'pbkdf2'
  kdfparams: {dklen: number; salt: string; n?: number; r?: number; p?: number; c?: number; prf?: string}
  mac: string
}

/**
 * Decrypts a Web3 Secret Storage (v3) keystore, as geth, cast and MetaMask write them.
 * The key never leaves this function other than as its return value; errors never include it.
 */
export function decryptKeystore(path: string, password: string): Hex {
  let json: KeystoreV3
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new UsageError(`${path}: not a readable keystore (${(err as Error).message.split('\n')[0]})`)
  }
  const c = json.crypto ?? json.Crypto
  if (json.version !== 3 || !c) throw new UsageError(`${path}: not a version 3 keystore`)
  if (c.cipher !== 'aes-128-ctr') throw new UsageError(`${path}: unsupported cipher ${c.cipher}`)
  const salt = Buffer.from(c.kdfparams.salt, 'hex')
  const p = c.kdfparams
  let derived: Buffer
  if (c.kdf === 'scrypt') {
    const N = p.n ?? 262_144
    const r = p.r ?? 8
    derived = scryptSync(password, salt, p.dklen, {N, r, p: p.p ?? 1, maxmem: 256 * N * r})
  } else if (c.kdf === 'pbkdf2') {
    if (p.prf !== 'hmac-sha256') throw new UsageError(`${path}: unsupported prf ${p.prf}`)
    derived = pbkdf2Sync(password, salt, p.c ?? 262_144, p.dklen, 'sha256')
  } else {
    throw new UsageError(`${path}: unsupported kdf ${(c as {kdf: string}).kdf}`)
  }
  const ciphertext = Buffer.from(c.ciphertext, 'hex')
  const mac = keccak256(new Uint8Array(Buffer.concat([derived.subarray(16, 32), ciphertext])))
  if (mac.slice(2).toLowerCase() !== c.mac.toLowerCase()) {
    throw new UsageError(`${path}: wrong password (OPENLEDGER_KEYSTORE_PASSWORD) or corrupt keystore`)
  }
  const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), Buffer.from(c.cipherparams.iv, 'hex'))
  const key = Buffer.concat([decipher.update(ciphertext), decipher.final()])
  return bytesToHex(new Uint8Array(key))
}
