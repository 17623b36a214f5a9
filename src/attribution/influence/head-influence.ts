import {multiDot, type QueryState} from '../model.js'
import type {RowMatmul} from '../row-matmul.js'
import type {Query} from '../types.js'
import {resolveQuery, type Attributor} from './attributor.js'
import type {HeadHessian} from './head-hessian.js'
import {solveHeadHessian} from './solve-head-hessian.js'

/** vec(res_t x̂_tᵀ) for a query. */
export function queryHeadGradient(att: Attributor, q: QueryState): Float64Array {
  return headGradientOf(att.input.D, att.input.C, q)
}

/** vec(res_t x̂_tᵀ) from the query state alone (a streamed pass has no Attributor). */
export function headGradientOf(D: number, C: number, q: QueryState): Float64Array {
  const P = D + 1
  const g = new Float64Array(C * P)
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < D; j++) g[c * P + j] = q.res[c] * q.hp[j]
    g[c * P + D] = q.res[c]
  }
  return g
}

/**
 * Scores res_iᵀ S x̂_i for all records, S = C×P: one pass over H with C − 1 query rows,
 * using S_c·h'_i = S_c·h_i + (A h_i)·(Bᵀ S_c) so that h' is never materialised.
 */
export function scoreHeadDirection(att: Attributor, S: Float64Array): Float64Array {
  const terms = headDirectionTerms(att, S)
  const dots = new Float64Array(att.input.N * terms.m)
  multiDot(att.input.H, att.input.N, att.input.D, terms.Q, terms.m, dots)
  return finishHeadScores(att, terms, dots)
}

export type HeadDirectionTerms = {
  /** C − 1: dot products per row. */
  m: number
  /** m×D: (S_c − S_0) over the feature columns. */
  Q: Float64Array
  /** m: (S_c − S_0) at the bias column. */
  bias: Float64Array
  /** m×r: Bᵀ(S_c − S_0), the adapter's share of h'·(S_c − S_0). */
  BtS: Float64Array
}

/**
 * The per-query part of res_iᵀ S x̂_i: since Σ_c res_ic = 0 it equals Σ_{c≥1} res_ic (S_c − S_0)·x̂_i,
 * C − 1 dot products per row; h'_i = h_i + B(A h_i) splits each into H_i·Q_c plus (A h_i)·(BᵀQ_c).
 */
export function headDirectionTerms(att: Attributor, S: Float64Array): HeadDirectionTerms {
  const {D, C, r} = att.input
  return headDirectionTermsOf(D, C, r, att.final.weights.B, S)
}

/** headDirectionTerms from the dimensions and the adapter's B (D×r) alone. */
export function headDirectionTermsOf(D: number, C: number, r: number, B: Float32Array, S: Float64Array): HeadDirectionTerms {
  const P = D + 1
  const m = C - 1
  const Q = new Float64Array(m * D)
  const bias = new Float64Array(m)
  for (let c = 1; c < C; c++) {
    for (let j = 0; j < D; j++) Q[(c - 1) * D + j] = S[c * P + j] - S[j]
    bias[c - 1] = S[c * P + D] - S[D]
  }
  const BtS = new Float64Array(m * r)
  for (let c = 0; c < m; c++) for (let j = 0; j < D; j++) for (let l = 0; l < r; l++) BtS[c * r + l] += B[j * r + l] * Q[c * D + j]
  return {m, Q, bias, BtS}
}

/** Scores from the N×m products H_i·Q_c (row-major, `stride` values per row, starting at `offset`). */
export function finishHeadScores(att: Attributor, t: HeadDirectionTerms, dots: ArrayLike<number>, stride = t.m, offset = 0): Float64Array {
  const {N, C, r} = att.input
  const out = new Float64Array(N)
  finishHeadRows(t, N, C, r, att.final.Res, att.final.Ah, dots, stride, offset, out)
  return out
}

/**
 * finishHeadScores for n rows whose residuals (n×C) and A h (n×r) are given from row 0: the whole
 * training set, or one chunk of a streamed pass (the same arithmetic, so the same bits).
 */
export function finishHeadRows(
  t: HeadDirectionTerms,
  n: number,
  C: number,
  r: number,
  Res: ArrayLike<number>,
  Ah: ArrayLike<number>,
  dots: ArrayLike<number>,
  stride: number,
  offset: number,
  out: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let c = 0; c < t.m; c++) {
      let v = dots[i * stride + offset + c] + t.bias[c]
      for (let l = 0; l < r; l++) v += Ah[i * r + l] * t.BtS[c * r + l]
      s += Res[i * C + c + 1] * v
    }
    out[i] = s
  }
}

/**
 * Head influence g_tᵀ H⁻¹ g_i for every record i. Positive: removing record i would raise the
 * query's loss at its label by about score/N (a proponent); negative: an opponent.
 */
export function headInfluenceScores(att: Attributor, Hf: HeadHessian, query: Query): Float64Array {
  const q = resolveQuery(att, query)
  const s = solveHeadHessian(att, Hf, queryHeadGradient(att, q))
  return scoreHeadDirection(att, s)
}

/**
 * headInfluenceScores for several queries in one pass over the records: every query's C − 1
 * directions go through one ONNX Runtime MatMul with the training matrix (see RowMatmul).
 */
export async function headInfluenceScoresBatch(att: Attributor, Hf: HeadHessian, queries: Query[], mm: RowMatmul): Promise<Float64Array[]> {
  if (queries.length === 0) return []
  const terms = queries.map((query) => headDirectionTerms(att, solveHeadHessian(att, Hf, queryHeadGradient(att, resolveQuery(att, query)))))
  const m = terms[0].m
  const M = m * terms.length
  const Q = new Float64Array(M * att.input.D)
  terms.forEach((t, k) => Q.set(t.Q, k * m * att.input.D))
  const dots = await mm.run(Q, M)
  return terms.map((t, k) => finishHeadScores(att, t, dots, M, k * m))
}
