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
  for (let k = 0; k < preps.length; k++) {
    const pw = preps[k]
    const q = qs[k]
    const {Bthp, Gres} = gradDotQueryTerms(D, C, r, pw.weights.B, pw.G, q)
    gradDotRows(N, C, r, pw, q, hh, Bthp, Gres, withA, pw.lr, out)
  }
  return out
}

/** The rows' per-record quantities under one set of weights (the whole set, or one chunk from row 0). */
export type GradientRows = {Res: ArrayLike<number>; Ah: ArrayLike<number>; Bu: ArrayLike<number>; Bth: ArrayLike<number>}

/**
 * Adds lr·⟨g_i, g_t⟩ for n rows to out, from hh[i] = h_i·h_t and the query's per-weights terms
 * (Bthp = Bᵀh'_t, Gres = G res_t): the in-memory pass and a streamed chunk run this same loop.
 */
export function gradDotRows(
  n: number,
  C: number,
  r: number,
  rows: GradientRows,
  q: QueryState,
  hh: ArrayLike<number>,
  Bthp: Float64Array,
  Gres: Float64Array,
  withA: boolean,
  lr: number,
  out: Float64Array,
): void {
  const {Res, Ah, Bu, Bth} = rows
  for (let i = 0; i < n; i++) {
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

/** Bᵀh'_t (r) and G res_t (C): the query's terms under one set of weights. */
export function gradDotQueryTerms(
  D: number,
  C: number,
  r: number,
  B: Float32Array,
  G: Float64Array,
  q: QueryState,
): {Bthp: Float64Array; Gres: Float64Array} {
  const Bthp = new Float64Array(r)
  for (let j = 0; j < D; j++) for (let l = 0; l < r; l++) Bthp[l] += B[j * r + l] * q.hp[j]
  const Gres = new Float64Array(C)
  for (let a = 0; a < C; a++) {
    let s = 0
    for (let b = 0; b < C; b++) s += G[a * C + b] * q.res[b]
    Gres[a] = s
  }
  return {Bthp, Gres}
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
