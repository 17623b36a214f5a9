// DataInf and TracIn on stored gradients, checked against the formulas computed the slow way:
// DataInf's (1/n) Σ_i (λI + g_i g_iᵀ)⁻¹ formed and inverted explicitly per layer.
import {describe, expect, it} from 'vitest'

import {
  type GradientSet,
  type QueryGradient,
  datainfScores,
  datainfSelfInfluence,
  layerDamping,
  projectLayer,
  tracinScores,
  tracinSelfInfluence,
} from '../../src/attribution/generative/index.js'
import {createRandom} from '../../src/model/prng.js'

const g = createRandom(11).gauss
const randomSet = (n: number, dims: number[]): GradientSet => ({
  records: n,
  layers: dims.map((dim, j) => ({name: `layer${j}`, dim, rows: Float32Array.from({length: n * dim}, () => g() * (j + 1))})),
})
const randomQuery = (dims: number[]): QueryGradient => dims.map((d) => Float32Array.from({length: d}, () => g()))

/** Gauss–Jordan inverse with partial pivoting, in float64. */
function inverse(M: number[][]): number[][] {
  const n = M.length
  const A = M.map((row, i) => [...row, ...Array.from({length: n}, (_, j) => (i === j ? 1 : 0))])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r
    ;[A[c], A[p]] = [A[p], A[c]]
    const piv = A[c][c]
    for (let j = 0; j < 2 * n; j++) A[c][j] /= piv
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = A[r][c]
      for (let j = 0; j < 2 * n; j++) A[r][j] -= f * A[c][j]
    }
  }
  return A.map((row) => row.slice(n))
}

/** Per layer M_l = (1/n) Σ_i (λ_l I + g_il g_ilᵀ)⁻¹ with λ_l = 0.1 · mean_i ‖g_il‖² / d_l. */
function bruteInverseHessians(set: GradientSet): number[][][] {
  return set.layers.map((l) => {
    const d = l.dim
    const rows = Array.from({length: set.records}, (_, i) => Array.from(l.rows.subarray(i * d, (i + 1) * d)))
    const lambda = (0.1 * rows.reduce((s, r) => s + r.reduce((a, x) => a + x * x, 0), 0)) / set.records / d
    const M = Array.from({length: d}, () => new Array<number>(d).fill(0))
    for (const r of rows) {
      const inv = inverse(Array.from({length: d}, (_, a) => Array.from({length: d}, (_, b) => (a === b ? lambda : 0) + r[a] * r[b])))
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) M[a][b] += inv[a][b] / set.records
    }
    return M
  })
}

const quad = (u: ArrayLike<number>, M: number[][], w: ArrayLike<number>) =>
  M.reduce((s, row, a) => s + u[a] * row.reduce((t, m, b) => t + m * w[b], 0), 0)
const row = (set: GradientSet, j: number, i: number) => set.layers[j].rows.subarray(i * set.layers[j].dim, (i + 1) * set.layers[j].dim)
const expectClose = (got: ArrayLike<number>, want: number[], rel: number) => {
  const scale = Math.max(...want.map(Math.abs))
  want.forEach((w, i) => expect(Math.abs(got[i] - w) / scale).toBeLessThan(rel))
}

describe('generative attribution scores', () => {
  const dims = [5, 3, 7]
  const n = 9
  const set = randomSet(n, dims)
  const v = randomQuery(dims)

  it('DataInf equals the explicit per-layer inverse formula (to 1e-9 relative)', () => {
    const Ms = bruteInverseHessians(set)
    const want = Array.from({length: n}, (_, k) => dims.reduce((s, _, j) => s + quad(v[j], Ms[j], row(set, j, k)), 0))
    expectClose(datainfScores(set, v), want, 1e-9)
    expect(layerDamping(set.layers[1], n).lambda).toBeCloseTo(
      (0.1 * Array.from(set.layers[1].rows).reduce((a, x) => a + x * x, 0)) / n / 3,
      12,
    )
  })

  it('DataInf self-influence equals g_kᵀ M g_k (to 1e-9 relative)', () => {
    const Ms = bruteInverseHessians(set)
    const want = Array.from({length: n}, (_, k) => dims.reduce((s, _, j) => s + quad(row(set, j, k), Ms[j], row(set, j, k)), 0))
    expectClose(datainfSelfInfluence(set), want, 1e-9)
  })

  it('TracIn is Σ over checkpoints of lr·⟨g_i, g_test⟩ (to 1e-9 relative), self-influence Σ lr‖g_i‖²', () => {
    const sets = [randomSet(n, dims), randomSet(n, dims), set]
    const lrs = [3e-3, 2e-3, 5e-4]
    const qs = [randomQuery(dims), randomQuery(dims), v]
    const dotAll = (c: number, i: number, q: QueryGradient) =>
      dims.reduce((s, d, j) => s + Array.from(row(sets[c], j, i)).reduce((t, x, a) => t + x * q[j][a], 0), 0)
    const want = Array.from({length: n}, (_, i) => sets.reduce((s, _, c) => s + lrs[c] * dotAll(c, i, qs[c]), 0))
    const ckpts = sets.map((s, c) => ({set: s, lr: lrs[c]}))
    expectClose(tracinScores(ckpts, qs), want, 1e-9)
    const wantSelf = Array.from({length: n}, (_, i) =>
      sets.reduce(
        (s, _, c) =>
          s +
          lrs[c] *
            dotAll(
              c,
              i,
              dims.map((_, j) => row(sets[c], j, i)),
            ),
        0,
      ),
    )
    expectClose(tracinSelfInfluence(ckpts), wantSelf, 1e-9)
  })

  it('a proponent (the query itself among the records) ranks first under both methods', () => {
    const s2 = randomSet(n, dims)
    dims.forEach((d, j) => s2.layers[j].rows.set(v[j], 4 * d))
    const di = datainfScores(s2, v)
    const tr = tracinScores([{set: s2, lr: 1e-3}], [v])
    expect(di.indexOf(Math.max(...di))).toBe(4)
    expect(tr.indexOf(Math.max(...tr))).toBe(4)
  })

  it('mismatched shapes are one clear line', () => {
    expect(() => datainfScores(set, [v[0], v[1]])).toThrow('the query has 2 gradient layers, the stored gradients 3')
    expect(() => datainfScores(set, [v[0], v[2], v[1]])).toThrow('layer layer1: the query gradient has 7 values, the stored ones 3')
    expect(() => tracinScores([], [])).toThrow('TracIn needs at least one checkpoint')
  })

  it('the seeded projection is deterministic and keeps inner products on average (JL)', () => {
    const d = 2000
    const x = Float32Array.from({length: d}, () => g())
    const y = Float32Array.from({length: d}, (_, i) => 0.6 * x[i] + 0.8 * g())
    const p = {dim: 512, seed: 7}
    const px = projectLayer(p, 'a', x)
    expect(px.length).toBe(512)
    expect(Array.from(projectLayer(p, 'a', x))).toEqual(Array.from(px))
    expect(Array.from(projectLayer(p, 'b', x))).not.toEqual(Array.from(px))
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, t, i) => s + t * b[i], 0)
    const exact = dot(x, y) / Math.sqrt(dot(x, x) * dot(y, y))
    const sketched = dot(px, projectLayer(p, 'a', y)) / Math.sqrt(dot(px, px) * dot(projectLayer(p, 'a', y), projectLayer(p, 'a', y)))
    // JL: the cosine moves by O(1/√k) ≈ 0.044 at k = 512.
    expect(Math.abs(sketched - exact)).toBeLessThan(0.15)
    expect(projectLayer(p, 'small', x.subarray(0, 100))).toHaveLength(100)
  })
})
