import {describe, expect, it} from 'vitest'

import {DEFAULT_HYPERPARAMETERS, fit, initWeights} from '../../src/model/fit.js'
import {Workspace, type Weights, evaluate, lossAndGrads, zerosLike} from '../../src/model/math.js'
import {gaussian, sfc32} from '../../src/model/prng.js'

function randomProblem(n: number, D: number, C: number, r: number, seed: number) {
  const normal = gaussian(sfc32(seed))
  const X = Float32Array.from({length: n * D}, normal)
  const y = Int32Array.from({length: n}, (_, i) => i % C)
  const w: Weights = initWeights(D, C, r, seed)
  // Non-zero B and W so every gradient block is exercised.
  for (let j = 0; j < w.B.length; j++) w.B[j] = normal() * 0.3
  for (let j = 0; j < w.W.length; j++) w.W[j] = normal() * 0.3
  return {X, y, w}
}

function lossOnly(w: Weights, X: Float32Array, y: Int32Array, rows: number[], l2: number): number {
  return lossAndGrads(w, X, y, rows, zerosLike(w), new Workspace(w.D, w.C, w.r), l2)
}

describe('closed-form gradients', () => {
  for (const l2 of [0, 0.05]) {
    it(`match central finite differences for A, B and W (l2 = ${l2})`, () => {
      const {X, y, w} = randomProblem(7, 6, 4, 3, 11)
      const rows = [0, 1, 2, 3, 4, 5, 6]
      const g = zerosLike(w)
      lossAndGrads(w, X, y, rows, g, undefined, l2)
      const eps = 1e-3
      let checked = 0
      for (const key of ['A', 'B', 'W'] as const) {
        for (let j = 0; j < w[key].length; j++) {
          const orig = w[key][j]
          // Weights are float32: divide by the step actually taken, not the one asked for.
          w[key][j] = orig + eps
          const hi = w[key][j]
          const up = lossOnly(w, X, y, rows, l2)
          w[key][j] = orig - eps
          const lo = w[key][j]
          const down = lossOnly(w, X, y, rows, l2)
          w[key][j] = orig
          const fd = (up - down) / (hi - lo)
          expect(Math.abs(fd - g[key][j]), `${key}[${j}] fd ${fd} vs ${g[key][j]}`).toBeLessThan(1e-5 + 1e-4 * Math.abs(fd))
          checked++
        }
      }
      expect(checked).toBe(3 * 6 + 6 * 3 + 4 * 7)
    })
  }

  it('gives a zero A-gradient while B is zero (the adapter starts as the identity)', () => {
    const {X, y} = randomProblem(5, 4, 3, 2, 3)
    const w = initWeights(4, 3, 2, 3)
    w.W.fill(0.1)
    const g = zerosLike(w)
    lossAndGrads(w, X, y, [0, 1, 2, 3, 4], g)
    expect(g.A.every((v) => v === 0)).toBe(true)
    expect(g.B.some((v) => v !== 0)).toBe(true)
  })
})

describe('fit', () => {
  function separable(n: number, D: number, C: number) {
    const normal = gaussian(sfc32(5))
    const centers = Float32Array.from({length: C * D}, normal)
    const X = new Float32Array(n * D)
    const y = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      y[i] = i % C
      for (let d = 0; d < D; d++) X[i * D + d] = centers[y[i] * D + d] + 0.8 * normal()
    }
    const rowKeys = Uint32Array.from({length: n}, (_, i) => (i * 2654435761) >>> 0)
    const valRows = Int32Array.from({length: n}, (_, i) => i).filter((i) => i % 5 === 0)
    const trainRows = Int32Array.from({length: n}, (_, i) => i).filter((i) => i % 5 !== 0)
    return {X, D, y, C, rowKeys, trainRows, valRows}
  }

  it('reduces the loss and learns a separable problem', async () => {
    const input = separable(400, 12, 3)
    const r = await fit(input, {...DEFAULT_HYPERPARAMETERS, num_train_epochs: 15, learning_rate: 0.01})
    expect(r.epochs[0].trainLoss).toBeGreaterThan(r.epochs[r.epochs.length - 1].trainLoss)
    expect(r.epochs[r.epochs.length - 1].trainLoss).toBeLessThan(0.5 * Math.log(3))
    expect(evaluate(r.weights, input.X, input.y, input.valRows).accuracy).toBeGreaterThan(0.9)
    expect(r.checkpoints.map((c) => c.epoch)).toEqual(r.epochs.map((e) => e.epoch))
  })

  it('is deterministic under a seed and changes with it', async () => {
    const input = separable(200, 8, 4)
    const hp = {...DEFAULT_HYPERPARAMETERS, num_train_epochs: 4}
    const a = await fit(input, hp)
    const b = await fit(input, hp)
    const c = await fit(input, {...hp, seed: 7})
    expect(Buffer.from(a.weights.W.buffer).equals(Buffer.from(b.weights.W.buffer))).toBe(true)
    expect(Buffer.from(a.weights.A.buffer).equals(Buffer.from(b.weights.A.buffer))).toBe(true)
    expect(a.epochs.map((e) => e.trainLoss)).toEqual(b.epochs.map((e) => e.trainLoss))
    expect(Buffer.from(a.weights.A.buffer).equals(Buffer.from(c.weights.A.buffer))).toBe(false)
  })

  it('stops early when the validation loss stops improving and keeps the best epoch', async () => {
    const input = separable(120, 30, 3)
    // Labels scrambled on validation rows: validation loss can only get worse as training fits.
    for (const i of input.valRows) input.y[i] = (input.y[i] + 1) % 3
    const r = await fit(input, {...DEFAULT_HYPERPARAMETERS, num_train_epochs: 50, learning_rate: 0.05, early_stopping_patience: 2})
    expect(r.stoppedEarly).toBe(true)
    expect(r.epochs.length).toBeLessThan(50)
    const best = Math.min(...r.epochs.map((e) => e.valLoss!))
    expect(r.epochs.find((e) => e.epoch === r.bestEpoch)!.valLoss).toBe(best)
  })
})
