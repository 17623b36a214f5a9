import {ensureCheckpoints, type Attributor} from './attributor.js'
import type {GradientOptions} from './gradient-dot.js'

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
