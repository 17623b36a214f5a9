/** One attributed answer built from a batched prediction, shaped as `infer --attribute --json` gives it. */
import {type AttributedPrediction, type GradientMethod, type ModelAttribution, scoreQuery} from '../attribution/from-model.js'
import {buildReceipt, textHash} from '../attribution/receipt.js'
import type {PredictReturnType} from '../model/infer.js'

export function attributeRow(ma: ModelAttribution, out: PredictReturnType, i: number, text: string, opts: {method?: GradientMethod; topK?: number} = {}): AttributedPrediction {
  const method = opts.method ?? 'if'
  const p = out.predictions[i]
  const {D} = ma.model.weights
  const label = ma.model.config.labels.indexOf(p.label)
  const scores = scoreQuery(ma, out.h.slice(i * D, (i + 1) * D), method, label)
  const receipt = buildReceipt({
    method,
    model: ma.modelId,
    checkpoint: `epoch-${ma.model.training.metrics.bestEpoch}`,
    inputHash: textHash(text),
    outputHash: textHash(p.label),
    scores,
    records: ma.records,
    topK: opts.topK ?? 20,
  })
  return {
    label: p.label,
    probabilities: p.probabilities,
    attribution: {method, records: receipt.records, contributors: receipt.contributors, datanets: receipt.datanets},
    receipt,
  }
}
