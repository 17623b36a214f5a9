import {AttributionInputError} from '../src/attribution/errors.js'
import {choleskyInPlace, cholSolve} from '../src/attribution/linalg.js'
import {crossEntropy, headForward} from '../src/model/math.js'

export type HeadTrainOptions = {
  /** L2 strength λ of (1/N) Σ w_i ℓ_i + (λ/2)‖W‖² (the bias is regularised too). */
  lambda: number
  /** Per-record weights (0 drops a record; the normaliser stays N). Default all ones. */
  sampleWeights?: Float64Array
  /** Warm start (C×(D+1)). */
  init?: Float32Array
  /** Stop when the gradient's max-norm falls below this. Default 1e-10. */
  tol?: number
  maxIter?: number
}

export type HeadTrainResult = {W: Float32Array; iterations: number; gradNorm: number; objective: number}

const NO_ADAPTER = new Float32Array(0)
const NO_ADAPTER_STATE = new Float64Array(0)

function objectiveAndGradient(
  X: Float32Array,
  N: number,
  D: number,
  C: number,
  labels: Int32Array,
  sw: Float64Array | undefined,
  lambda: number,
  W: Float64Array,
  grad: Float64Array | undefined,
  Pout: Float64Array | undefined,
): number {
  const P = D + 1
  const z = new Float64Array(C)
  const p = new Float64Array(C)
  const hp = new Float64Array(D)
  // A head-only model (r = 0) through the one forward pass.
  const head = {A: NO_ADAPTER, B: NO_ADAPTER, W}
  let f = 0
  if (grad) grad.fill(0)
  for (let i = 0; i < N; i++) {
    const w = sw ? sw[i] : 1
    const o = i * D
    headForward(head, D, C, 0, X, o, NO_ADAPTER_STATE, hp, z, p)
    if (Pout) for (let c = 0; c < C; c++) Pout[i * C + c] = p[c]
    if (w === 0) continue
    f += (crossEntropy(p, labels[i]) * w) / N
    if (grad) {
      for (let c = 0; c < C; c++) {
        const rc = ((p[c] - (c === labels[i] ? 1 : 0)) * w) / N
        for (let j = 0; j < D; j++) grad[c * P + j] += rc * X[o + j]
        grad[c * P + D] += rc
      }
    }
  }
  let reg = 0
  for (let k = 0; k < C * P; k++) {
    reg += W[k] * W[k]
    if (grad) grad[k] += lambda * W[k]
  }
  return f + 0.5 * lambda * reg
}

/**
 * Exact L2-regularised softmax regression over fixed features (N×D, bias appended), by Newton's
 * method with a dense Hessian and backtracking line search: converges to machine precision, which
 * makes leave-one-out differences meaningful.
 */
export function trainSoftmaxHead(
  X: Float32Array,
  N: number,
  D: number,
  C: number,
  labels: Int32Array,
  opts: HeadTrainOptions,
): HeadTrainResult {
  const P = D + 1
  const n = C * P
  if (X.length !== N * D) throw new AttributionInputError(`features have ${X.length} values, expected N×D = ${N * D}`)
  if (labels.length !== N) throw new AttributionInputError(`labels has ${labels.length} entries, expected ${N}`)
  if (!(opts.lambda > 0)) throw new AttributionInputError(`lambda must be positive, got ${opts.lambda}`)
  const sw = opts.sampleWeights
  const tol = opts.tol ?? 1e-10
  const maxIter = opts.maxIter ?? 100
  const W = new Float64Array(n)
  if (opts.init) W.set(opts.init)
  const grad = new Float64Array(n)
  const Pr = new Float64Array(N * C)
  const Hm = new Float64Array(n * n)
  const row = new Float64Array(P)
  const Wn = new Float64Array(n)
  let f = objectiveAndGradient(X, N, D, C, labels, sw, opts.lambda, W, grad, Pr)
  let it = 0
  let gmax = Infinity
  for (; it < maxIter; it++) {
    gmax = 0
    for (let k = 0; k < n; k++) gmax = Math.max(gmax, Math.abs(grad[k]))
    if (gmax < tol) break
    Hm.fill(0)
    for (let i = 0; i < N; i++) {
      const w = sw ? sw[i] : 1
      if (w === 0) continue
      for (let j = 0; j < D; j++) row[j] = X[i * D + j]
      row[D] = 1
      for (let a = 0; a < C; a++) {
        const pa = Pr[i * C + a]
        for (let b = 0; b <= a; b++) {
          const s = ((a === b ? pa * (1 - pa) : -pa * Pr[i * C + b]) * w) / N
          if (s === 0) continue
          for (let j = 0; j < P; j++) {
            const rj = (a * P + j) * n + b * P
            const sj = s * row[j]
            const kmax = a === b ? j : P - 1
            for (let k = 0; k <= kmax; k++) Hm[rj + k] += sj * row[k]
          }
        }
      }
    }
    for (let k = 0; k < n; k++) Hm[k * n + k] += opts.lambda
    if (!choleskyInPlace(Hm, n)) throw new AttributionInputError('Newton step failed: Hessian not positive definite')
    const d = Float64Array.from(grad)
    cholSolve(Hm, n, d)
    let gd = 0
    for (let k = 0; k < n; k++) gd += grad[k] * d[k]
    let step = 1
    let fn = f
    for (let ls = 0; ls < 40; ls++) {
      for (let k = 0; k < n; k++) Wn[k] = W[k] - step * d[k]
      fn = objectiveAndGradient(X, N, D, C, labels, sw, opts.lambda, Wn, undefined, undefined)
      if (fn <= f - 1e-4 * step * gd || step < 1e-12) break
      step *= 0.5
    }
    W.set(Wn)
    f = objectiveAndGradient(X, N, D, C, labels, sw, opts.lambda, W, grad, Pr)
  }
  return {W: Float32Array.from(W), iterations: it, gradNorm: gmax, objective: f}
}

/**
 * Full-batch gradient descent with a checkpoint every `every` steps: a stand-in for the real trainer
 * when TracIn needs checkpoints in tests and the synthetic evaluation.
 */
export function trainSoftmaxHeadGD(
  X: Float32Array,
  N: number,
  D: number,
  C: number,
  labels: Int32Array,
  opts: {lambda: number; lr: number; steps: number; every: number},
): {W: Float32Array; checkpoints: Array<{W: Float32Array; lr: number}>} {
  const P = D + 1
  const n = C * P
  const W = new Float64Array(n)
  const grad = new Float64Array(n)
  const checkpoints: Array<{W: Float32Array; lr: number}> = []
  for (let s = 1; s <= opts.steps; s++) {
    objectiveAndGradient(X, N, D, C, labels, undefined, opts.lambda, W, grad, undefined)
    for (let k = 0; k < n; k++) W[k] -= opts.lr * grad[k]
    if (s % opts.every === 0) checkpoints.push({W: Float32Array.from(W), lr: opts.lr * opts.every})
  }
  return {W: Float32Array.from(W), checkpoints}
}
