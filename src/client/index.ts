/**
 * A small typed client of `openledger serve` for programs: inference, and paid inference that
 * answers the server's 402 quote by signing its EIP-712 payment authorization as the payer (any
 * viem account), then retries with it. The payer's prepaid credit in InferenceSettlement pays the
 * fee; deposit it first (`InferenceSettlement.deposit`).
 *
 *   import {OpenledgerClient} from 'openledger'
 *   import {privateKeyToAccount} from 'viem/accounts'
 *   const client = new OpenledgerClient({url: 'http://127.0.0.1:8080', payer: privateKeyToAccount(key), maxFee: 10n ** 16n})
 *   const answer = await client.infer({model: 'support-tickets', text: 'my card was charged twice', pay: true})
 */
import type {Address} from 'viem'

import {
  PAYMENT_HEADER,
  PAYMENT_REQUIRED_HEADER,
  type PaymentQuote,
  type TypedDataSigner,
  decodeQuoteHeader,
  encodeAuthorizationHeader,
  signQuote,
} from '../protocol/authorization.js'
import type {InferAnswer} from '../serve/flow.js'

export type {PaymentQuote, TypedDataSigner}
export type {InferAnswer}

export type InferParams = {model: string; text: string; attribute?: boolean; topK?: number; pay?: boolean}

export type OpenledgerClientOptions = {
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  url: string
  /** Who pays for `pay: true`: signs the payment authorizations. */
  payer?: TypedDataSigner
  /** Refuse quotes above this fee (wei). Default: no limit. */
  maxFee?: bigint
  fetch?: typeof fetch
}

/** The server answered an error: its status, code and message. */
export class ServeError extends Error {
  override name = 'ServeError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The quote of a 402. */
    readonly quote?: PaymentQuote,
  ) {
    super(message)
  }
}

export class OpenledgerClient {
  private readonly base: string
  private readonly fetch: typeof fetch

  constructor(private readonly options: OpenledgerClientOptions) {
    this.base = options.url.replace(/\/+$/, '')
    this.fetch = options.fetch ?? globalThis.fetch
  }

  async health(): Promise<{ok: boolean; loaded: number; requests: number}> {
    const res = await this.fetch(`${this.base}/health`)
    return (await res.json()) as {ok: boolean; loaded: number; requests: number}
  }

  /**
   * One inference. With `pay`: the first request gets the 402 quote, which is checked against
   * `maxFee`, signed by the payer and sent back in the x-payment header.
   */
  async infer(params: InferParams): Promise<InferAnswer> {
    const first = await this.post(params)
    if (first.status !== 402 || !params.pay) return this.answer(first)
    const quote = await this.quoteOf(first)
    const payer = this.options.payer
    if (!payer) throw new ServeError(402, 'E_NO_PAYER', 'the server asks for payment and this client has no payer to sign it', quote)
    if (this.options.maxFee !== undefined && BigInt(quote.price) > this.options.maxFee)
      throw new ServeError(402, 'E_PRICE', `the server asks ${quote.price} wei, above the maximum fee ${this.options.maxFee}`, quote)
    const auth = await signQuote(payer, quote)
    return this.answer(await this.post(params, {[PAYMENT_HEADER]: encodeAuthorizationHeader(auth)}))
  }

  /** The quote a paid request gets without an authorization (nothing is settled). */
  async quote(params: Omit<InferParams, 'pay'>): Promise<PaymentQuote> {
    const res = await this.post({...params, pay: true})
    if (res.status !== 402) throw new ServeError(res.status, 'E_NO_QUOTE', `expected 402 with a quote, got ${res.status}`)
    return this.quoteOf(res)
  }

  /** The payer's address, if any. */
  get payerAddress(): Address | undefined {
    return this.options.payer?.address
  }

  private post(params: InferParams, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(`${this.base}/v1/infer`, {
      method: 'POST',
      headers: {'content-type': 'application/json', ...headers},
      body: JSON.stringify(params),
    })
  }

  private async quoteOf(res: Response): Promise<PaymentQuote> {
    const header = res.headers.get(PAYMENT_REQUIRED_HEADER)
    const body = (await res.json().catch(() => ({}))) as {quote?: PaymentQuote}
    const quote = header ? decodeQuoteHeader(header) : body.quote
    if (!quote) throw new ServeError(402, 'E_NO_QUOTE', 'the server answered 402 without a quote')
    return quote
  }

  private async answer(res: Response): Promise<InferAnswer> {
    const body = (await res.json().catch(() => undefined)) as
      | (InferAnswer & {error?: undefined})
      | {error: {code: string; message?: string; shortMessage?: string}; quote?: PaymentQuote}
      | undefined
    if (res.ok && body && !body.error) return body as InferAnswer
    const err = body?.error
    throw new ServeError(
      res.status,
      err?.code ?? 'E_HTTP',
      err?.message ?? err?.shortMessage ?? `HTTP ${res.status}`,
      (body as {quote?: PaymentQuote})?.quote,
    )
  }
}
