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
