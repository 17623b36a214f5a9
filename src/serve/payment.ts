/**
 * The paid routes' gate: a request that asks to pay must carry its payer's signed EIP-712
 * authorization (`x-payment` header); without a valid one the server answers 402 with a quote
 * (price, model, the typed data to sign) in the body and the `x-payment-required` header, and
 * settles nothing. With one, the authorization is checked on-chain (signature, nonce, expiry, fee,
 * the payer's credit) before any work, and reserved so that two requests cannot spend it. The
 * server's own account never pays a client's fee: it only sends `settleAuthorized` (gas), as a
 * staked agent answerable for the attribution it settles.
 */
import type {ServerResponse} from 'node:http'

import {type SignerContext, contractAddress} from '../chain/context.js'
import {readContract} from '../chain/contract.js'
import {
  AUTHORIZATION_CHECKS,
  PAYMENT_HEADER,
  PAYMENT_REQUIRED_HEADER,
  type PaymentQuote,
  type SignedAuthorization,
  decodeAuthorizationHeader,
  encodeQuoteHeader,
  paymentQuote,
} from '../protocol/authorization.js'
import {HttpError} from './errors.js'

/** 402: no (valid) authorization; carries the quote to sign. */
export class PaymentRequiredError extends HttpError {
  override name = 'PaymentRequiredError'
  constructor(
    message: string,
    readonly quote: PaymentQuote,
  ) {
    super(402, 'E_PAYMENT_REQUIRED', message)
  }
}

/** The 402 answer: the quote in the body and, base64 JSON, in the x-payment-required header. */
export function sendPaymentRequired(res: ServerResponse, err: PaymentRequiredError): void {
  const text = JSON.stringify({error: {code: err.code, message: err.message}, quote: err.quote})
  res.writeHead(402, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    [PAYMENT_REQUIRED_HEADER]: encodeQuoteHeader(err.quote),
    'x-payment-price': err.quote.price,
    'x-payment-model': err.quote.cid,
  })
  res.end(text)
}

/** The x-payment-response header of a paid answer: its settlement, base64 JSON. */
export function paymentResponseHeader(r: {receiptId?: string; txHash?: string; fee?: string; payer?: string}): string {
  return Buffer.from(JSON.stringify({receiptId: r.receiptId, txHash: r.txHash, fee: r.fee, payer: r.payer})).toString('base64')
}

export type PaidModel = {model: string; cid: string; modelId: bigint}

/** Checks authorizations against the chain and keeps the nonces in flight. */
export class PaymentGate {
  private readonly reserved = new Set<string>()
  private agentChecked?: Promise<void>

  constructor(
    private readonly signer: () => Promise<SignerContext>,
    readonly fee: bigint,
  ) {}

  /**
   * The request's authorization, checked and reserved (release it once settled or failed), or a
   * PaymentRequiredError naming what is missing or wrong, with a fresh quote.
   */
  async authorize(header: string | string[] | undefined, m: PaidModel): Promise<SignedAuthorization> {
    const ctx = await this.signer()
    await this.requireAgent(ctx)
    const settlement = contractAddress(ctx, 'InferenceSettlement')
    const quote = () => paymentQuote({price: this.fee, model: m.model, cid: m.cid, modelId: m.modelId, chainId: ctx.chain.id, settlement})
    if (header === undefined || header === '')
      throw new PaymentRequiredError(`"pay": true needs a signed payment authorization in the ${PAYMENT_HEADER} header`, quote())
    let auth: SignedAuthorization
    try {
      auth = decodeAuthorizationHeader(Array.isArray(header) ? header[0] : header)
    } catch (err) {
      throw new PaymentRequiredError((err as Error).message, quote())
    }
    if (auth.modelId !== m.modelId)
      throw new PaymentRequiredError(`${PAYMENT_HEADER}: authorizes model id ${auth.modelId}, not ${m.modelId} (${m.cid})`, quote())
    const key = `${auth.payer.toLowerCase()}:${auth.nonce}`
    if (this.reserved.has(key)) throw new PaymentRequiredError(`${PAYMENT_HEADER}: nonce ${auth.nonce} is already being spent`, quote())
    const code = await readContract(ctx, 'InferenceSettlement', 'checkAuthorization', [auth, this.fee])
    if (code !== 0) {
      const why = AUTHORIZATION_CHECKS[code] ?? `check ${code}`
      const hint = code === 5 ? ` (deposit OPEN into InferenceSettlement ${settlement} first)` : ''
      throw new PaymentRequiredError(`${PAYMENT_HEADER}: ${why}${hint}`, quote())
    }
    this.reserved.add(key)
    return auth
  }

  release(auth: SignedAuthorization): void {
    this.reserved.delete(`${auth.payer.toLowerCase()}:${auth.nonce}`)
  }

  /** The server settles as a staked agent; say so once, before any client signs for nothing. */
  private requireAgent(ctx: SignerContext): Promise<void> {
    this.agentChecked ??= (async () => {
      if (!(await readContract(ctx, 'Staking', 'isAgent', [ctx.account.address])))
        throw new HttpError(
          503,
          'E_NOT_AN_AGENT',
          `the server's account ${ctx.account.address} is not a staked agent: it cannot settle paid requests (openledger stake deposit --role agent)`,
        )
    })()
    this.agentChecked.catch(() => (this.agentChecked = undefined))
    return this.agentChecked
  }
}
