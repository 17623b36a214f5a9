import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {CorruptFileError, writeFileAtomic} from '../store/atomic.js'
import {AttributionInputError, AttributionTooLargeError, NoCheckpointsError} from './errors.js'
import {choleskyInPlace, cholSolve} from './linalg.js'
import {multiDot, prepareWeights, queryState, validateInput, type PreparedWeights, type QueryState} from './model.js'
import type {RowMatmul} from './row-matmul.js'
import type {AttributionInput, GradientBlocks, Query} from './types.js'

/**
 * Gradient attribution over the trainable part (adapter + head).
 *
 * Every per-example gradient block is rank one, so dot products factor:
 *   head  ⟨res_i x̂_iᵀ, res_t x̂_tᵀ⟩           = (res_i·res_t)(x̂_i·x̂_t)
 *   B     ⟨u_i (A h_i)ᵀ, u_t (A h_t)ᵀ⟩        = (res_iᵀ G res_t)((A h_i)·(A h_t)),  G = W_D W_Dᵀ
 *   A     ⟨(Bᵀu_i) h_iᵀ, (Bᵀu_t) h_tᵀ⟩        = ((Bᵀu_i)·(Bᵀu_t))(h_i·h_t)
 * with x̂_i·x̂_t = h_i·h'_t + (A h_i)·(Bᵀ h'_t) + 1 and h_i·h'_t = h_i·h_t + (Bᵀh_i)·(A h_t), where
 * A h_i, Bᵀ h_i, Bᵀ u_i and res_i are computed once per model (and checkpoint). One query, over any
 * number of checkpoints, therefore reads each row of H once for the single dot product h_i·h_t, plus
 * O(K·(C + r)) per record.
 */
export type Attributor = {
  input: AttributionInput
  final: PreparedWeights
  /** Filled on first use by TracIn. */
  checkpoints?: PreparedWeights[]
}

/** Validates the input and computes the final weights' per-record quantities once. */
export function createAttributor(input: AttributionInput): Attributor {
  validateInput(input)
  return {input, final: prepareWeights(input, input)}
}

function ensureCheckpoints(att: Attributor): PreparedWeights[] {
  if (att.input.checkpoints.length === 0) throw new NoCheckpointsError()
  att.checkpoints ??= att.input.checkpoints.map((ck) => prepareWeights(att.input, ck, ck.lr))
  return att.checkpoints
}

/** The label a query explains: the given one, or the final model's prediction. */
export function resolveQuery(att: Attributor, q: Query): QueryState {
  const {D, C, r} = att.input
  return queryState(att.input, D, C, r, q.h, q.label)
}

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

/** x̂_i = [h'_i; 1] into out (length D + 1). */
export function featureRow(att: Attributor, i: number, out: Float64Array): void {
  const {D, r, H} = att.input
  const {B} = att.final.weights
  const Ah = att.final.Ah
  for (let j = 0; j < D; j++) {
    let s = H[i * D + j]
    for (let l = 0; l < r; l++) s += B[j * r + l] * Ah[i * r + l]
    out[j] = s
  }
  out[D] = 1
}

/** Self TracIn Σ_k lr_k ‖g_i^k‖²: a cheap data-quality score needing no Hessian. */
export function selfTracIn(att: Attributor, opts: GradientOptions = {}): Float64Array {
  const preps = ensureCheckpoints(att)
  const {N, D, C, r, H} = att.input
  const withA = (opts.blocks ?? 'all') === 'all' && r > 0
  const out = new Float64Array(N)
  const hp = new Float64Array(D)
  for (const pw of preps) {
    const {B} = pw.weights
    for (let i = 0; i < N; i++) {
      let hh = 0
      let hph = 0
      for (let j = 0; j < D; j++) {
        const hj = H[i * D + j]
        let s = hj
        for (let l = 0; l < r; l++) s += B[j * r + l] * pw.Ah[i * r + l]
        hp[j] = s
        hh += hj * hj
        hph += s * s
      }
      let rr = 0
      let rGr = 0
      for (let a = 0; a < C; a++) {
        const ra = pw.Res[i * C + a]
        rr += ra * ra
        for (let b = 0; b < C; b++) rGr += ra * pw.G[a * C + b] * pw.Res[i * C + b]
      }
      let g = rr * (hph + 1)
      if (withA) {
        let ahah = 0
        let bubu = 0
        for (let l = 0; l < r; l++) {
          ahah += pw.Ah[i * r + l] ** 2
          bubu += pw.Bu[i * r + l] ** 2
        }
        g += rGr * ahah + bubu * hh
      }
      out[i] += pw.lr * g
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Exact influence function on the head
// ---------------------------------------------------------------------------------------------

/**
 * The damped head Hessian H = (1/N) Σ_i (diag p_i − p_i p_iᵀ) ⊗ x̂_i x̂_iᵀ + λI over vec(W)
 * (row-major: index c·P + j), either Cholesky-factored (dense) or applied matrix-free inside
 * preconditioned conjugate gradients (cg) when C·P is too large to hold.
 */
export type HeadHessian =
  | {kind: 'dense'; C: number; P: number; damping: number; L: Float64Array; key?: string}
  | {kind: 'cg'; C: number; P: number; damping: number; diag: Float64Array; tol: number; maxIter: number; key?: string}

export type HessianOptions = {
  /** λ; defaults to the input's l2, else 1e-3. */
  damping?: number
  /** Largest C·(D+1) factored densely (memory 8·(C·(D+1))² bytes). Default 4096. */
  maxDenseDim?: number
  /** Force one path. */
  mode?: 'dense' | 'cg'
  cgTol?: number
  cgMaxIter?: number
}

export function defaultDamping(input: AttributionInput): number {
  return input.l2 !== undefined && input.l2 > 0 ? input.l2 : 1e-3
}

const CHUNK = 64

/**
 * Lower triangle of Σ_i w_i x̂_i x̂_iᵀ for several weight vectors at once (records in chunks of 64,
 * transposed so that each Gram entry is a contiguous dot product).
 */
function weightedGrams(att: Attributor, weightsOf: (i: number, out: Float64Array) => void, nw: number): Float64Array[] {
  const {N, D} = att.input
  const P = D + 1
  const grams = Array.from({length: nw}, () => new Float64Array(P * P))
  const XT = new Float64Array(P * CHUNK)
  const WX = new Float64Array(P * CHUNK)
  const Wt = new Float64Array(nw * CHUNK)
  const row = new Float64Array(P)
  const w = new Float64Array(nw)
  for (let s = 0; s < N; s += CHUNK) {
    const bs = Math.min(CHUNK, N - s)
    for (let b = 0; b < bs; b++) {
      featureRow(att, s + b, row)
      for (let j = 0; j < P; j++) XT[j * CHUNK + b] = row[j]
      weightsOf(s + b, w)
      for (let q = 0; q < nw; q++) Wt[q * CHUNK + b] = w[q]
    }
    for (let q = 0; q < nw; q++) {
      const G = grams[q]
      for (let j = 0; j < P; j++) {
        const jo = j * CHUNK
        for (let b = 0; b < bs; b++) WX[jo + b] = XT[jo + b] * Wt[q * CHUNK + b]
      }
      for (let j = 0; j < P; j++) {
        const jo = j * CHUNK
        const go = j * P
        for (let k = 0; k <= j; k++) {
          const ko = k * CHUNK
          let s0 = 0
          let s1 = 0
          let b = 0
          for (; b + 1 < bs; b += 2) {
            s0 += WX[jo + b] * XT[ko + b]
            s1 += WX[jo + b + 1] * XT[ko + b + 1]
          }
          if (b < bs) s0 += WX[jo + b] * XT[ko + b]
          G[go + k] += s0 + s1
        }
      }
    }
  }
  return grams
}

/** The dense damped head Hessian (full symmetric matrix, n = C·P). */
export function denseHeadHessian(att: Attributor, damping: number): Float64Array {
  const {N, D, C} = att.input
  const P = D + 1
  const n = C * P
  const pairs: Array<[number, number]> = []
  for (let a = 1; a < C; a++) for (let b = 0; b < a; b++) pairs.push([a, b])
  const Pr = att.final.Pr
  // Off-diagonal blocks: −(1/N) Σ p_a p_b x̂x̂ᵀ. Diagonal blocks follow from Σ_b S_ab = 0.
  const grams = weightedGrams(att, (i, out) => {
    for (let q = 0; q < pairs.length; q++) out[q] = (-Pr[i * C + pairs[q][0]] * Pr[i * C + pairs[q][1]]) / N
  }, pairs.length)
  const M = new Float64Array(n * n)
  const diagBlocks = Array.from({length: C}, () => new Float64Array(P * P))
  pairs.forEach(([a, b], q) => {
    const G = grams[q]
    for (let j = 0; j < P; j++) {
      for (let k = 0; k <= j; k++) {
        const v = G[j * P + k]
        M[(a * P + j) * n + b * P + k] = v
        M[(a * P + k) * n + b * P + j] = v
        M[(b * P + j) * n + a * P + k] = v
        M[(b * P + k) * n + a * P + j] = v
        diagBlocks[a][j * P + k] -= v
        diagBlocks[b][j * P + k] -= v
      }
    }
  })
  for (let a = 0; a < C; a++) {
    const Gd = diagBlocks[a]
    for (let j = 0; j < P; j++) {
      for (let k = 0; k <= j; k++) {
        const v = Gd[j * P + k]
        M[(a * P + j) * n + a * P + k] = v
        M[(a * P + k) * n + a * P + j] = v
      }
    }
  }
  for (let i = 0; i < n; i++) M[i * n + i] += damping
  return M
}

/** Builds and factors the head Hessian once per model (dense Cholesky, or the CG fallback). */
export function factorHeadHessian(att: Attributor, opts: HessianOptions = {}): HeadHessian {
  const {D, C} = att.input
  const P = D + 1
  const n = C * P
  const damping = opts.damping ?? defaultDamping(att.input)
  if (!(damping > 0)) throw new AttributionInputError(`Hessian damping must be positive, got ${damping}`)
  const maxDense = opts.maxDenseDim ?? 4096
  const mode = opts.mode ?? (n <= maxDense ? 'dense' : 'cg')
  if (mode === 'dense') {
    if (n > Math.max(maxDense, 1) && opts.mode === 'dense') {
      throw new AttributionTooLargeError(`a dense head Hessian of ${n}×${n} exceeds maxDenseDim ${maxDense}`)
    }
    const M = denseHeadHessian(att, damping)
    if (!choleskyInPlace(M, n)) throw new AttributionInputError('the damped head Hessian is not positive definite; raise the damping')
    return {kind: 'dense', C, P, damping, L: M}
  }
  const {N} = att.input
  const diag = new Float64Array(n).fill(damping)
  const row = new Float64Array(P)
  const Pr = att.final.Pr
  for (let i = 0; i < N; i++) {
    featureRow(att, i, row)
    for (let a = 0; a < C; a++) {
      const pa = Pr[i * C + a]
      const w = (pa * (1 - pa)) / N
      for (let j = 0; j < P; j++) diag[a * P + j] += w * row[j] * row[j]
    }
  }
  return {kind: 'cg', C, P, damping, diag, tol: opts.cgTol ?? 1e-8, maxIter: opts.cgMaxIter ?? 500}
}

/** H v for the damped head Hessian, matrix-free: O(N·C·(D+1)). */
export function headHessianVector(att: Attributor, damping: number, v: Float64Array): Float64Array {
  const {N, D, C} = att.input
  const P = D + 1
  const out = new Float64Array(C * P)
  const row = new Float64Array(P)
  const z = new Float64Array(C)
  const Pr = att.final.Pr
  for (let i = 0; i < N; i++) {
    featureRow(att, i, row)
    let pz = 0
    for (let c = 0; c < C; c++) {
      let s = 0
      for (let j = 0; j < P; j++) s += v[c * P + j] * row[j]
      z[c] = s
      pz += Pr[i * C + c] * s
    }
    for (let c = 0; c < C; c++) {
      const s = (Pr[i * C + c] * (z[c] - pz)) / N
      if (s === 0) continue
      for (let j = 0; j < P; j++) out[c * P + j] += s * row[j]
    }
  }
  for (let k = 0; k < C * P; k++) out[k] += damping * v[k]
  return out
}

/** H⁻¹ b (b is not modified). */
export function solveHeadHessian(att: Attributor, Hf: HeadHessian, b: Float64Array): Float64Array {
  if (Hf.kind === 'dense') {
    const x = Float64Array.from(b)
    cholSolve(Hf.L, Hf.C * Hf.P, x)
    return x
  }
  const n = Hf.C * Hf.P
  const x = new Float64Array(n)
  const r = Float64Array.from(b)
  const z = new Float64Array(n)
  for (let k = 0; k < n; k++) z[k] = r[k] / Hf.diag[k]
  const p = Float64Array.from(z)
  let rz = 0
  let bb = 0
  for (let k = 0; k < n; k++) {
    rz += r[k] * z[k]
    bb += b[k] * b[k]
  }
  const stop = Hf.tol * Hf.tol * bb
  for (let it = 0; it < Hf.maxIter; it++) {
    const Ap = headHessianVector(att, Hf.damping, p)
    let pAp = 0
    for (let k = 0; k < n; k++) pAp += p[k] * Ap[k]
    const alpha = rz / pAp
    let rr = 0
    for (let k = 0; k < n; k++) {
      x[k] += alpha * p[k]
      r[k] -= alpha * Ap[k]
      rr += r[k] * r[k]
    }
    if (rr <= stop) break
    let rzNew = 0
    for (let k = 0; k < n; k++) {
      z[k] = r[k] / Hf.diag[k]
      rzNew += r[k] * z[k]
    }
    const beta = rzNew / rz
    rz = rzNew
    for (let k = 0; k < n; k++) p[k] = z[k] + beta * p[k]
  }
  return x
}

/** vec(res_t x̂_tᵀ) for a query. */
export function queryHeadGradient(att: Attributor, q: QueryState): Float64Array {
  const {D, C} = att.input
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
  const P = D + 1
  const m = C - 1
  const Q = new Float64Array(m * D)
  const bias = new Float64Array(m)
  for (let c = 1; c < C; c++) {
    for (let j = 0; j < D; j++) Q[(c - 1) * D + j] = S[c * P + j] - S[j]
    bias[c - 1] = S[c * P + D] - S[D]
  }
  const BtS = new Float64Array(m * r)
  const {B} = att.final.weights
  for (let c = 0; c < m; c++) for (let j = 0; j < D; j++) for (let l = 0; l < r; l++) BtS[c * r + l] += B[j * r + l] * Q[c * D + j]
  return {m, Q, bias, BtS}
}

/** Scores from the N×m products H_i·Q_c (row-major, `stride` values per row, starting at `offset`). */
export function finishHeadScores(att: Attributor, t: HeadDirectionTerms, dots: ArrayLike<number>, stride = t.m, offset = 0): Float64Array {
  const {N, C, r} = att.input
  const {Res, Ah} = att.final
  const out = new Float64Array(N)
  for (let i = 0; i < N; i++) {
    let s = 0
    for (let c = 0; c < t.m; c++) {
      let v = dots[i * stride + offset + c] + t.bias[c]
      for (let l = 0; l < r; l++) v += Ah[i * r + l] * t.BtS[c * r + l]
      s += Res[i * C + c + 1] * v
    }
    out[i] = s
  }
  return out
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

/**
 * Self-influence g_iᵀ H⁻¹ g_i for every record (dense factor: ‖L⁻¹ g_i‖²). High values mark records
 * the model cannot fit without bending around them: mislabelled, atypical or harmful.
 */
export function selfInfluence(att: Attributor, Hf: HeadHessian): Float64Array {
  const {N, D, C} = att.input
  const P = D + 1
  const n = C * P
  const out = new Float64Array(N)
  if (Hf.kind !== 'dense') {
    throw new AttributionTooLargeError(`self-influence needs the dense head Hessian; C·(D+1) = ${n} is over the dense limit`, {
      metaMessages: ['Use selfTracIn (no Hessian) or raise maxDenseDim if memory allows.'],
    })
  }
  const row = new Float64Array(P)
  const g = new Float64Array(n)
  const Res = att.final.Res
  for (let i = 0; i < N; i++) {
    featureRow(att, i, row)
    let first = n
    for (let c = 0; c < C; c++) {
      const rc = Res[i * C + c]
      for (let j = 0; j < P; j++) g[c * P + j] = rc * row[j]
      if (rc !== 0 && first === n) first = c * P
    }
    // Forward substitution, skipping the leading zeros of g.
    const L = Hf.L
    let s2 = 0
    for (let k = 0; k < first; k++) g[k] = 0
    for (let k = first; k < n; k++) {
      const rk = k * n
      let s = g[k]
      for (let l = first; l < k; l++) s -= L[rk + l] * g[l]
      const y = s / L[rk + k]
      g[k] = y
      s2 += y * y
    }
    out[i] = s2
  }
  return out
}

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

// ---------------------------------------------------------------------------------------------
// Cache of the factor on disk
// ---------------------------------------------------------------------------------------------

const HF_MAGIC = 0x46484c4f // 'OLHF'
const HF_VERSION = 1
const HF_HEADER = 96

/** A key that changes with anything the factor depends on: weights, encoder outputs, labels, λ. */
export function hessianKey(input: AttributionInput, damping: number): string {
  const h = createHash('sha256')
  h.update(`olhf1:${input.N}:${input.D}:${input.C}:${input.r}:${damping}`)
  for (const a of [input.W, input.A, input.B, input.H]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
  h.update(new Uint8Array(input.labels.buffer, input.labels.byteOffset, input.labels.byteLength))
  return h.digest('hex')
}

/** Writes a dense factor: a 96-byte header (magic, version, C, P, λ, key) then L row-major. */
export function saveHeadHessian(path: string, Hf: HeadHessian, key: string): void {
  if (Hf.kind !== 'dense') throw new AttributionInputError('only a dense head Hessian factor can be cached')
  const n = Hf.C * Hf.P
  const buf = new Uint8Array(HF_HEADER + n * n * 8)
  const dv = new DataView(buf.buffer)
  dv.setUint32(0, HF_MAGIC, true)
  dv.setUint32(4, HF_VERSION, true)
  dv.setUint32(8, Hf.C, true)
  dv.setUint32(12, Hf.P, true)
  dv.setFloat64(16, Hf.damping, true)
  buf.set(Buffer.from(key.padEnd(64, ' ').slice(0, 64), 'ascii'), 24)
  buf.set(new Uint8Array(Hf.L.buffer, Hf.L.byteOffset, Hf.L.byteLength), HF_HEADER)
  writeFileAtomic(path, buf)
}

/** Loads a cached factor with one read; undefined when missing or made for another key. */
export function loadHeadHessian(path: string, key: string): HeadHessian | undefined {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (buf.length < HF_HEADER) throw new CorruptFileError(path, 'not a head Hessian cache (too short)')
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length)
  if (dv.getUint32(0, true) !== HF_MAGIC) throw new CorruptFileError(path, 'not a head Hessian cache (bad magic)')
  if (dv.getUint32(4, true) !== HF_VERSION) return undefined
  const C = dv.getUint32(8, true)
  const P = dv.getUint32(12, true)
  const damping = dv.getFloat64(16, true)
  const stored = buf.subarray(24, 88).toString('ascii').trimEnd()
  if (stored !== key) return undefined
  const n = C * P
  if (buf.length !== HF_HEADER + n * n * 8) throw new CorruptFileError(path, 'truncated head Hessian cache')
  const off = buf.byteOffset + HF_HEADER
  const L = off % 8 === 0 ? new Float64Array(buf.buffer, off, n * n) : new Float64Array(buf.buffer.slice(off, off + n * n * 8))
  return {kind: 'dense', C, P, damping, L, key}
}

/** Cached factor when present for this key, else factor and cache it. */
export function loadOrFactorHeadHessian(att: Attributor, path: string, opts: HessianOptions = {}): HeadHessian {
  const damping = opts.damping ?? defaultDamping(att.input)
  const key = hessianKey(att.input, damping)
  const cached = loadHeadHessian(path, key)
  if (cached) return cached
  const Hf = factorHeadHessian(att, {...opts, damping})
  if (Hf.kind === 'dense') saveHeadHessian(path, Hf, key)
  return {...Hf, key}
}

