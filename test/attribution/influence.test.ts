import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  createAttributor,
  factorHeadHessian,
  gradDotScores,
  headHessianVector,
  headInfluenceScores,
  loadHeadHessian,
  loadOrFactorHeadHessian,
  representerResidual,
  representerScores,
  selfInfluence,
  selfInfluenceBatched,
  selfTracIn,
  tracInScores,
} from '../../src/attribution/influence.js'
import {createRandom} from '../../src/model/prng.js'
import {SafetensorsFile} from '../../src/model/safetensors.js'
import {predictProba} from '../../src/attribution/model.js'
import {trainSoftmaxHead} from '../../eval/head-trainer.js'
import {OpenledgerError} from '../../src/errors.js'
import {denseGradient, dotAll, gaussSolve, loss, randomArray, randomInput} from './helpers.js'

function predicted(p: Float64Array): number {
  let y = 0
  for (let c = 1; c < p.length; c++) if (p[c] > p[y]) y = c
  return y
}

describe('closed-form gradients', () => {
  it('match central finite differences of the loss', () => {
    const input = randomInput(3, 1, 5, 3, 2, 0)
    const {D, C, r} = input
    const h = input.H.subarray(0, D)
    const g = denseGradient(input, D, C, r, h, 1)
    const w = {A: Float64Array.from(input.A), B: Float64Array.from(input.B), W: Float64Array.from(input.W)}
    const blocks = [w.W, w.B, w.A]
    let off = 0
    const eps = 1e-6
    for (const blk of blocks) {
      for (let k = 0; k < blk.length; k++) {
        const v = blk[k]
        blk[k] = v + eps
        const fp = loss(w, D, C, r, h, 1)
        blk[k] = v - eps
        const fm = loss(w, D, C, r, h, 1)
        blk[k] = v
        expect((fp - fm) / (2 * eps)).toBeCloseTo(g[off + k], 5)
      }
      off += blk.length
    }
  })
})

describe('factored gradient dot products', () => {
  for (const [N, D, C, r] of [
    [7, 6, 3, 2],
    [5, 9, 4, 0],
    [6, 4, 2, 3],
  ]) {
    it(`equal explicit dense gradient dots (N=${N}, D=${D}, C=${C}, r=${r})`, () => {
      const input = randomInput(N * 31 + D, N, D, C, r)
      const att = createAttributor(input)
      const g = createRandom(99)
      const h = randomArray(g, D, 0.7)
      const scores = gradDotScores(att, {h})
      const y = predicted(predictProba(input, D, C, r, h))
      const gt = denseGradient(input, D, C, r, h, y)
      const head = gradDotScores(att, {h}, {blocks: 'head'})
      for (let i = 0; i < N; i++) {
        const gi = denseGradient(input, D, C, r, input.H.subarray(i * D, (i + 1) * D), input.labels[i])
        expect(scores[i]).toBeCloseTo(dotAll(gi, gt), 4)
        expect(head[i]).toBeCloseTo(dotAll(gi, gt, C * (D + 1)), 4)
      }
    })
  }

  it('TracIn is the lr-weighted sum over checkpoints, with the label fixed by the final model', () => {
    const input = randomInput(11, 8, 5, 3, 2, 4)
    const {D, C, r} = input
    const att = createAttributor(input)
    const h = randomArray(createRandom(5), D, 0.7)
    const y = predicted(predictProba(input, D, C, r, h))
    const scores = tracInScores(att, {h})
    for (let i = 0; i < input.N; i++) {
      let want = 0
      for (const ck of input.checkpoints) {
        const gi = denseGradient(ck, D, C, r, input.H.subarray(i * D, (i + 1) * D), input.labels[i])
        want += ck.lr * dotAll(gi, denseGradient(ck, D, C, r, h, y))
      }
      expect(scores[i]).toBeCloseTo(want, 4)
    }
    const self = selfTracIn(att)
    for (let i = 0; i < input.N; i++) {
      let want = 0
      for (const ck of input.checkpoints) {
        const gi = denseGradient(ck, D, C, r, input.H.subarray(i * D, (i + 1) * D), input.labels[i])
        want += ck.lr * dotAll(gi, gi)
      }
      expect(self[i]).toBeCloseTo(want, 4)
    }
  })
})

/** The damped head Hessian built term by term from its definition. */
function explicitHessian(input: ReturnType<typeof randomInput>, damping: number): Float64Array {
  const {N, D, C, r} = input
  const P = D + 1
  const n = C * P
  const M = new Float64Array(n * n)
  for (let i = 0; i < N; i++) {
    const h = input.H.subarray(i * D, (i + 1) * D)
    const Ah = new Float64Array(r)
    for (let k = 0; k < r; k++) for (let j = 0; j < D; j++) Ah[k] += input.A[k * D + j] * h[j]
    const x = new Float64Array(P)
    for (let j = 0; j < D; j++) {
      x[j] = h[j]
      for (let k = 0; k < r; k++) x[j] += input.B[j * r + k] * Ah[k]
    }
    x[D] = 1
    const p = predictProba(input, D, C, r, h)
    for (let a = 0; a < C; a++)
      for (let b = 0; b < C; b++) {
        const s = (a === b ? p[a] : 0) - p[a] * p[b]
        for (let j = 0; j < P; j++) for (let k = 0; k < P; k++) M[(a * P + j) * n + b * P + k] += (s * x[j] * x[k]) / N
      }
  }
  for (let k = 0; k < n; k++) M[k * n + k] += damping
  return M
}

describe('head influence function', () => {
  const input = randomInput(21, 40, 6, 3, 2)
  const {D, C, r} = input
  const P = D + 1
  const n = C * P
  const att = createAttributor(input)
  const damping = 0.05
  const M = explicitHessian(input, damping)
  const h = randomArray(createRandom(8), D, 0.7)
  const y = predicted(predictProba(input, D, C, r, h))
  const gt = denseGradient(input, D, C, r, h, y).subarray(0, n)
  const want = Array.from({length: input.N}, (_, i) => {
    const gi = denseGradient(input, D, C, r, input.H.subarray(i * D, (i + 1) * D), input.labels[i]).subarray(0, n)
    return dotAll(gt, gaussSolve(M, n, Float64Array.from(gi)))
  })

  it('dense Cholesky path equals g_tᵀ H⁻¹ g_i with the explicit dense Hessian', () => {
    const Hf = factorHeadHessian(att, {damping})
    expect(Hf.kind).toBe('dense')
    const s = headInfluenceScores(att, Hf, {h})
    for (let i = 0; i < input.N; i++) expect(s[i]).toBeCloseTo(want[i], 6)
  })

  it('matrix-free CG path agrees with the dense one', () => {
    const Hf = factorHeadHessian(att, {damping, mode: 'cg', cgTol: 1e-12})
    expect(Hf.kind).toBe('cg')
    const s = headInfluenceScores(att, Hf, {h})
    for (let i = 0; i < input.N; i++) expect(s[i]).toBeCloseTo(want[i], 5)
    const v = Float64Array.from({length: n}, (_, k) => Math.sin(k))
    const hv = headHessianVector(att, damping, v)
    for (let k = 0; k < n; k++) {
      let e = 0
      for (let l = 0; l < n; l++) e += M[k * n + l] * v[l]
      // Probabilities are stored in float32 (relative precision 6e-8), so agreement is to ~1e-7.
      expect(hv[k]).toBeCloseTo(e, 7)
    }
  })

  it('self-influence equals g_iᵀ H⁻¹ g_i', () => {
    const si = selfInfluence(att, factorHeadHessian(att, {damping}))
    for (let i = 0; i < input.N; i += 7) {
      const gi = denseGradient(input, D, C, r, input.H.subarray(i * D, (i + 1) * D), input.labels[i]).subarray(0, n)
      const e = dotAll(gi, gaussSolve(M, n, Float64Array.from(gi)))
      expect(Math.abs(si[i] - e)).toBeLessThan(1e-6 * Math.abs(e))
    }
  })

  it('self-influence through the batched MatMul path agrees with the per-record solve', async () => {
    const Hf = factorHeadHessian(att, {damping})
    const exact = selfInfluence(att, Hf)
    // One chunk, and chunks that do not divide N.
    for (const chunk of [1024, 7]) {
      const batched = await selfInfluenceBatched(att, Hf, chunk)
      expect(batched).toHaveLength(exact.length)
      for (let i = 0; i < exact.length; i++) expect(Math.abs(batched[i] - exact[i])).toBeLessThan(1e-4 * Math.abs(exact[i]) + 1e-9)
    }
  })

  it('caches the factor as safetensors under a key and reloads it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'olhf-'))
    try {
      const path = join(dir, 'head.hessian.safetensors')
      const a = loadOrFactorHeadHessian(att, path, {damping})
      const file = SafetensorsFile.open(path)
      expect(file.metadata).toMatchObject({format: 'openledger-head-hessian', key: a.key, damping: String(damping)})
      expect(file.info('L')).toMatchObject({dtype: 'F64', shape: [n, n]})
      file.close()
      const b = loadOrFactorHeadHessian(att, path, {damping})
      expect(a.kind === 'dense' && b.kind === 'dense').toBe(true)
      if (a.kind === 'dense' && b.kind === 'dense') expect(Array.from(b.L)).toEqual(Array.from(a.L))
      expect(loadHeadHessian(path, 'another-key')).toBeUndefined()
      // A file in another format is a miss (rebuilt), not an error.
      writeFileSync(path, 'OLHF not safetensors')
      expect(loadHeadHessian(path, a.key!)).toBeUndefined()
      expect(Array.from(headInfluenceScores(att, b, {h}))).toEqual(Array.from(headInfluenceScores(att, a, {h})))
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('representer decomposition', () => {
  it('sums exactly to the logit at the stationary point of the regularised head', () => {
    const g = createRandom(4)
    const N = 120
    const D = 5
    const C = 3
    const H = randomArray(g, N * D, 1)
    const labels = Int32Array.from({length: N}, () => g.int(C))
    const lambda = 0.05
    const {W} = trainSoftmaxHead(H, N, D, C, labels, {lambda})
    const att = createAttributor({N, D, C, r: 0, H, labels, A: new Float32Array(0), B: new Float32Array(0), W, checkpoints: [], l2: lambda})
    expect(representerResidual(att, lambda)).toBeLessThan(1e-5)
    const h = randomArray(g, D, 1)
    const s = representerScores(att, {h, label: 2}, lambda)
    let logit = W[2 * (D + 1) + D]
    for (let j = 0; j < D; j++) logit += W[2 * (D + 1) + j] * h[j]
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(logit, 5)
  })
})

describe('bad input', () => {
  const base = randomInput(1, 4, 3, 2, 1, 0)
  const expectError = (fn: () => unknown, code: string, re: RegExp) => {
    try {
      fn()
    } catch (err) {
      expect(err).toBeInstanceOf(OpenledgerError)
      expect((err as OpenledgerError).code).toBe(code)
      expect((err as OpenledgerError).shortMessage).toMatch(re)
      expect((err as OpenledgerError).shortMessage).not.toContain('\n')
      return
    }
    throw new Error('expected an error')
  }
  it('refuses TracIn without checkpoints', () => {
    const att = createAttributor(base)
    expectError(() => tracInScores(att, {h: new Float32Array(3)}), 'E_ATTRIBUTION_NO_CHECKPOINTS', /no checkpoints/)
  })
  it('names the mismatched dimension', () => {
    expectError(
      () => createAttributor({...base, H: new Float32Array(11)}),
      'E_ATTRIBUTION_INPUT',
      /H has 11 values, expected N×D = 4×3 = 12/,
    )
    expectError(() => createAttributor({...base, W: new Float32Array(5)}), 'E_ATTRIBUTION_INPUT', /W has 5 values/)
    expectError(() => createAttributor({...base, labels: Int32Array.of(0, 1, 5, 0)}), 'E_ATTRIBUTION_INPUT', /label of record 2 is 5/)
    expectError(() => createAttributor({...base, N: 0, H: new Float32Array(0), labels: new Int32Array(0)}), 'E_ATTRIBUTION_INPUT', /empty/)
    const att = createAttributor(base)
    expectError(() => gradDotScores(att, {h: new Float32Array(4)}), 'E_ATTRIBUTION_INPUT', /query vector has 4 values, expected D = 3/)
    expectError(
      () => createAttributor({...base, H: Float32Array.from({length: 12}, (_, i) => (i === 5 ? Number.NaN : 0))}),
      'E_ATTRIBUTION_INPUT',
      /H\[5\] is not a finite/,
    )
  })
})
