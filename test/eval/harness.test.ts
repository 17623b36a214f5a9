import {describe, expect, it} from 'vitest'

import {linearDatamodelingScore, looCorrelation, mislabelAuc, topKRemoval} from '../../eval/harness.js'
import {headOnlySetup} from '../../eval/synthetic-report.js'
import {flipLabels, gaussianClusters} from '../../eval/synthetic.js'
import {trainSoftmaxHead} from '../../eval/head-trainer.js'
import {createAttributor, factorHeadHessian, gradDotScores, headInfluenceScores} from '../../src/attribution/influence.js'
import {predictProba} from '../../src/attribution/model.js'

const N = 200
const D = 12
const C = 3
const lambda = 0.01
const data = gaussianClusters({N: N + 8, D, C, seed: 5})
const H = data.H.slice(0, N * D)
const labels = data.labels.slice(0, N)
const tests = Array.from({length: 8}, (_, t) => {
  const h = data.H.slice((N + t) * D, (N + t + 1) * D)
  const p = predictProba({A: new Float32Array(0), B: new Float32Array(0), W: trainSoftmaxHead(H, N, D, C, labels, {lambda}).W}, D, C, 0, h)
  return {h, label: p.indexOf(Math.max(...p))}
})

describe('exact head trainer', () => {
  it('converges to a stationary point (gradient below 1e-10)', () => {
    const r = trainSoftmaxHead(H, N, D, C, labels, {lambda})
    expect(r.gradNorm).toBeLessThan(1e-10)
  })
})

describe('influence against true retrains', () => {
  const {input, retrain} = headOnlySetup(H, N, D, C, labels, lambda, false)
  const att = createAttributor(input)
  const Hf = factorHeadHessian(att)
  const records = Int32Array.from({length: 25}, (_, k) => k * 8)

  it('head IF correlates ≥ 0.95 with leave-one-out retrains; grad-dot does worse', async () => {
    const ifr = await looCorrelation({att, retrain, tests: tests.slice(0, 4), records, score: (a, q) => headInfluenceScores(a, Hf, q)})
    expect(ifr.pearson).toBeGreaterThan(0.95)
    const gd = await looCorrelation({att, retrain, tests: tests.slice(0, 4), records, score: (a, q) => gradDotScores(a, q)})
    expect(gd.pearson).toBeLessThan(ifr.pearson)
  })

  it('LDS of the head IF is high (m = 20, α = 0.5)', async () => {
    const r = await linearDatamodelingScore({att, retrain, tests: tests.slice(0, 4), score: (a, q) => headInfluenceScores(a, Hf, q), m: 20})
    expect(r.lds).toBeGreaterThan(0.7)
  })

  it('removing the top-10 proponents lowers the answer more than removing 10 random records', async () => {
    const r = await topKRemoval({att, retrain, tests: tests.slice(0, 6), score: (a, q) => headInfluenceScores(a, Hf, q), k: 10})
    expect(r.wins).toBeGreaterThanOrEqual(5)
    expect(r.meanDropTop).toBeGreaterThan(r.meanDropRandom)
  })
})

describe('mislabel detection', () => {
  it('self-influence ranks flipped labels high (AUC ≥ 0.9)', () => {
    const flip = flipLabels(labels, C, 0.1, 3)
    expect(flip.flipped.reduce((a, b) => a + b, 0)).toBe(20)
    for (let i = 0; i < N; i++) expect(flip.flipped[i] === 1).toBe(flip.labels[i] !== labels[i])
    const {input} = headOnlySetup(H, N, D, C, flip.labels, lambda, false)
    const {auc} = mislabelAuc(createAttributor(input), flip.flipped)
    expect(auc).toBeGreaterThan(0.9)
  })
})
