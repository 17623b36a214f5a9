import {createAttributor, factorHeadHessian, selfInfluence, type Attributor} from '../src/attribution/influence.js'
import {predictProba} from '../src/attribution/model.js'
import type {AttributionInput, HeadAdapterWeights, Query} from '../src/attribution/types.js'
import {crossEntropy} from '../src/model/math.js'
import {createRandom, shuffleInPlace} from '../src/model/prng.js'
import {pearson, rocAuc, spearman} from './metrics.js'

/** Retrains the model without the given training indices (same configuration, same seed). */
export type RetrainFn = (excluded: Int32Array) => Promise<HeadAdapterWeights>

/**
 * Scores of every training record for one query: score_i predicts N·(loss_t without i − loss_t),
 * so positive means proponent. Head IF, TracIn and grad-dot all follow this convention.
 */
export type ScoreFn = (att: Attributor, query: Query & {label: number}) => Float64Array

export type LabelledQuery = {h: Float32Array; label: number}

/**
 * `retrain` answering each set of excluded records once: protocols that score several methods
 * against the same retrains (LOO, LDS subsets) share them instead of training again.
 */
export function sharedRetrains(retrain: RetrainFn): RetrainFn {
  const done = new Map<string, ReturnType<RetrainFn>>()
  return (excluded) => {
    const key = excluded.join(',')
    let run = done.get(key)
    if (!run) {
      run = retrain(excluded)
      done.set(key, run)
    }
    return run
  }
}

function lossOf(w: HeadAdapterWeights, input: AttributionInput, q: LabelledQuery): number {
  return crossEntropy(predictProba(w, input.D, input.C, input.r, q.h), q.label)
}

/**
 * Leave-one-out: for each record in `records`, retrain without it and compare the actual change of
 * each test loss with score/N. Returns the pooled Pearson correlation and the mean per-test one.
 */
export async function looCorrelation(p: {
  att: Attributor
  retrain: RetrainFn
  tests: LabelledQuery[]
  records: Int32Array
  score: ScoreFn
}): Promise<{pearson: number; meanPerTest: number; predicted: Float64Array; actual: Float64Array}> {
  const {att, tests, records} = p
  const N = att.input.N
  const T = tests.length
  const scores = tests.map((t) => p.score(att, t))
  const base = tests.map((t) => lossOf(att.input, att.input, t))
  const predicted = new Float64Array(records.length * T)
  const actual = new Float64Array(records.length * T)
  for (let k = 0; k < records.length; k++) {
    const w = await p.retrain(Int32Array.of(records[k]))
    for (let t = 0; t < T; t++) {
      predicted[k * T + t] = scores[t][records[k]] / N
      actual[k * T + t] = lossOf(w, att.input, tests[t]) - base[t]
    }
  }
  let sum = 0
  for (let t = 0; t < T; t++) {
    const a = new Float64Array(records.length)
    const b = new Float64Array(records.length)
    for (let k = 0; k < records.length; k++) {
      a[k] = predicted[k * T + t]
      b[k] = actual[k * T + t]
    }
    sum += pearson(a, b)
  }
  return {pearson: pearson(predicted, actual), meanPerTest: sum / T, predicted, actual}
}

/**
 * Linear datamodeling score: m random subsets of ⌊αN⌋ records; per test, Spearman between the
 * retrained model's log-probability of the test label and the sum of the subset's scores; mean over tests.
 */
export async function linearDatamodelingScore(p: {
  att: Attributor
  retrain: RetrainFn
  tests: LabelledQuery[]
  score: ScoreFn
  m: number
  alpha?: number
  seed?: number
}): Promise<{lds: number; perTest: number[]}> {
  const {att, tests} = p
  const N = att.input.N
  const alpha = p.alpha ?? 0.5
  const g = createRandom(p.seed ?? 1)
  const scores = tests.map((t) => p.score(att, t))
  const outputs = tests.map(() => new Float64Array(p.m))
  const sums = tests.map(() => new Float64Array(p.m))
  const size = Math.floor(alpha * N)
  for (let s = 0; s < p.m; s++) {
    const idx = shuffleInPlace(
      Array.from({length: N}, (_, i) => i),
      g,
    )
    const kept = idx.slice(0, size)
    const excluded = Int32Array.from(idx.slice(size)).sort()
    const w = await p.retrain(excluded)
    tests.forEach((t, ti) => {
      outputs[ti][s] = -lossOf(w, att.input, t)
      let sum = 0
      for (const i of kept) sum += scores[ti][i]
      sums[ti][s] = sum
    })
  }
  const perTest = tests.map((_, ti) => spearman(sums[ti], outputs[ti]))
  return {lds: perTest.reduce((a, b) => a + b, 0) / perTest.length, perTest}
}

/**
 * Mislabel detection: flip labels (done by the caller), retrain, rank records by self-influence;
 * ROC AUC of the flipped records (1 = all flipped rank above all clean ones).
 */
export function mislabelAuc(
  att: Attributor,
  flipped: ArrayLike<number | boolean>,
  scores?: Float64Array,
): {auc: number; selfInfluence: Float64Array} {
  const si = scores ?? selfInfluence(att, factorHeadHessian(att))
  return {auc: rocAuc(si, flipped), selfInfluence: si}
}

/**
 * Top-k removal: for each test, retrain without its k strongest proponents and without k random
 * records; the attribution wins when the first lowers the probability of the answer more.
 */
export async function topKRemoval(p: {
  att: Attributor
  retrain: RetrainFn
  tests: LabelledQuery[]
  score: ScoreFn
  k: number
  seed?: number
}): Promise<{wins: number; total: number; meanDropTop: number; meanDropRandom: number}> {
  const {att, tests, k} = p
  const N = att.input.N
  const g = createRandom(p.seed ?? 7)
  let wins = 0
  let dropTop = 0
  let dropRand = 0
  for (const t of tests) {
    const s = p.score(att, t)
    const order = Array.from({length: N}, (_, i) => i).sort((a, b) => s[b] - s[a])
    const top = Int32Array.from(order.slice(0, k)).sort()
    const pick = new Set<number>()
    while (pick.size < k) pick.add(g.int(N))
    const rand = Int32Array.from(pick).sort()
    const p0 = predictProba(att.input, att.input.D, att.input.C, att.input.r, t.h)[t.label]
    const pTop = predictProba(await p.retrain(top), att.input.D, att.input.C, att.input.r, t.h)[t.label]
    const pRand = predictProba(await p.retrain(rand), att.input.D, att.input.C, att.input.r, t.h)[t.label]
    dropTop += p0 - pTop
    dropRand += p0 - pRand
    if (p0 - pTop > p0 - pRand) wins++
  }
  return {wins, total: tests.length, meanDropTop: dropTop / tests.length, meanDropRandom: dropRand / tests.length}
}

export {createAttributor}
