/** One attributed answer built from a batched prediction, shaped as `infer --attribute --json` gives it. */
import {type AttributedPrediction, type GradientMethod, type ModelAttribution, attributedPrediction, scoreQuery} from '../attribution/from-model.js'
import type {PredictReturnType} from '../model/infer.js'

export function attributeRow(ma: ModelAttribution, out: PredictReturnType, i: number, text: string, opts: {method?: GradientMethod; topK?: number} = {}): AttributedPrediction {
  const method = opts.method ?? 'if'
  const p = out.predictions[i]
  const {D} = ma.model.weights
  const scores = scoreQuery(ma, out.h.slice(i * D, (i + 1) * D), method, ma.model.config.labels.indexOf(p.label))
  return attributedPrediction(ma, p, scores, text, method, opts.topK)
}
