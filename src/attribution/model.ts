import {AttributionInputError} from './errors.js'
import {headForward} from '../model/math.js'
import type {AttributionInput, HeadAdapterWeights} from './types.js'

/** Per-record quantities of one set of weights, computed once (O(N·D·(C + 2r))). */
export type PreparedWeights = {
  weights: HeadAdapterWeights
  /** N×r: A h_i */
  Ah: Float32Array
  /** N×r: Bᵀ u_i with u_i = W_{:, :D}ᵀ res_i */
  Bu: Float32Array
  /** N×r: Bᵀ h_i, so that h_i·h'_t = h_i·h_t + (Bᵀ h_i)·(A h_t) */
  Bth: Float32Array
  /** N×C: p_i */
  Pr: Float32Array
  /** N×C: res_i = p_i − onehot(y_i) */
  Res: Float32Array
  /** C×C: W_D W_Dᵀ, so that u_i·u_t = res_iᵀ G res_t */
  G: Float64Array
  /** Learning rate (checkpoints) or 1 (final weights). */
  lr: number
}

/** The state of one query under one set of weights. */
export type QueryState = {
  h: Float32Array
  /** r: A h */
  Ah: Float64Array
  /** D: h' = h + B A h */
  hp: Float64Array
  /** C */
  p: Float64Array
  res: Float64Array
  /** r: Bᵀ u */
  Bu: Float64Array
  label: number
}

function checkFinite(name: string, a: Float32Array): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new AttributionInputError(`${name}[${i}] is not a finite number`)
  }
}

export function validateWeights(where: string, w: HeadAdapterWeights, D: number, C: number, r: number): void {
  if (w.A.length !== r * D) throw new AttributionInputError(`${where}: A has ${w.A.length} values, expected r×D = ${r}×${D} = ${r * D}`)
  if (w.B.length !== D * r) throw new AttributionInputError(`${where}: B has ${w.B.length} values, expected D×r = ${D}×${r} = ${D * r}`)
  if (w.W.length !== C * (D + 1)) {
    throw new AttributionInputError(`${where}: W has ${w.W.length} values, expected C×(D+1) = ${C}×${D + 1} = ${C * (D + 1)}`)
  }
  checkFinite(`${where}.W`, w.W)
  checkFinite(`${where}.A`, w.A)
  checkFinite(`${where}.B`, w.B)
}

/** Checks every shape and value; throws a one-line AttributionInputError naming the first fault. */
export function validateInput(input: AttributionInput): void {
  const {N, D, C, r} = input
  for (const [k, v] of [
    ['N', N],
    ['D', D],
    ['C', C],
    ['r', r],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new AttributionInputError(`${k} must be a non-negative integer, got ${v}`)
  }
  if (N === 0) throw new AttributionInputError('the training set is empty (N = 0)')
  if (D === 0) throw new AttributionInputError('encoder width D is 0')
  if (C < 2) throw new AttributionInputError(`a softmax head needs at least 2 classes, got C = ${C}`)
  if (input.H.length !== N * D) throw new AttributionInputError(`H has ${input.H.length} values, expected N×D = ${N}×${D} = ${N * D}`)
  if (input.labels.length !== N) throw new AttributionInputError(`labels has ${input.labels.length} entries, expected N = ${N}`)
  for (let i = 0; i < N; i++) {
    const y = input.labels[i]
    if (!(y >= 0 && y < C)) throw new AttributionInputError(`label of record ${i} is ${y}, outside [0, ${C})`)
  }
  checkFinite('H', input.H)
  validateWeights('final weights', input, D, C, r)
  input.checkpoints.forEach((ck, k) => {
    validateWeights(`checkpoint ${k}`, ck, D, C, r)
    if (!(ck.lr > 0) || !Number.isFinite(ck.lr))
      throw new AttributionInputError(`checkpoint ${k}: learning rate must be positive, got ${ck.lr}`)
  })
}

/** W_D W_Dᵀ (C×C). */
function headGram(W: Float32Array, D: number, C: number): Float64Array {
  const P = D + 1
  const G = new Float64Array(C * C)
  for (let a = 0; a < C; a++) {
    for (let b = a; b < C; b++) {
      let s = 0
      for (let j = 0; j < D; j++) s += W[a * P + j] * W[b * P + j]
      G[a * C + b] = s
      G[b * C + a] = s
    }
  }
  return G
}

/** Bᵀ W_Dᵀ res (r) into out. */
function bTu(w: HeadAdapterWeights, D: number, C: number, r: number, res: ArrayLike<number>, u: Float64Array, out: Float64Array): void {
  const P = D + 1
  u.fill(0)
  for (let c = 0; c < C; c++) {
    const rc = res[c]
    if (rc === 0) continue
    const wc = c * P
    for (let j = 0; j < D; j++) u[j] += rc * w.W[wc + j]
  }
  out.fill(0)
  for (let j = 0; j < D; j++) {
    const uj = u[j]
    const bj = j * r
    for (let k = 0; k < r; k++) out[k] += w.B[bj + k] * uj
  }
}

/** Computes the per-record quantities of `w` over the training set (one pass over H). */
export function prepareWeights(input: AttributionInput, w: HeadAdapterWeights, lr = 1): PreparedWeights {
  const {N, D, C, r, H, labels} = input
  const Ah = new Float32Array(N * r)
  const Bu = new Float32Array(N * r)
  const Bth = new Float32Array(N * r)
  const Pr = new Float32Array(N * C)
  const Res = new Float32Array(N * C)
  const ah = new Float64Array(r)
  const hp = new Float64Array(D)
  const z = new Float64Array(C)
  const p = new Float64Array(C)
  const res = new Float64Array(C)
  const u = new Float64Array(D)
  const bu = new Float64Array(r)
  for (let i = 0; i < N; i++) {
    headForward(w, D, C, r, H, i * D, ah, hp, z, p)
    for (let c = 0; c < C; c++) {
      res[c] = p[c] - (c === labels[i] ? 1 : 0)
      Pr[i * C + c] = p[c]
      Res[i * C + c] = res[c]
    }
    for (let k = 0; k < r; k++) Ah[i * r + k] = ah[k]
    if (r > 0) {
      const o = i * D
      for (let j = 0; j < D; j++) {
        const hj = H[o + j]
        for (let k = 0; k < r; k++) Bth[i * r + k] += w.B[j * r + k] * hj
      }
      bTu(w, D, C, r, res, u, bu)
      for (let k = 0; k < r; k++) Bu[i * r + k] = bu[k]
    }
  }
  return {weights: w, Ah, Bu, Bth, Pr, Res, G: headGram(w.W, D, C), lr}
}

/** Forward state of a query; `label` defaults to the predicted class. */
export function queryState(w: HeadAdapterWeights, D: number, C: number, r: number, h: Float32Array, label?: number): QueryState {
  if (h.length !== D) throw new AttributionInputError(`query vector has ${h.length} values, expected D = ${D}`)
  for (let j = 0; j < D; j++) if (!Number.isFinite(h[j])) throw new AttributionInputError(`query vector[${j}] is not a finite number`)
  const Ah = new Float64Array(r)
  const hp = new Float64Array(D)
  const z = new Float64Array(C)
  const p = new Float64Array(C)
  headForward(w, D, C, r, h, 0, Ah, hp, z, p)
  let y = label
  if (y === undefined) {
    y = 0
    for (let c = 1; c < C; c++) if (p[c] > p[y]) y = c
  } else if (!(Number.isInteger(y) && y >= 0 && y < C)) {
    throw new AttributionInputError(`query label ${y} is outside [0, ${C})`)
  }
  const res = new Float64Array(C)
  for (let c = 0; c < C; c++) res[c] = p[c] - (c === y ? 1 : 0)
  const Bu = new Float64Array(r)
  if (r > 0) bTu(w, D, C, r, res, new Float64Array(D), Bu)
  return {h, Ah, hp, p, res, Bu, label: y}
}

/** Class probabilities of one encoder output. */
export function predictProba(w: HeadAdapterWeights, D: number, C: number, r: number, h: ArrayLike<number>, ho = 0): Float64Array {
  const p = new Float64Array(C)
  headForward(w, D, C, r, h, ho, new Float64Array(r), new Float64Array(D), new Float64Array(C), p)
  return p
}

/**
 * out[i·m + q] = H_i · Q_q for every row i of the N×D matrix H and the m query rows of Q (m×D):
 * one pass over H; each row is read once and stays in L1 while the m dot products run.
 */
export function multiDot(H: Float32Array, N: number, D: number, Q: Float64Array, m: number, out: Float64Array): void {
  if (m === 1) {
    for (let i = 0; i < N; i++) {
      const o = i * D
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      let j = 0
      for (; j + 3 < D; j += 4) {
        s0 += H[o + j] * Q[j]
        s1 += H[o + j + 1] * Q[j + 1]
        s2 += H[o + j + 2] * Q[j + 2]
        s3 += H[o + j + 3] * Q[j + 3]
      }
      for (; j < D; j++) s0 += H[o + j] * Q[j]
      out[i] = s0 + s1 + s2 + s3
    }
    return
  }
  // Groups of up to four query rows, interleaved (Qi[j·4 + q], zero-padded) and unrolled by two
  // columns: each element of the row is loaded once per group and feeds independent accumulators.
  const Qi = new Float64Array(D * 4 + 8)
  for (let q0 = 0; q0 < m; q0 += 4) {
    const g = Math.min(4, m - q0)
    Qi.fill(0)
    for (let q = 0; q < g; q++) for (let j = 0; j < D; j++) Qi[j * 4 + q] = Q[(q0 + q) * D + j]
    for (let i = 0; i < N; i++) {
      const o = i * D
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      let t0 = 0
      let t1 = 0
      let t2 = 0
      let t3 = 0
      let j = 0
      for (; j + 1 < D; j += 2) {
        const x = H[o + j]
        const y = H[o + j + 1]
        const b = j * 4
        s0 += x * Qi[b]
        s1 += x * Qi[b + 1]
        s2 += x * Qi[b + 2]
        s3 += x * Qi[b + 3]
        t0 += y * Qi[b + 4]
        t1 += y * Qi[b + 5]
        t2 += y * Qi[b + 6]
        t3 += y * Qi[b + 7]
      }
      if (j < D) {
        const x = H[o + j]
        const b = j * 4
        s0 += x * Qi[b]
        s1 += x * Qi[b + 1]
        s2 += x * Qi[b + 2]
        s3 += x * Qi[b + 3]
      }
      const w = i * m + q0
      out[w] = s0 + t0
      if (g > 1) out[w + 1] = s1 + t1
      if (g > 2) out[w + 2] = s2 + t2
      if (g > 3) out[w + 3] = s3 + t3
    }
  }
}
