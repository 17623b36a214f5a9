import {multiDot, queryState, type PreparedWeights, type QueryState} from '../model.js'
import type {GradientBlocks, Query} from '../types.js'
import {ensureCheckpoints, resolveQuery, type Attributor} from './attributor.js'

function gradientDotScores(att: Attributor, preps: PreparedWeights[], qs: QueryState[], blocks: GradientBlocks): Float64Array {
  const {N, D, C, r, H} = att.input
  const withA = blocks === 'all' && r > 0
  // The only pass over H: h_i·h_t. Everything else is O(C + r) per record and checkpoint.
  const hh = new Float64Array(N)
  multiDot(H, N, D, Float64Array.from(qs[0].h), 1, hh)
  const out = new Float64Array(N)
  const Bthp = new Float64Array(r)
  const Gres = new Float64Array(C)
  for (let k = 0; k < preps.length; k++) {
    const pw = preps[k]
    const q = qs[k]
    const {B} = pw.weights
    Bthp.fill(0)
    for (let j = 0; j < D; j++) for (let l = 0; l < r; l++) Bthp[l] += B[j * r + l] * q.hp[j]
    for (let a = 0; a < C; a++) {
      let s = 0
      for (let b = 0; b < C; b++) s += pw.G[a * C + b] * q.res[b]
      Gres[a] = s
    }
    const lr = pw.lr
    const {Res, Ah, Bu, Bth} = pw
    for (let i = 0; i < N; i++) {
      let rr = 0
      for (let c = 0; c < C; c++) rr += Res[i * C + c] * q.res[c]
      // x̂_i·x̂_t = h_i·h'_t + (A h_i)·(Bᵀ h'_t) + 1, with h_i·h'_t = h_i·h_t + (Bᵀ h_i)·(A h_t)
      let xx = hh[i] + 1
      for (let l = 0; l < r; l++) xx += Bth[i * r + l] * q.Ah[l] + Ah[i * r + l] * Bthp[l]
      let g = rr * xx
      if (withA) {
        let rGr = 0
        for (let c = 0; c < C; c++) rGr += Res[i * C + c] * Gres[c]
        let ahah = 0
        let bubu = 0
        for (let l = 0; l < r; l++) {
          ahah += Ah[i * r + l] * q.Ah[l]
          bubu += Bu[i * r + l] * q.Bu[l]
        }
        g += rGr * ahah + bubu * hh[i]
      }
      out[i] += lr * g
    }
  }
  return out
}

export type GradientOptions = {blocks?: GradientBlocks}

/**
 * TracIn: Σ_k lr_k ⟨g_i^k, g_t^k⟩ over the saved checkpoints. Positive: a gradient step on record i
 * lowered the query's loss (a proponent). The query's label is fixed across checkpoints.
 */
export function tracInScores(att: Attributor, query: Query, opts: GradientOptions = {}): Float64Array {
  const preps = ensureCheckpoints(att)
  const {D, C, r} = att.input
  const label = resolveQuery(att, query).label
  const qs = preps.map((pw) => queryState(pw.weights, D, C, r, query.h, label))
  return gradientDotScores(att, preps, qs, opts.blocks ?? 'all')
}

/** ⟨g_i, g_t⟩ at the final weights (TracIn with one checkpoint and lr = 1). */
export function gradDotScores(att: Attributor, query: Query, opts: GradientOptions = {}): Float64Array {
  return gradientDotScores(att, [att.final], [resolveQuery(att, query)], opts.blocks ?? 'all')
}
