import {describe, expect, it} from 'vitest'

import {GraphBuilder, DT} from '../../scripts/lib/onnx-builder.js'
import {createAttributor, factorHeadHessian, headInfluenceScores, headInfluenceScoresBatch} from '../../src/attribution/influence.js'
import {createRandom} from '../../src/model/prng.js'
import {MATMUL_MODEL_B64, RowMatmul} from '../../src/attribution/row-matmul.js'
import {randomArray, randomInput} from './helpers.js'

describe('influence queries through ONNX Runtime', () => {
  it('embeds exactly the MatMul graph that onnx-proto builds', () => {
    const g = new GraphBuilder()
    g.input('H', DT.FLOAT, ['N', 'D'])
    g.input('Q', DT.FLOAT, ['D', 'M'])
    g.op('MatMul', ['H', 'Q'], {}, 'Y')
    g.output('Y', DT.FLOAT, ['N', 'M'])
    expect(Buffer.from(g.build()).toString('base64')).toBe(MATMUL_MODEL_B64)
  })

  it('gives the same scores as the plain-JS pass, for several queries at once', async () => {
    const N = 400
    const D = 24
    const C = 4
    const r = 3
    const input = randomInput(11, N, D, C, r)
    const att = createAttributor(input)
    const Hf = factorHeadHessian(att, {damping: 0.05})
    const mm = await RowMatmul.create(input.H, N, D)
    try {
      const g = createRandom(5)
      const queries = [1, 2, 3].map(() => ({h: randomArray(g, D)}))
      const batch = await headInfluenceScoresBatch(att, Hf, queries, mm)
      expect(batch).toHaveLength(3)
      queries.forEach((q, k) => {
        const plain = headInfluenceScores(att, Hf, q)
        const scale = Math.max(...plain.map(Math.abs))
        for (let i = 0; i < N; i++) expect(Math.abs(batch[k][i] - plain[i])).toBeLessThan(1e-4 * scale + 1e-9)
      })
      // Different queries give different scores (the batch does not repeat one query).
      expect(batch[0][0]).not.toBeCloseTo(batch[1][0], 6)
    } finally {
      await mm.dispose()
    }
  })
})
