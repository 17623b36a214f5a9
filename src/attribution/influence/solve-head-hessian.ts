import {cholSolve} from '../linalg.js'
import {featureRow, type Attributor} from './attributor.js'
import type {HeadHessian} from './head-hessian.js'

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
