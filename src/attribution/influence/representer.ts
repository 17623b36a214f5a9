import type {Query} from '../types.js'
import {featureRow, resolveQuery, type Attributor} from './attributor.js'
import {defaultDamping} from './head-hessian.js'
import {scoreHeadDirection} from './head-influence.js'

/**
 * Representer decomposition of the explained class's logit: at a stationary point of
 * (1/N) Σ ℓ_i + (λ/2)‖W‖², W = −(1/(λN)) Σ_i res_i x̂_iᵀ, so z_c(t) = Σ_i −res_ic (x̂_i·x̂_t)/(λN)
 * exactly. Returns each record's term for the query's label.
 */
export function representerScores(att: Attributor, query: Query, lambda = defaultDamping(att.input)): Float64Array {
  const q = resolveQuery(att, query)
  const {N, C} = att.input
  const S = new Float64Array(C * (att.input.D + 1))
  const P = att.input.D + 1
  for (let j = 0; j < att.input.D; j++) S[q.label * P + j] = q.hp[j]
  S[q.label * P + att.input.D] = 1
  // res_iᵀ S x̂_i = res_i,label (x̂_i·x̂_t)
  const raw = scoreHeadDirection(att, S)
  const k = -1 / (lambda * N)
  for (let i = 0; i < N; i++) raw[i] *= k
  return raw
}

/** ‖W − W_repr‖/‖W‖: how far the head is from the stationary point the representer form assumes. */
export function representerResidual(att: Attributor, lambda = defaultDamping(att.input)): number {
  const {N, D, C} = att.input
  const P = D + 1
  const Wr = new Float64Array(C * P)
  const row = new Float64Array(P)
  const k = -1 / (lambda * N)
  for (let i = 0; i < N; i++) {
    featureRow(att, i, row)
    for (let c = 0; c < C; c++) {
      const a = k * att.final.Res[i * C + c]
      for (let j = 0; j < P; j++) Wr[c * P + j] += a * row[j]
    }
  }
  let num = 0
  let den = 0
  for (let t = 0; t < C * P; t++) {
    num += (att.input.W[t] - Wr[t]) ** 2
    den += att.input.W[t] ** 2
  }
  return Math.sqrt(num / (den || 1))
}
