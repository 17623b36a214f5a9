/**
 * EIP-712 payment authorizations: a payer signs (payer, modelId, maxFee, nonce, expiry) and
 * InferenceSettlement debits the payer's prepaid credit for one inference of that model, at most
 * maxFee, once (the nonce), before expiry. The typed data here must match the contract's
 * AUTHORIZATION_TYPEHASH and EIP712("OpenLedger InferenceSettlement", "1") domain exactly.
 *
 * Over HTTP (in the spirit of x402): a paid route answers 402 with a quote (price, model, the typed
 * data to sign) in the body and, base64 JSON, in the `x-payment-required` header; the client
 * retries with the signed authorization, base64 JSON, in the `x-payment` header.
 */
import {randomBytes} from 'node:crypto'

import type {Address, Hex, TypedDataDomain} from 'viem'

export const SETTLEMENT_DOMAIN = {name: 'OpenLedger InferenceSettlement', version: '1'} as const

export const AUTHORIZATION_TYPES = {
  PaymentAuthorization: [
    {name: 'payer', type: 'address'},
    {name: 'modelId', type: 'uint256'},
    {name: 'maxFee', type: 'uint256'},
    {name: 'nonce', type: 'uint256'},
    {name: 'expiry', type: 'uint256'},
  ],
} as const

/** The request header carrying a signed authorization; the 402 header carrying the quote. */
export const PAYMENT_HEADER = 'x-payment'
export const PAYMENT_REQUIRED_HEADER = 'x-payment-required'
/** The answer header carrying the settlement (receipt id, transaction), base64 JSON. */
export const PAYMENT_RESPONSE_HEADER = 'x-payment-response'

export type PaymentAuthorization = {payer: Address; modelId: bigint; maxFee: bigint; nonce: bigint; expiry: bigint}
export type SignedAuthorization = PaymentAuthorization & {signature: Hex}

export function settlementDomain(chainId: number, verifyingContract: Address): TypedDataDomain {
  return {...SETTLEMENT_DOMAIN, chainId, verifyingContract}
}

/** A fresh 256-bit nonce: authorizations use unordered nonces, so a client never tracks a counter. */
export function randomNonce(): bigint {
  return BigInt(`0x${randomBytes(32).toString('hex')}`)
}

/** What a 402 answer offers: the price and the EIP-712 typed data to sign (the payer fills `payer`). */
export type PaymentQuote = {
  scheme: 'openledger-credit'
  /** Fee in wei, decimal. */
  price: string
  /** The model reference the request named, and its CID and registered id. */
  model: string
  cid: string
  modelId: string
  chainId: number
  /** InferenceSettlement: where credit is deposited (`deposit`) and authorizations are spent. */
  settlement: Address
  eip712: {
    domain: {name: string; version: string; chainId: number; verifyingContract: Address}
    types: typeof AUTHORIZATION_TYPES
    primaryType: 'PaymentAuthorization'
    /** Decimal strings; `payer` is the signer's own address. */
    message: {modelId: string; maxFee: string; nonce: string; expiry: string}
  }
}

export function paymentQuote(p: {
  price: bigint
  model: string
  cid: string
  modelId: bigint
  chainId: number
  settlement: Address
  /** Seconds the authorization stays valid. Default 600. */
  ttlSeconds?: number
  now?: number
}): PaymentQuote {
  const expiry = BigInt(Math.floor((p.now ?? Date.now()) / 1000) + (p.ttlSeconds ?? 600))
  return {
    scheme: 'openledger-credit',
    price: p.price.toString(),
    model: p.model,
    cid: p.cid,
    modelId: p.modelId.toString(),
    chainId: p.chainId,
    settlement: p.settlement,
    eip712: {
      domain: {...SETTLEMENT_DOMAIN, chainId: p.chainId, verifyingContract: p.settlement},
      types: AUTHORIZATION_TYPES,
      primaryType: 'PaymentAuthorization',
      message: {modelId: p.modelId.toString(), maxFee: p.price.toString(), nonce: randomNonce().toString(), expiry: expiry.toString()},
    },
  }
}

const toBase64Json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64')

export function encodeQuoteHeader(q: PaymentQuote): string {
  return toBase64Json(q)
}

export function decodeQuoteHeader(text: string): PaymentQuote {
  return JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as PaymentQuote
}

export function encodeAuthorizationHeader(a: SignedAuthorization): string {
  return toBase64Json({
    payer: a.payer,
    modelId: a.modelId.toString(),
    maxFee: a.maxFee.toString(),
    nonce: a.nonce.toString(),
    expiry: a.expiry.toString(),
    signature: a.signature,
  })
}

/** Parses an `x-payment` header; throws an Error naming the field at fault. */
export function decodeAuthorizationHeader(text: string): SignedAuthorization {
  let v: unknown
  try {
    v = JSON.parse(Buffer.from(text, 'base64').toString('utf8'))
  } catch {
    throw new Error(`${PAYMENT_HEADER} is not base64 JSON`)
  }
  if (!v || typeof v !== 'object') throw new Error(`${PAYMENT_HEADER} must be a JSON object`)
  const o = v as Record<string, unknown>
  const uint = (k: string): bigint => {
    const x = o[k]
    if (typeof x !== 'string' || !/^\d{1,78}$/.test(x)) throw new Error(`${PAYMENT_HEADER}: "${k}" must be a decimal string`)
    return BigInt(x)
  }
  if (typeof o.payer !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(o.payer))
    throw new Error(`${PAYMENT_HEADER}: "payer" must be a 20-byte hex address`)
  if (typeof o.signature !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(o.signature))
    throw new Error(`${PAYMENT_HEADER}: "signature" must be 0x-hex`)
  return {
    payer: o.payer as Address,
    modelId: uint('modelId'),
    maxFee: uint('maxFee'),
    nonce: uint('nonce'),
    expiry: uint('expiry'),
    signature: o.signature as Hex,
  }
}

/** Anything that signs EIP-712 typed data as an address: a viem local account or wallet client account. */
export type TypedDataSigner = {
  address: Address
  signTypedData: (args: {
    domain: TypedDataDomain
    types: typeof AUTHORIZATION_TYPES
    primaryType: 'PaymentAuthorization'
    message: PaymentAuthorization
  }) => Promise<Hex>
}

/** Signs the quote's authorization as `signer` (the payer). */
export async function signQuote(signer: TypedDataSigner, quote: PaymentQuote): Promise<SignedAuthorization> {
  const m = quote.eip712.message
  const message: PaymentAuthorization = {
    payer: signer.address,
    modelId: BigInt(m.modelId),
    maxFee: BigInt(m.maxFee),
    nonce: BigInt(m.nonce),
    expiry: BigInt(m.expiry),
  }
  const signature = await signer.signTypedData({
    domain: quote.eip712.domain,
    types: AUTHORIZATION_TYPES,
    primaryType: 'PaymentAuthorization',
    message,
  })
  return {...message, signature}
}

/** Why `checkAuthorization` refused, by its return code. */
export const AUTHORIZATION_CHECKS = [
  'ok',
  'bad signature',
  'nonce already used',
  'expired',
  'fee above maxFee',
  'not enough credit',
] as const
