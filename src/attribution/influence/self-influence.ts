import {AttributionTooLargeError} from '../errors.js'
import {featureRow, type Attributor} from './attributor.js'
import type {HeadHessian} from './head-hessian.js'

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

/** L⁻¹ of a lower-triangular n×n factor, row-major, in float32 (the precision MatMul runs in). */
function inverseLowerF32(L: Float64Array, n: number): Float32Array {
  const inv = new Float64Array(n * n)
  // Column j of L⁻¹ solves L x = e_j; x is zero above j. Row-major writes, one column at a time.
  const x = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    x.fill(0, j)
    for (let i = j; i < n; i++) {
      const ri = i * n
      let s = i === j ? 1 : 0
      for (let k = j; k < i; k++) s -= L[ri + k] * x[k]
      x[i] = s / L[ri + i]
      inv[ri + j] = x[i]
    }
  }
  return Float32Array.from(inv)
}

/** Records per MatMul: 1024 gradients of C·(D+1) values, about 6 MB each way. */
const SELF_CHUNK = 1024

/**
 * selfInfluence through ONNX Runtime's MatMul, as queries run: L⁻¹ is formed once (n³/6), then
 * every chunk of records' gradients g_i = res_i ⊗ x̂_i goes through one product L⁻¹ Gᵀ, vectorised
 * and multi-threaded where the per-record triangular solve is scalar. Float32 products: the scores
 * agree with selfInfluence to about 1e-5 relative, which leaves the ranking as it was.
 */
export async function selfInfluenceBatched(att: Attributor, Hf: HeadHessian, chunk = SELF_CHUNK): Promise<Float64Array> {
  const {N, D, C} = att.input
  const P = D + 1
  const n = C * P
  if (Hf.kind !== 'dense') return selfInfluence(att, Hf) // throws the same one-line error
  const {RowMatmul} = await import('../row-matmul.js')
  const mm = await RowMatmul.create(inverseLowerF32(Hf.L, n), n, n)
  try {
    const out = new Float64Array(N)
    const row = new Float64Array(P)
    const Res = att.final.Res
    const G = new Float64Array(Math.min(chunk, N) * n)
    for (let s = 0; s < N; s += chunk) {
      const B = Math.min(chunk, N - s)
      for (let b = 0; b < B; b++) {
        featureRow(att, s + b, row)
        const o = b * n
        for (let c = 0; c < C; c++) {
          const rc = Res[(s + b) * C + c]
          for (let j = 0; j < P; j++) G[o + c * P + j] = rc * row[j]
        }
      }
      // Y (n×B): column b is L⁻¹ g_{s+b}; its squared norm is the record's score.
      const Y = await mm.run(B === G.length / n ? G : G.subarray(0, B * n), B)
      for (let k = 0; k < n; k++) {
        const o = k * B
        for (let b = 0; b < B; b++) out[s + b] += Y[o + b] * Y[o + b]
      }
    }
    return out
  } finally {
    await mm.dispose()
  }
}
