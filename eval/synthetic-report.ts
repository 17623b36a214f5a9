import {pathToFileURL} from 'node:url'

import {
  createAttributor,
  factorHeadHessian,
  gradDotScores,
  headInfluenceScores,
  representerScores,
  selfInfluence,
  selfTracIn,
  tracInScores,
  type Attributor,
} from '../src/attribution/influence.js'
import {predictProba} from '../src/attribution/model.js'
import type {AttributionInput} from '../src/attribution/types.js'
import {crossEntropy} from '../src/model/math.js'
import {
  linearDatamodelingScore,
  looCorrelation,
  sharedRetrains,
  topKRemoval,
  type LabelledQuery,
  type RetrainFn,
  type ScoreFn,
} from './harness.js'
import {flipLabels, gaussianClusters} from './synthetic.js'
import {trainSoftmaxHead, trainSoftmaxHeadGD} from './head-trainer.js'
import {rocAuc} from './metrics.js'

export type SyntheticEvalOptions = {
  N: number
  D: number
  C: number
  seed: number
  lambda: number
  looRecords: number
  looTests: number
  ldsSubsets: number
  ldsTests: number
  topK: number
  topKTests: number
  flipFraction: number
}

export const defaultSyntheticEval: SyntheticEvalOptions = {
  N: 600,
  D: 64,
  C: 4,
  seed: 1,
  lambda: 1e-2,
  looRecords: 60,
  looTests: 10,
  ldsSubsets: 50,
  ldsTests: 10,
  topK: 20,
  topKTests: 20,
  flipFraction: 0.1,
}

export type SyntheticEvalReport = {
  options: SyntheticEvalOptions
  trainAccuracy: number
  testAccuracy: number
  loo: Record<string, {pearson: number; meanPerTest: number}>
  lds: Record<string, number>
  mislabel: {selfInfluenceAuc: number; selfTracInAuc: number; lossAuc: number}
  topK: {wins: number; total: number; meanDropTop: number; meanDropRandom: number}
  seconds: number
}

/** A head-only model over fixed features, trained exactly; `retrain` drops records by zero weight. */
export function headOnlySetup(
  H: Float32Array,
  N: number,
  D: number,
  C: number,
  labels: Int32Array,
  lambda: number,
  withCheckpoints = true,
): {input: AttributionInput; retrain: RetrainFn} {
  const fit = trainSoftmaxHead(H, N, D, C, labels, {lambda})
  const checkpoints = withCheckpoints
    ? trainSoftmaxHeadGD(H, N, D, C, labels, {lambda, lr: 1, steps: 200, every: 40}).checkpoints.map((c) => ({
        A: new Float32Array(0),
        B: new Float32Array(0),
        W: c.W,
        lr: c.lr,
      }))
    : []
  const input: AttributionInput = {
    N,
    D,
    C,
    r: 0,
    H,
    labels,
    A: new Float32Array(0),
    B: new Float32Array(0),
    W: fit.W,
    checkpoints,
    l2: lambda,
  }
  const retrain: RetrainFn = async (excluded) => {
    const sw = new Float64Array(N).fill(1)
    for (const i of excluded) sw[i] = 0
    const r = trainSoftmaxHead(H, N, D, C, labels, {lambda, sampleWeights: sw, init: fit.W})
    return {A: input.A, B: input.B, W: r.W}
  }
  return {input, retrain}
}

function accuracy(input: AttributionInput, H: Float32Array, labels: Int32Array): number {
  let ok = 0
  for (let i = 0; i < labels.length; i++) {
    const p = predictProba(input, input.D, input.C, input.r, H, i * input.D)
    let y = 0
    for (let c = 1; c < input.C; c++) if (p[c] > p[y]) y = c
    if (y === labels[i]) ok++
  }
  return ok / labels.length
}

/** Every figure of docs/attribution.md on Gaussian class clusters, from scratch. */
export async function runSyntheticEvaluation(partial: Partial<SyntheticEvalOptions> = {}): Promise<SyntheticEvalReport> {
  const o = {...defaultSyntheticEval, ...partial}
  const t0 = performance.now()
  const Ntest = Math.max(o.looTests, o.ldsTests, o.topKTests)
  const all = gaussianClusters({N: o.N + Ntest, D: o.D, C: o.C, seed: o.seed})
  const H = all.H.slice(0, o.N * o.D)
  const labels = all.labels.slice(0, o.N)
  const testH = all.H.slice(o.N * o.D)
  const testLabels = all.labels.slice(o.N)
  const {input, retrain} = headOnlySetup(H, o.N, o.D, o.C, labels, o.lambda)
  const att = createAttributor(input)
  const Hf = factorHeadHessian(att)
  // Each test explains the model's own answer (its predicted label), as payments do.
  const tests: LabelledQuery[] = []
  for (let t = 0; t < Ntest; t++) {
    const h = testH.slice(t * o.D, (t + 1) * o.D)
    const p = predictProba(input, o.D, o.C, 0, h)
    let y = 0
    for (let c = 1; c < o.C; c++) if (p[c] > p[y]) y = c
    tests.push({h, label: y})
  }
  const methods: Record<string, ScoreFn> = {
    if: (a, q) => headInfluenceScores(a, Hf, q),
    graddot: (a, q) => gradDotScores(a, q),
    tracin: (a, q) => tracInScores(a, q),
    representer: (a, q) => representerScores(a, q),
  }
  const step = Math.max(1, Math.floor(o.N / o.looRecords))
  const records = Int32Array.from({length: o.looRecords}, (_, k) => (k * step) % o.N)
  const loo: SyntheticEvalReport['loo'] = {}
  const lds: SyntheticEvalReport['lds'] = {}
  // One set of retrains per protocol, shared by all methods.
  const cached = sharedRetrains(retrain)
  for (const [name, fn] of Object.entries(methods)) {
    const r = await looCorrelation({att, retrain: cached, tests: tests.slice(0, o.looTests), records, score: fn})
    loo[name] = {pearson: r.pearson, meanPerTest: r.meanPerTest}
    lds[name] = (
      await linearDatamodelingScore({att, retrain: cached, tests: tests.slice(0, o.ldsTests), score: fn, m: o.ldsSubsets, seed: o.seed})
    ).lds
  }
  const topK = await topKRemoval({att, retrain, tests: tests.slice(0, o.topKTests), score: methods.if, k: o.topK, seed: o.seed})
  // Mislabel detection on a copy with flipped labels.
  const flip = flipLabels(labels, o.C, o.flipFraction, o.seed + 1)
  const noisy = headOnlySetup(H, o.N, o.D, o.C, flip.labels, o.lambda)
  const attN: Attributor = createAttributor(noisy.input)
  const si = selfInfluence(attN, factorHeadHessian(attN))
  const st = selfTracIn(attN)
  const loss = new Float64Array(o.N)
  for (let i = 0; i < o.N; i++) loss[i] = crossEntropy(attN.final.Pr, flip.labels[i], i * o.C)
  return {
    options: o,
    trainAccuracy: accuracy(input, H, labels),
    testAccuracy: accuracy(input, testH, testLabels),
    loo,
    lds,
    mislabel: {selfInfluenceAuc: rocAuc(si, flip.flipped), selfTracInAuc: rocAuc(st, flip.flipped), lossAuc: rocAuc(loss, flip.flipped)},
    topK,
    seconds: (performance.now() - t0) / 1000,
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runSyntheticEvaluation()
  process.stdout.write(JSON.stringify(report, null, 2) + '\n')
}
