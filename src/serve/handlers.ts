/** What each route answers: health, and one inference through the shared flow. */
import type {SignerContext} from '../chain/context.js'
import {messageOf} from '../errors.js'
import {HttpError} from './errors.js'
import type {MicroBatcher} from './batcher.js'
import {type InferAnswer, type PayRow, inferAnswer} from './flow.js'
import type {PaymentGate} from './payment.js'
import type {PaidRowOutcome} from './payment-settle.js'
import type {ModelRegistry} from './registry.js'
import type {InferRequest} from './request.js'
import type {LmAdapters} from './lm-adapters.js'

export type ServeContext = {
  registry: ModelRegistry
  /** Language-model adapters for the OpenAI-compatible routes. */
  lm: LmAdapters
  /** Paid answers, settled on-chain together (settleAuthorized, split by gas) rather than one transaction each. */
  payments: MicroBatcher<PayRow, PaidRowOutcome>
  /** Checks and reserves the payers' authorizations; answers 402 without one. */
  gate: PaymentGate
  signer: () => Promise<SignerContext>
  /** Fee per paid request, wei. */
  fee: bigint
  /** Largest request body, bytes. */
  maxBodyBytes: number
  requests: number
  closing: boolean
}

export function health(ctx: ServeContext): {status: number; body: {ok: boolean; loaded: number; requests: number}} {
  return {status: ctx.closing ? 503 : 200, body: {ok: !ctx.closing, loaded: ctx.registry.size, requests: ctx.requests}}
}

/**
 * predict → attribute → pay for one request; each step batched with the concurrent ones. A paid
 * request is authorized (or answered 402) before any work, and answered only once settled.
 */
export async function infer(ctx: ServeContext, req: InferRequest, paymentHeader?: string | string[]): Promise<InferAnswer> {
  const entry = await ctx.registry.get(req.model)
  const at = {model: entry.model.path, device: entry.model.device}
  if (!req.pay) {
    const embedding = await entry.encode.add(req.text)
    const row = entry.predictRow(embedding, req.text)
    if (!req.attribute) return inferAnswer(row.prediction, {...at, cid: entry.ref.cid})
    return inferAnswer(await entry.attribute(row, req.topK), {...at, cid: entry.ref.cid})
  }
  // As `infer`: a model named by folder gets a CID (its folder's) only in paid answers.
  if (!entry.cid) {
    const {folderCid} = await import('../publish/cid.js')
    entry.cid ??= await folderCid(entry.model.path)
  }
  const cid = entry.cid
  const {modelVersionForCid} = await import('../publish/pay.js')
  const {modelId} = await modelVersionForCid(await ctx.signer(), cid)
  const auth = await ctx.gate.authorize(paymentHeader, {model: req.model, cid, modelId})
  try {
    const embedding = await entry.encode.add(req.text)
    const row = entry.predictRow(embedding, req.text)
    const attributed = await entry.attribute({...row, modelId: cid}, req.topK)
    const out = await ctx.payments.add({
      prediction: attributed,
      modelId,
      cid,
      artifact: entry.model.path,
      fee: ctx.fee,
      authorization: auth,
    })
    if (!out.ok) throw new HttpError(402, 'E_PAYMENT_FAILED', `the settlement failed, nothing was paid: ${messageOf(out.error)}`)
    return inferAnswer(out.prediction, {...at, cid})
  } finally {
    ctx.gate.release(auth)
  }
}
