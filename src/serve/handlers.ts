/** What each route answers: health, and one inference through the shared flow. */
import type {SignerContext} from '../chain/context.js'
import type {MicroBatcher} from './batcher.js'
import {type InferAnswer, type InferredPrediction, type PayRow, inferAnswer} from './flow.js'
import type {SettleReturnType} from '../publish/pay.js'
import type {ModelRegistry} from './registry.js'
import type {InferRequest} from './request.js'
import type {LmAdapters} from './lm-adapters.js'

export type ServeContext = {
  registry: ModelRegistry
  /** Language-model adapters for the OpenAI-compatible routes. */
  lm: LmAdapters
  /** Paid answers, settled on-chain together (settleBatch) rather than one transaction each. */
  payments: MicroBatcher<PayRow, {prediction: InferredPrediction; paid: SettleReturnType}>
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

/** predict → attribute → pay for one request; each step batched with the concurrent ones. */
export async function infer(ctx: ServeContext, req: InferRequest): Promise<InferAnswer> {
  const entry = await ctx.registry.get(req.model)
  const embedding = await entry.encode.add(req.text)
  const row = entry.predictRow(embedding, req.text)
  const at = {model: entry.model.path, device: entry.model.device}
  // As `infer`: a model named by folder gets a CID (its folder's) only in paid answers.
  if (!req.attribute && !req.pay) return inferAnswer(row.prediction, {...at, cid: entry.ref.cid})
  if (req.pay && !entry.cid) {
    const {folderCid} = await import('../publish/cid.js')
    entry.cid ??= await folderCid(entry.model.path)
  }
  const attributed = await entry.attribute(req.pay ? {...row, modelId: entry.cid} : row, req.topK)
  if (!req.pay) return inferAnswer(attributed, {...at, cid: entry.ref.cid})
  const cid = entry.cid!
  const {modelIdForCid} = await import('../publish/pay.js')
  const modelId = await modelIdForCid(await ctx.signer(), cid)
  const {prediction} = await ctx.payments.add({prediction: attributed, modelId, cid, fee: ctx.fee})
  return inferAnswer(prediction, {...at, cid})
}
