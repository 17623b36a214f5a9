import {createRandom, type Random} from '../../src/model/prng.js'
import type {AttributionInput, HeadAdapterWeights} from '../../src/attribution/types.js'

export function randomArray(g: Random, n: number, scale = 1): Float32Array {
  return Float32Array.from({length: n}, () => g.gauss() * scale)
}

export function randomWeights(g: Random, D: number, C: number, r: number): HeadAdapterWeights {
  return {A: randomArray(g, r * D, 0.3), B: randomArray(g, D * r, 0.3), W: randomArray(g, C * (D + 1), 0.5)}
}

export function randomInput(seed: number, N: number, D: number, C: number, r: number, K = 3): AttributionInput {
  const g = createRandom(seed)
  const H = randomArray(g, N * D, 0.7)
  const labels = Int32Array.from({length: N}, () => g.int(C))
  const w = randomWeights(g, D, C, r)
  const checkpoints = Array.from({length: K}, (_, k) => ({...randomWeights(g, D, C, r), lr: 0.1 * (k + 1)}))
  return {N, D, C, r, H, labels, ...w, checkpoints, l2: 0.05}
}

/** Loss −log softmax(W[h + B A h; 1])_y in float64, straight from the definition. */
export function loss(
  w: {A: ArrayLike<number>; B: ArrayLike<number>; W: ArrayLike<number>},
  D: number,
  C: number,
  r: number,
  h: ArrayLike<number>,
  y: number,
): number {
  const Ah = new Float64Array(r)
  for (let k = 0; k < r; k++) for (let j = 0; j < D; j++) Ah[k] += w.A[k * D + j] * h[j]
  const hp = new Float64Array(D)
  for (let j = 0; j < D; j++) {
    hp[j] = h[j]
    for (let k = 0; k < r; k++) hp[j] += w.B[j * r + k] * Ah[k]
  }
  const z = new Float64Array(C)
  for (let c = 0; c < C; c++) {
    z[c] = w.W[c * (D + 1) + D]
    for (let j = 0; j < D; j++) z[c] += w.W[c * (D + 1) + j] * hp[j]
  }
  const m = Math.max(...z)
  let s = 0
  for (let c = 0; c < C; c++) s += Math.exp(z[c] - m)
  return -(z[y] - m - Math.log(s))
}

/** Explicit dense gradient [vec W; vec B; vec A] of one example, by the closed form. */
export function denseGradient(w: HeadAdapterWeights, D: number, C: number, r: number, h: ArrayLike<number>, y: number): Float64Array {
  const P = D + 1
  const Ah = new Float64Array(r)
  for (let k = 0; k < r; k++) for (let j = 0; j < D; j++) Ah[k] += w.A[k * D + j] * h[j]
  const hp = new Float64Array(D)
  for (let j = 0; j < D; j++) {
    hp[j] = h[j]
    for (let k = 0; k < r; k++) hp[j] += w.B[j * r + k] * Ah[k]
  }
  const z = new Float64Array(C)
  for (let c = 0; c < C; c++) {
    z[c] = w.W[c * P + D]
    for (let j = 0; j < D; j++) z[c] += w.W[c * P + j] * hp[j]
  }
  const m = Math.max(...z)
  const p = z.map((v) => Math.exp(v - m))
  const s = p.reduce((a, b) => a + b, 0)
  const res = p.map((v, c) => v / s - (c === y ? 1 : 0))
  const g = new Float64Array(C * P + D * r + r * D)
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < D; j++) g[c * P + j] = res[c] * hp[j]
    g[c * P + D] = res[c]
  }
  const u = new Float64Array(D)
  for (let j = 0; j < D; j++) for (let c = 0; c < C; c++) u[j] += w.W[c * P + j] * res[c]
  const o = C * P
  for (let j = 0; j < D; j++) for (let k = 0; k < r; k++) g[o + j * r + k] = u[j] * Ah[k]
  const Btu = new Float64Array(r)
  for (let k = 0; k < r; k++) for (let j = 0; j < D; j++) Btu[k] += w.B[j * r + k] * u[j]
  const o2 = o + D * r
  for (let k = 0; k < r; k++) for (let j = 0; j < D; j++) g[o2 + k * D + j] = Btu[k] * h[j]
  return g
}

export function dotAll(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length): number {
  let s = 0
  for (let i = 0; i < n; i++) s += a[i] * b[i]
  return s
}

/** Solves M x = b by Gaussian elimination with partial pivoting (reference only). */
export function gaussSolve(M: Float64Array, n: number, b: Float64Array): Float64Array {
  const A = Float64Array.from(M)
  const x = Float64Array.from(b)
  for (let c = 0; c < n; c++) {
    let piv = c
    for (let i = c + 1; i < n; i++) if (Math.abs(A[i * n + c]) > Math.abs(A[piv * n + c])) piv = i
    if (piv !== c) {
      for (let k = 0; k < n; k++) [A[c * n + k], A[piv * n + k]] = [A[piv * n + k], A[c * n + k]]
      ;[x[c], x[piv]] = [x[piv], x[c]]
    }
    for (let i = c + 1; i < n; i++) {
      const f = A[i * n + c] / A[c * n + c]
      for (let k = c; k < n; k++) A[i * n + k] -= f * A[c * n + k]
      x[i] -= f * x[c]
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]
    for (let k = i + 1; k < n; k++) s -= A[i * n + k] * x[k]
    x[i] = s / A[i * n + i]
  }
  return x
}

/** The reference a longest-match search is checked against: by scanning every suffix of T, the
 * longest prefix of q[0, len) that occurs and how many times. */
export function bruteLongestMatch(T: Int32Array, q: Int32Array, len: number): {best: number; count: number} {
  let best = 0
  let count = 0
  for (let s = 0; s < T.length; s++) {
    let d = 0
    while (d < len && s + d < T.length && T[s + d] === q[d]) d++
    if (d > best) {
      best = d
      count = 0
    }
    if (d === best) count++
  }
  return {best, count}
}
