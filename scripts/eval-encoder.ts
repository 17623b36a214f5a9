// Accuracy of the built-in encoder + openledger's adapter/head on real labelled short texts, against
// two logistic regressions trained on the same split: one on the same vectors the built-in head
// sees (the encoder's output, standardised alike; L2 strength chosen on the validation split,
// trained to convergence by Newton's method), and one on TF-IDF words + bigrams. A paired bootstrap
// over the held-out texts gives the 95% interval of the accuracy difference. Data: eval/datasets.ts
// (Brown sentences by genre, WordNet definitions by lexicographer file, or your own JSONL/CSV).
//
//   npx tsx scripts/eval-encoder.ts [--data brown|brown-paragraphs|wordnet|<file.jsonl|csv>] [--per-class 700] [--json]
//   npx tsx scripts/eval-encoder.ts --export data/brown.jsonl   (the same texts as a datanet input file)
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {parseArgs} from 'node:util'

import {DATA_FLAGS, type LabelledSplit, labelledSetFromFlags} from '../eval/datasets.js'
import {trainSoftmaxHead} from '../eval/head-trainer.js'
import {loadBuiltinEncoder} from '../src/model/encoders/builtin.js'
import {DEFAULT_HYPERPARAMETERS, fit, fitStandardizer, standardize} from '../src/model/fit.js'
import {Workspace, evaluate, headForward, softmaxInto} from '../src/model/math.js'
import {createRandom, shuffleInPlace} from '../src/model/prng.js'

const tokenize = (t: string) => t.toLowerCase().match(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu) ?? []

/** TF-IDF over words and bigrams (sublinear tf, smooth idf, L2-normalised rows), vocabulary from train. */
function tfidf(train: string[], test: string[]) {
  const grams = (t: string) => {
    const w = tokenize(t)
    const g = [...w]
    for (let i = 0; i + 1 < w.length; i++) g.push(w[i] + ' ' + w[i + 1])
    return g
  }
  const df = new Map<string, number>()
  const trainGrams = train.map(grams)
  for (const g of trainGrams) for (const k of new Set(g)) df.set(k, (df.get(k) ?? 0) + 1)
  const vocab = new Map<string, number>()
  for (const [k, n] of df) if (n >= 2) vocab.set(k, vocab.size)
  const idf = new Float32Array(vocab.size)
  for (const [k, j] of vocab) idf[j] = Math.log((1 + train.length) / (1 + df.get(k)!)) + 1
  const rows = (list: string[][]) =>
    list.map((g) => {
      const tf = new Map<number, number>()
      for (const k of g) {
        const j = vocab.get(k)
        if (j !== undefined) tf.set(j, (tf.get(j) ?? 0) + 1)
      }
      const idx = Int32Array.from(tf.keys())
      const val = Float32Array.from([...tf.values()].map((c, i) => (1 + Math.log(c)) * idf[idx[i]]))
      const norm = Math.hypot(...val) || 1
      for (let i = 0; i < val.length; i++) val[i] /= norm
      return {idx, val}
    })
  return {V: vocab.size, train: rows(trainGrams), test: rows(test.map(grams))}
}

type Sparse = {idx: Int32Array; val: Float32Array}

/** Multinomial logistic regression on sparse rows: Adam, L2, fixed epochs. */
function trainSparseLR(X: Sparse[], y: number[], V: number, C: number, l2: number, epochs = 40, lr = 0.02, seed = 1) {
  const W = new Float32Array(C * (V + 1))
  const m = new Float32Array(W.length)
  const v = new Float32Array(W.length)
  const g = new Float32Array(W.length)
  let t = 0
  const order = X.map((_, i) => i)
  const rand = createRandom(seed)
  const p = new Float64Array(C)
  for (let e = 0; e < epochs; e++) {
    shuffleInPlace(order, rand)
    for (let b = 0; b < order.length; b += 64) {
      g.fill(0)
      const batch = order.slice(b, b + 64)
      for (const i of batch) {
        scoreSparse(W, X[i], V, C, p)
        p[y[i]] -= 1
        for (let c = 0; c < C; c++) {
          const rc = p[c] / batch.length
          const base = c * (V + 1)
          for (let k = 0; k < X[i].idx.length; k++) g[base + X[i].idx[k]] += rc * X[i].val[k]
          g[base + V] += rc
        }
      }
      t++
      for (let j = 0; j < W.length; j++) {
        const gj = g[j] + l2 * W[j]
        m[j] = 0.9 * m[j] + 0.1 * gj
        v[j] = 0.999 * v[j] + 0.001 * gj * gj
        W[j] -= (lr * (m[j] / (1 - 0.9 ** t))) / (Math.sqrt(v[j] / (1 - 0.999 ** t)) + 1e-8)
      }
    }
  }
  return W
}

function scoreSparse(W: Float32Array, x: Sparse, V: number, C: number, p: Float64Array) {
  for (let c = 0; c < C; c++) {
    const base = c * (V + 1)
    let s = W[base + V]
    for (let k = 0; k < x.idx.length; k++) s += W[base + x.idx[k]] * x.val[k]
    p[c] = s
  }
  softmaxInto(p, C, p)
}

function sparseHits(W: Float32Array, X: Sparse[], y: number[], V: number, C: number): Uint8Array {
  const p = new Float64Array(C)
  return Uint8Array.from(X, (x, i) => {
    scoreSparse(W, x, V, C, p)
    let best = 0
    for (let c = 1; c < C; c++) if (p[c] > p[best]) best = c
    return best === y[i] ? 1 : 0
  })
}

const sparseAccuracy = (W: Float32Array, X: Sparse[], y: number[], V: number, C: number) => mean(sparseHits(W, X, y, V, C))

/** The rows of X at `rows`, packed. */
function pick(X: Float32Array, D: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * D)
  for (let i = 0; i < rows.length; i++) out.set(X.subarray(rows[i] * D, (rows[i] + 1) * D), i * D)
  return out
}

/** Which of `rows` a head-only softmax model W (C×(D+1)) classifies correctly. */
function headHits(W: Float32Array, X: Float32Array, D: number, C: number, y: Int32Array, rows: ArrayLike<number>): Uint8Array {
  const [z, p] = [new Float64Array(C), new Float64Array(C)]
  const [ah, hp] = [new Float64Array(0), new Float64Array(D)]
  const head = {A: new Float32Array(0), B: new Float32Array(0), W}
  const hits = new Uint8Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    headForward(head, D, C, 0, X, rows[i] * D, ah, hp, z, p)
    let best = 0
    for (let c = 1; c < C; c++) if (p[c] > p[best]) best = c
    hits[i] = best === y[rows[i]] ? 1 : 0
  }
  return hits
}

const mean = (h: Uint8Array) => h.reduce((s, v) => s + v, 0) / Math.max(1, h.length)

/** 95% interval of mean(a) − mean(b) over the same texts, by a paired bootstrap (fixed seed). */
function pairedBootstrap(a: Uint8Array, b: Uint8Array, rounds = 2000): [number, number] {
  const rand = createRandom(7).next
  const diffs = new Float64Array(rounds)
  for (let r = 0; r < rounds; r++) {
    let d = 0
    for (let i = 0; i < a.length; i++) {
      const j = Math.floor(rand() * a.length)
      d += a[j] - b[j]
    }
    diffs[r] = d / a.length
  }
  diffs.sort()
  return [diffs[Math.floor(rounds * 0.025)], diffs[Math.floor(rounds * 0.975)]]
}

/** The L2 strengths tried, largest first so each fit starts from the previous optimum. */
const LR_LAMBDAS = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4]

export async function evalEncoder(options: {data: LabelledSplit}) {
  const {train, test} = options.data
  const examples = [...train, ...test]
  const labels = [...new Set(examples.map((e) => e.label))].sort()
  const C = labels.length
  const ytr = train.map((e) => labels.indexOf(e.label))
  const yte = test.map((e) => labels.indexOf(e.label))

  // Baseline: TF-IDF + logistic regression, L2 chosen on an inner split of the training set.
  const t0 = performance.now()
  const inner = train.map((_, i) => i % 5 === 0)
  const innerTf = tfidf(
    train.filter((_, i) => !inner[i]).map((e) => e.text),
    train.filter((_, i) => inner[i]).map((e) => e.text),
  )
  let bestL2 = 0
  let bestInner = -1
  for (const l2 of [0, 1e-4, 1e-3, 1e-2]) {
    const W = trainSparseLR(
      innerTf.train,
      ytr.filter((_, i) => !inner[i]),
      innerTf.V,
      C,
      l2,
    )
    const acc = sparseAccuracy(
      W,
      innerTf.test,
      ytr.filter((_, i) => inner[i]),
      innerTf.V,
      C,
    )
    if (acc > bestInner) [bestInner, bestL2] = [acc, l2]
  }
  const tf = tfidf(
    train.map((e) => e.text),
    test.map((e) => e.text),
  )
  const Wtf = trainSparseLR(tf.train, ytr, tf.V, C, bestL2)
  const tfidfHits = sparseHits(Wtf, tf.test, yte, tf.V, C)
  const tfidfSeconds = (performance.now() - t0) / 1000

  // Ours: built-in encoder (frozen) → standardise → adapter + softmax head (defaults).
  const t1 = performance.now()
  const encoder = await loadBuiltinEncoder('cpu')
  const all = await encoder.encode(examples.map((e) => e.text))
  await encoder.dispose()
  const D = encoder.dim
  const trainRowsAll = Int32Array.from(train.map((_, i) => i))
  const isVal = (i: number) =>
    createHash('sha256')
      .update('val:' + train[i].text)
      .digest()
      .readUInt32BE(0) /
      2 ** 32 <
    DEFAULT_HYPERPARAMETERS.val_size
  const trainRows = trainRowsAll.filter((i) => !isVal(i))
  const valRows = trainRowsAll.filter((i) => isVal(i))
  const std = fitStandardizer(all, D, trainRows)
  const X = standardize(all, D, std)
  const y = Int32Array.from([...ytr, ...yte])
  const rowKeys = Uint32Array.from(examples.map((e) => createHash('sha256').update(e.text).digest().readUInt32BE(0)))
  const result = await fit({X, D, y, C, rowKeys, trainRows, valRows}, DEFAULT_HYPERPARAMETERS)
  const testRows = Int32Array.from(test.map((_, i) => train.length + i))
  // Per held-out text, for the paired bootstrap: one row at a time through one workspace.
  const ws = new Workspace(D, C, result.weights.r)
  const one = new Int32Array(1)
  const oursHits = Uint8Array.from(testRows, (row) => {
    one[0] = row
    return evaluate(result.weights, X, y, one, ws).accuracy
  })
  const oursSeconds = (performance.now() - t1) / 1000

  // Logistic regression on the same standardised vectors and the same training rows, L2 strength
  // chosen by accuracy on the same validation rows (ties: the stronger L2).
  const t2 = performance.now()
  const Xtr = pick(X, D, trainRows)
  const ytrRows = Int32Array.from(trainRows, (i) => y[i])
  let lr: {lambda: number; val: number; W: Float32Array} = {lambda: 0, val: -1, W: new Float32Array(0)}
  let init: Float32Array | undefined
  for (const lambda of LR_LAMBDAS) {
    const fitted = trainSoftmaxHead(Xtr, trainRows.length, D, C, ytrRows, {lambda, init, tol: 1e-6, maxIter: 50})
    init = fitted.W
    const val = mean(headHits(fitted.W, X, D, C, y, valRows))
    if (val > lr.val) lr = {lambda, val, W: fitted.W}
  }
  const lrHits = headHits(lr.W, X, D, C, y, testRows)
  const lrSeconds = (performance.now() - t2) / 1000

  const counts = Object.fromEntries(labels.map((l) => [l, examples.filter((e) => e.label === l).length]))
  return {
    data: options.data.description,
    labels: counts,
    train: train.length,
    test: test.length,
    meanWords: examples.reduce((s, e) => s + e.text.split(/\s+/).length, 0) / examples.length,
    builtin: {accuracy: mean(oursHits), bestEpoch: result.bestEpoch, seconds: oursSeconds, encoder: encoder.id, encoderHash: encoder.hash},
    sameVectorsLogReg: {accuracy: mean(lrHits), l2: lr.lambda, seconds: lrSeconds},
    builtinMinusSameVectors: {difference: mean(oursHits) - mean(lrHits), interval95: pairedBootstrap(oursHits, lrHits)},
    tfidfLogReg: {accuracy: mean(tfidfHits), l2: bestL2, features: tf.V, seconds: tfidfSeconds},
    builtinMinusTfidf: {difference: mean(oursHits) - mean(tfidfHits), interval95: pairedBootstrap(oursHits, tfidfHits)},
    majority: Math.max(...labels.map((l) => test.filter((e) => e.label === l).length)) / test.length,
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const interval = (d: {difference: number; interval95: [number, number]}) =>
  `${d.difference >= 0 ? '+' : ''}${(d.difference * 100).toFixed(1)} points (95% interval ${(d.interval95[0] * 100).toFixed(1)} to ${(d.interval95[1] * 100).toFixed(1)})`

if (import.meta.url === `file://${process.argv[1]}`) {
  const {values} = parseArgs({
    options: {
      ...DATA_FLAGS,
      'per-class': {type: 'string', default: '700'},
      export: {type: 'string'},
      json: {type: 'boolean', default: false},
    },
  })
  const data = labelledSetFromFlags(values)
  if (values.export) {
    const rows = [...data.train.map((e) => ({...e, split: 'train'})), ...data.test.map((e) => ({...e, split: 'test'}))]
    writeFileSync(values.export, rows.map((e) => JSON.stringify({text: e.text, label: e.label, split: e.split})).join('\n') + '\n')
    console.error(`wrote ${rows.length} texts to ${values.export}`)
  } else {
    const r = await evalEncoder({data})
    if (values.json) console.log(JSON.stringify(r, null, 2))
    else {
      console.log(r.data, r.labels, `train ${r.train}, test ${r.test}, ${r.meanWords.toFixed(1)} words/text`)
      console.log(
        `built-in encoder + head: ${pct(r.builtin.accuracy)}  (best epoch ${r.builtin.bestEpoch}, ${r.builtin.seconds.toFixed(1)} s)`,
      )
      console.log(
        `logistic regression on the same vectors: ${pct(r.sameVectorsLogReg.accuracy)}  (L2 ${r.sameVectorsLogReg.l2} by validation, ${r.sameVectorsLogReg.seconds.toFixed(1)} s); built-in ${interval(r.builtinMinusSameVectors)}`,
      )
      console.log(
        `TF-IDF + logistic regression: ${pct(r.tfidfLogReg.accuracy)}  (l2 ${r.tfidfLogReg.l2}, ${r.tfidfLogReg.features} features, ${r.tfidfLogReg.seconds.toFixed(1)} s); built-in ${interval(r.builtinMinusTfidf)}`,
      )
      console.log(`majority class: ${pct(r.majority)}`)
    }
  }
}
