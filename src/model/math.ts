/**
 * The trainable part of a model and its closed-form gradients.
 *
 *   h  ∈ R^D   standardised encoder output (frozen)
 *   z  = A h          A: r × D
 *   h' = h + B z      B: D × r (starts at zero, so training starts from the plain head)
 *   p  = softmax(W [h'; 1])   W: C × (D + 1), bias in the last column
 *
 * With r = p − onehot(y): ∂W = r [h'; 1]ᵀ, u = W[:, :D]ᵀ r, ∂B = u zᵀ, ∂A = (Bᵀ u) hᵀ.
 * Every per-example gradient is a sum of rank-one blocks, which is what makes attribution exact.
 * Arrays are row-major Float32Array.
 */
export type Weights = {
  D: number
  C: number
  r: number
  A: Float32Array
  B: Float32Array
  W: Float32Array
}

export function zerosLike(w: Weights): Weights {
  return {D: w.D, C: w.C, r: w.r, A: new Float32Array(w.A.length), B: new Float32Array(w.B.length), W: new Float32Array(w.W.length)}
}

export function cloneWeights(w: Weights): Weights {
  return {D: w.D, C: w.C, r: w.r, A: w.A.slice(), B: w.B.slice(), W: w.W.slice()}
}

/** Scratch space for one example, reused across calls (double precision: sums stay exact enough for gradient checks). */
export class Workspace {
  readonly z: Float64Array
  readonly hp: Float64Array
  readonly logits: Float64Array
  readonly p: Float64Array
  readonly u: Float64Array
  readonly v: Float64Array
  constructor(D: number, C: number, r: number) {
    this.z = new Float64Array(r)
    this.hp = new Float64Array(D)
    this.logits = new Float64Array(C)
    this.p = new Float64Array(C)
    this.u = new Float64Array(D)
    this.v = new Float64Array(r)
  }
}

/** The trainable weights without their sizes (attribution keeps D, C and r beside them). */
export type HeadWeights = {A: Float32Array; B: Float32Array; W: Float32Array}

/** Numerically stable softmax of `z` (length C) into `out` (which may be `z` itself). */
export function softmaxInto(z: ArrayLike<number>, C: number, out: Float64Array): void {
  let m = -Infinity
  for (let c = 0; c < C; c++) if (z[c] > m) m = z[c]
  let s = 0
  for (let c = 0; c < C; c++) {
    const e = Math.exp(z[c] - m)
    out[c] = e
    s += e
  }
  for (let c = 0; c < C; c++) out[c] /= s
}

/**
 * Smallest probability a loss is taken of: −log(0) would poison every mean it enters, and 1e-30
 * (a loss of 69) is far beyond any probability a trained head gives its own label.
 */
export const MIN_PROBABILITY = 1e-30

/** Cross-entropy −log p[label] of one row of probabilities (read at `offset`). */
export function crossEntropy(p: ArrayLike<number>, label: number, offset = 0): number {
  return -Math.log(Math.max(p[offset + label], MIN_PROBABILITY))
}

/**
 * The forward pass of one encoder output h (read at `ho`): Ah = A h (r), hp = h + B Ah (D),
 * logits = W [hp; 1] (C), p = softmax(logits). Training, inference, attribution and the evaluation
 * all run this one function, so a prediction and its attribution see the same bits.
 */
export function headForward(
  w: {A: ArrayLike<number>; B: ArrayLike<number>; W: ArrayLike<number>},
  D: number,
  C: number,
  r: number,
  h: ArrayLike<number>,
  ho: number,
  Ah: Float64Array,
  hp: Float64Array,
  logits: Float64Array,
  p: Float64Array,
): void {
  const {A, B, W} = w
  for (let k = 0; k < r; k++) {
    let s = 0
    const ak = k * D
    for (let d = 0; d < D; d++) s += A[ak + d] * h[ho + d]
    Ah[k] = s
  }
  for (let d = 0; d < D; d++) {
    let s = h[ho + d]
    const bd = d * r
    for (let k = 0; k < r; k++) s += B[bd + k] * Ah[k]
    hp[d] = s
  }
  const stride = D + 1
  for (let c = 0; c < C; c++) {
    const wc = c * stride
    let s = W[wc + D]
    for (let d = 0; d < D; d++) s += W[wc + d] * hp[d]
    logits[c] = s
  }
  softmaxInto(logits, C, p)
}

/** Forward pass for row `row` of X: fills ws.z, ws.hp, ws.p; returns nothing. */
export function forwardRow(w: Weights, X: Float32Array, row: number, ws: Workspace): void {
  headForward(w, w.D, w.C, w.r, X, row * w.D, ws.z, ws.hp, ws.logits, ws.p)
}

/**
 * Mean cross-entropy over `rows` (+ l2/2 · ‖θ‖², bias excluded) and its gradient, accumulated into
 * `grads` (which is zeroed first). Returns the loss.
 */
export function lossAndGrads(
  w: Weights,
  X: Float32Array,
  y: Int32Array,
  rows: ArrayLike<number>,
  grads: Weights,
  ws: Workspace = new Workspace(w.D, w.C, w.r),
  l2 = 0,
): number {
  const {D, C, r, B, W} = w
  const gA = grads.A
  const gB = grads.B
  const gW = grads.W
  gA.fill(0)
  gB.fill(0)
  gW.fill(0)
  const {z, hp, p, u, v} = ws
  const n = rows.length
  const inv = 1 / n
  const stride = D + 1
  let loss = 0
  for (let i = 0; i < n; i++) {
    const row = rows[i]
    forwardRow(w, X, row, ws)
    const label = y[row]
    loss += crossEntropy(p, label)
    p[label] -= 1 // p is now the residual r = p − onehot(y)
    for (let d = 0; d < D; d++) u[d] = 0
    for (let c = 0; c < C; c++) {
      const rc = p[c] * inv
      if (rc === 0) continue
      const wc = c * stride
      for (let d = 0; d < D; d++) {
        gW[wc + d] += rc * hp[d]
        u[d] += W[wc + d] * rc
      }
      gW[wc + D] += rc
    }
    // u already carries the 1/n factor.
    for (let k = 0; k < r; k++) v[k] = 0
    for (let d = 0; d < D; d++) {
      const ud = u[d]
      const bd = d * r
      for (let k = 0; k < r; k++) {
        gB[bd + k] += ud * z[k]
        v[k] += B[bd + k] * ud
      }
    }
    const off = row * D
    for (let k = 0; k < r; k++) {
      const vk = v[k]
      if (vk === 0) continue
      const ak = k * D
      for (let d = 0; d < D; d++) gA[ak + d] += vk * X[off + d]
    }
  }
  loss *= inv
  if (l2 > 0) {
    let sq = 0
    for (const [t, g] of [
      [w.A, gA],
      [w.B, gB],
    ] as const) {
      for (let j = 0; j < t.length; j++) {
        sq += t[j] * t[j]
        g[j] += l2 * t[j]
      }
    }
    for (let c = 0; c < C; c++) {
      for (let d = 0; d < D; d++) {
        const j = c * stride + d
        sq += W[j] * W[j]
        gW[j] += l2 * W[j]
      }
    }
    loss += 0.5 * l2 * sq
  }
  return loss
}

/** Mean loss and accuracy over `rows`, no gradients. */
export function evaluate(w: Weights, X: Float32Array, y: Int32Array, rows: ArrayLike<number>, ws = new Workspace(w.D, w.C, w.r)) {
  let loss = 0
  let correct = 0
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]
    forwardRow(w, X, row, ws)
    const label = y[row]
    loss += crossEntropy(ws.p, label)
    let best = 0
    for (let c = 1; c < w.C; c++) if (ws.p[c] > ws.p[best]) best = c
    if (best === label) correct++
  }
  return {loss: rows.length ? loss / rows.length : NaN, accuracy: rows.length ? correct / rows.length : NaN}
}

/** AdamW (decoupled weight decay; the bias column of W is not decayed). */
export class AdamW {
  private t = 0
  private readonly m: Weights
  private readonly v: Weights
  constructor(
    w: Weights,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    this.m = zerosLike(w)
    this.v = zerosLike(w)
  }

  step(w: Weights, g: Weights, lr: number, weightDecay: number): void {
    this.t++
    const b1 = this.beta1
    const b2 = this.beta2
    const c1 = 1 / (1 - b1 ** this.t)
    const c2 = 1 / (1 - b2 ** this.t)
    const stride = w.D + 1
    for (const key of ['A', 'B', 'W'] as const) {
      const p = w[key]
      const gp = g[key]
      const m = this.m[key]
      const v = this.v[key]
      for (let j = 0; j < p.length; j++) {
        const gj = gp[j]
        m[j] = b1 * m[j] + (1 - b1) * gj
        v[j] = b2 * v[j] + (1 - b2) * gj * gj
        const decay = key === 'W' && j % stride === w.D ? 0 : weightDecay
        p[j] -= lr * ((m[j] * c1) / (Math.sqrt(v[j] * c2) + this.eps) + decay * p[j])
      }
    }
  }
}
