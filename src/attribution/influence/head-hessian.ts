import {AttributionInputError, AttributionTooLargeError} from '../errors.js'
import {choleskyInPlace} from '../linalg.js'
import type {AttributionInput} from '../types.js'
import {type Attributor, type FeatureRows, featureRow, featureRowOf, featureRowsOf} from './attributor.js'

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

export function defaultDamping(input: Pick<AttributionInput, 'l2'>): number {
  return input.l2 !== undefined && input.l2 > 0 ? input.l2 : 1e-3
}

// Records per block in the Gram accumulation: 64 rows × P columns of doubles stay in L2.
export const GRAM_BLOCK = 64
const CHUNK = GRAM_BLOCK

/**
 * Adds the lower triangle of Σ_i w_i x̂_i x̂_iᵀ to `grams`, for several weight vectors at once
 * (records in blocks of 64, transposed so that each Gram entry is a contiguous dot product). A pass
 * fed in chunks of a multiple of 64 rows adds the same blocks in the same order: the same bits.
 */
export function addWeightedGrams(f: FeatureRows, weightsOf: (i: number, out: Float64Array) => void, grams: Float64Array[]): void {
  const N = f.n
  const P = f.D + 1
  const nw = grams.length
  const XT = new Float64Array(P * CHUNK)
  const WX = new Float64Array(P * CHUNK)
  const Wt = new Float64Array(nw * CHUNK)
  const row = new Float64Array(P)
  const w = new Float64Array(nw)
  for (let s = 0; s < N; s += CHUNK) {
    const bs = Math.min(CHUNK, N - s)
    for (let b = 0; b < bs; b++) {
      featureRowOf(f, s + b, row)
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
}

/** The class pairs (a, b), a > b, whose off-diagonal blocks the Hessian is built from. */
export function hessianPairs(C: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = []
  for (let a = 1; a < C; a++) for (let b = 0; b < a; b++) pairs.push([a, b])
  return pairs
}

/** Row i's Gram weights −p_a p_b / N, one per pair, from its probabilities (Pr, row-major with C columns). */
export function pairWeights(
  pairs: Array<[number, number]>,
  C: number,
  N: number,
  Pr: ArrayLike<number>,
  i: number,
  out: Float64Array,
): void {
  for (let q = 0; q < pairs.length; q++) out[q] = (-Pr[i * C + pairs[q][0]] * Pr[i * C + pairs[q][1]]) / N
}

/** The dense damped head Hessian (full symmetric matrix, n = C·P). */
export function denseHeadHessian(att: Attributor, damping: number): Float64Array {
  const {N, D, C} = att.input
  const P = D + 1
  const pairs = hessianPairs(C)
  const Pr = att.final.Pr
  // Off-diagonal blocks: −(1/N) Σ p_a p_b x̂x̂ᵀ. Diagonal blocks follow from Σ_b S_ab = 0.
  const grams = pairs.map(() => new Float64Array(P * P))
  addWeightedGrams(featureRowsOf(att), (i, out) => pairWeights(pairs, C, N, Pr, i, out), grams)
  return assembleHeadHessian(grams, pairs, C, P, damping)
}

/** The full damped matrix from the pairs' lower-triangular Grams. */
export function assembleHeadHessian(
  grams: Float64Array[],
  pairs: Array<[number, number]>,
  C: number,
  P: number,
  damping: number,
): Float64Array {
  const n = C * P
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
