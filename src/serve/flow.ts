/**
 * The one inference flow, predict → attribute → pay, shared by `infer` and `serve` so that one text
 * always gets one receipt. Each step takes a batch: `infer` hands it a file's texts, `serve` the
 * concurrent requests its batchers collected. Attribution with the influence function always runs
 * through ONNX Runtime's MatMul over the training matrix (headInfluenceScoresBatch), whatever the
 * batch size, so a receipt's 1e18 weights never depend on which command produced it.
 */
import type {AttributedPrediction, GradientMethod, QueryAttribution} from '../attribution/from-model.js'
import type {Prediction, PredictReturnType} from '../model/infer.js'
import type {SignerContext} from '../chain/context.js'
import type {FeeSplitPaid, SettleItem, SettleReturnType} from '../publish/pay.js'
import type {SignedAuthorization} from '../protocol/authorization.js'

export type PaidReceipt = AttributedPrediction['receipt'] & {
  fee?: string
  split?: FeeSplitPaid
  txHash?: string
  receiptId?: string
  payer?: string
  agent?: string
}
export type InferredPrediction = Prediction & Partial<Pick<AttributedPrediction, 'attribution'>> & {receipt?: PaidReceipt}

/**
 * One text's prediction with the adapter output attribution needs, and the model id its receipt
 * names when not the attribution's own (a folder's CID, known once it is paid for).
 */
export type PredictedRow = {text: string; prediction: Prediction; h: Float32Array; modelId?: string}

/** The JSON `infer --json` prints for one text and `serve` answers. */
/** A paid prediction's `split` and `txHash` are in `prediction.receipt`, once. */
export type InferAnswer = {prediction: InferredPrediction; model: string; cid?: string; device: string}

/** Splits a batched prediction into rows (h copied out, so a row outlives the batch's buffers). */
export function predictedRows(out: PredictReturnType, texts: string[]): PredictedRow[] {
  const D = texts.length ? out.h.length / texts.length : 0
  return out.predictions.map((prediction, i) => ({text: texts[i], prediction, h: out.h.slice(i * D, (i + 1) * D)}))
}

/**
 * Attributes predicted rows to the training records: one pass over the training matrix for the
 * whole batch with the influence function; the other methods score row by row. `topK` per row.
 */
export async function attributeRows(
  ma: QueryAttribution,
  rows: PredictedRow[],
  method: GradientMethod,
  topK: number | ((i: number) => number | undefined) = 20,
): Promise<AttributedPrediction[]> {
  if (rows.length === 0) return []
  const {headHessian, isStreamed, scoreQuery, attributedPrediction} = await import('../attribution/from-model.js')
  const labels = ma.model.config.labels
  const queries = rows.map((r) => ({h: r.h, label: labels.indexOf(r.prediction.label)}))
  const kOf = (i: number) => (typeof topK === 'function' ? topK(i) : topK) ?? 20
  let scores: Array<ArrayLike<number> | {candidates: Array<{index: number; score: number}>}>
  if (isStreamed(ma)) {
    // A model too large to hold: passes over its state file keep each row's top-k candidates.
    const {streamedCandidates} = await import('../attribution/streamed-query.js')
    // One pass's candidates serve every row's k (the ties at a smaller k-th score are among them);
    // at least one, as a receipt lists at least one record.
    const k = Math.max(1, ...rows.map((_, i) => kOf(i)))
    scores = (await streamedCandidates(ma, queries, method, k)).map((candidates) => ({candidates}))
  } else if (method === 'if') {
    const [{headInfluenceScoresBatch}, {RowMatmul}] = await Promise.all([
      import('../attribution/influence.js'),
      import('../attribution/row-matmul.js'),
    ])
    const {N, D} = ma.attributor.input
    ma.matmul ??= await RowMatmul.create(ma.attributor.input.H, N, D)
    // A lone query with one direction (two labels) would be a one-column MatMul, which ONNX Runtime
    // computes on another kernel path than any batch: run it twice so it is a batch like any other.
    const batch = queries.length === 1 ? [queries[0], queries[0]] : queries
    scores = (await headInfluenceScoresBatch(ma.attributor, headHessian(ma), batch, ma.matmul)).slice(0, queries.length)
  } else scores = queries.map((q) => scoreQuery(ma, q.h, method, q.label))
  return rows.map((r, i) =>
    attributedPrediction(
      r.modelId && r.modelId !== ma.modelId ? {...ma, modelId: r.modelId} : ma,
      r.prediction,
      scores[i],
      r.text,
      method,
      kOf(i),
    ),
  )
}

/**
 * One attributed answer to settle: the registered model id and CID it is paid to, the artifact
 * folder (its records prove the contributors), the fee, and the payer's authorization when the
 * payer's credit pays (a server's client) rather than the signer.
 */
export type PayRow = {
  prediction: AttributedPrediction
  modelId: bigint
  cid: string
  artifact: string
  fee: bigint
  authorization?: SignedAuthorization
}

/** What settling an answer sends: the receipt, the fee and the model version, with the payer's authorization if any. */
export function settleItem(r: PayRow): SettleItem {
  return {modelId: r.modelId, receipt: r.prediction.receipt, fee: r.fee, cid: r.cid, artifact: r.artifact, authorization: r.authorization}
}

/** Pays for a batch of answers in one transaction (`settle` for one, `settleBatch` for more). */
export async function payRows(
  ctx: SignerContext,
  rows: PayRow[],
  opts: {stateDir?: string} = {},
): Promise<Array<{prediction: InferredPrediction; paid: SettleReturnType}>> {
  // viem and the contract artifacts load only when something is paid.
  const {settleInferences} = await import('../publish/pay.js')
  const paid = await settleInferences(ctx, rows.map(settleItem), opts)
  return rows.map((r, i) => ({prediction: paidPrediction(r.prediction, paid[i]), paid: paid[i]}))
}

/** An attributed prediction with what its settlement paid folded into the receipt. */
export function paidPrediction(p: AttributedPrediction, paid: SettleReturnType): InferredPrediction {
  return {
    ...p,
    receipt: {
      ...p.receipt,
      fee: paid.fee,
      split: paid.split,
      txHash: paid.txHash,
      receiptId: paid.receiptId,
      payer: paid.payer,
      agent: paid.agent,
    },
  }
}

/** The answer for one text: the same shape from `infer --json` and from `serve`. */
export function inferAnswer(p: InferredPrediction, at: {model: string; cid?: string; device: string}): InferAnswer {
  return {prediction: p, model: at.model, ...(at.cid ? {cid: at.cid} : {}), device: at.device}
}
