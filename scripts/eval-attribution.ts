/**
 * `npm run eval:attribution`: Proof of Attribution measured on real text with real retrains.
 *
 * Data: real labelled texts (eval/datasets.ts: Brown sentences by genre, WordNet definitions by
 * lexicographer file, or your own JSONL/CSV), 10% of the training labels flipped; records in a local datanet, the model trained by the real trainer (`train`).
 *  1. mislabel detection: rank records by self-influence, ROC AUC of the flipped ones;
 *  2. top-k removal: for test answers, retrain without their top-20 proponents (IF) and without 20
 *     random records (`train --exclude-records`), compare the drop in the answer's probability;
 *  3. leave-one-out: for one test answer, retrain without each of a sample of records and
 *     correlate the true change of its loss with the influence function's prediction;
 *     and, against exact retrains of the head on the model's own features, leave-one-out, the
 *     linear datamodeling score of IF, TracIn, grad-dot and representer (dattri's definition), and
 *     mislabel detection by the exact head influence function (dattri's protocol);
 *  4. span tracing: a 15-word verbatim quote of a record, embedded in other words, traces to it.
 *
 *   npx tsx scripts/eval-attribution.ts [--data brown|wordnet|<file>] [--per-class 500] [--answers 12] [--loo 40] [--lds-subsets 100] [--lds-answers 6] [--json]
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {traceOutput} from '../src/attribution/datanet-trace.js'
import {DATA_FLAGS, type LabelledSplit, labelledSetFromFlags} from '../eval/datasets.js'
import {type ScoreFn, linearDatamodelingScore, looCorrelation, sharedRetrains} from '../eval/harness.js'
import {pearson, rocAuc} from '../eval/metrics.js'
import {headOnlySetup} from '../eval/synthetic-report.js'
import {
  createAttributor,
  factorHeadHessian,
  gradDotScores,
  headInfluenceScores,
  representerScores,
  selfInfluence,
  tracInScores,
} from '../src/attribution/influence.js'
import {loadModelAttribution, scoreQuery, selfInfluenceRecords} from '../src/attribution/from-model.js'
import {addToDatanet, createDatanet} from '../src/datanet/index.js'
import {resolveModelConfig} from '../src/model/config.js'
import {loadDatanetSource} from '../src/model/datanet-source.js'
import {loadEncoder} from '../src/model/encoders/index.js'
import {loadModel, predict} from '../src/model/infer.js'
import {crossEntropy, headForward} from '../src/model/math.js'
import {createRandom} from '../src/model/prng.js'
import {trainModel} from '../src/model/train.js'

const CONTRIBUTORS = [
  '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
]

export async function evalAttribution(opts: {
  data: LabelledSplit
  answers: number
  loo: number
  ldsSubsets: number
  ldsTests: number
  log: (s: string) => void
}) {
  const work = mkdtempSync(join(tmpdir(), 'openledger-eval-'))
  const stateDir = join(work, '.openledger')
  // Deterministic, so every run draws the same flips and samples.
  const random = createRandom(20_261_124).next
  try {
    const {train, test} = opts.data
    const labels = [...new Set(train.map((e) => e.label))].sort()
    const flippedTexts = new Set<string>()
    const rows = train.map((e) => {
      let label = e.label
      if (random() < 0.1) {
        const others = labels.filter((l) => l !== label)
        label = others[Math.floor(random() * others.length)]
        flippedTexts.add(e.text)
      }
      return {text: e.text, label, contributor: CONTRIBUTORS[Math.floor(random() * CONTRIBUTORS.length)]}
    })
    const file = join(work, 'train.jsonl')
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n')
    await createDatanet({name: 'eval', stateDir})
    await addToDatanet({name: 'eval', paths: [file], stateDir, contributor: CONTRIBUTORS[0] as `0x${string}`})
    const source = await loadDatanetSource({name: 'eval', allowDraft: true, stateDir})
    const config = resolveModelConfig({overrides: {text_field: 'text', label_field: 'label', seed: 7}})
    const {encoder} = await loadEncoder({encoder: 'builtin', device: 'cpu'})
    const retrain = async (exclude: string[], out: string) =>
      (await trainModel({source, config, out: join(work, out), excludeRecords: exclude, encoder})).artifact.path
    const t0 = performance.now()
    const basePath = await retrain([], 'base')
    const trainSeconds = (performance.now() - t0) / 1000
    const model = await loadModel(basePath, {encoder})
    const ma = await loadModelAttribution(model, {stateDir})
    opts.log(
      `data: ${opts.data.description}; ${source.records.length} training records, ${labels.length} labels, ${flippedTexts.size} labels flipped; one training run ${trainSeconds.toFixed(1)} s`,
    )

    // 1. Mislabel detection.
    const textOf = new Map(source.records.map((r) => [r.recordHash, String(r.fields.text)]))
    const ranked = await selfInfluenceRecords(ma, 'if')
    const isFlipped = ranked.map((r) => flippedTexts.has(textOf.get(r.recordHash)!))
    const auc = rocAuc(
      ranked.map((r) => r.selfInfluence),
      isFlipped,
    )
    const aucQuadratic = rocAuc(
      ranked.map((r) => r.influence),
      isFlipped,
    )
    const aucLoss = rocAuc(
      ranked.map((r) => r.loss),
      isFlipped,
    )
    const tracin = await selfInfluenceRecords(ma, 'tracin')
    const aucTracIn = rocAuc(
      tracin.map((r) => r.selfInfluence),
      tracin.map((r) => flippedTexts.has(textOf.get(r.recordHash)!)),
    )
    opts.log(
      `mislabel detection (ROC AUC): self-influence ${auc.toFixed(3)} · gᵀH⁻¹g alone ${aucQuadratic.toFixed(3)} · loss alone ${aucLoss.toFixed(3)} · TracIn self ${aucTracIn.toFixed(3)}`,
    )

    // 2. Top-k removal on test answers.
    const answers = test.filter((_, i) => i % Math.max(1, Math.floor(test.length / opts.answers)) === 0).slice(0, opts.answers)
    const base = await predict(
      model,
      answers.map((a) => a.text),
    )
    const D = model.weights.D
    let wins = 0
    const drops: Array<{top: number; random: number}> = []
    for (let q = 0; q < answers.length; q++) {
      const label = model.config.labels.indexOf(base.predictions[q].label)
      const scores = scoreQuery(ma, base.h.slice(q * D, (q + 1) * D), 'if', label)
      const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a])
      const top = order.slice(0, 20).map((i) => ma.records.get(i).recordHash)
      const rand = Array.from({length: 20}, () => ma.records.get(Math.floor(random() * ma.records.length)).recordHash)
      const p0 = base.predictions[q].probabilities[base.predictions[q].label]
      const pOf = async (path: string) => {
        const m = await loadModel(path, {encoder})
        return (await predict(m, [answers[q].text])).predictions[0].probabilities[base.predictions[q].label]
      }
      const dTop = p0 - (await pOf(await retrain(top, `top-${q}`)))
      const dRand = p0 - (await pOf(await retrain(rand, `rand-${q}`)))
      drops.push({top: dTop, random: dRand})
      if (dTop > dRand) wins++
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    opts.log(
      `top-20 removal: the answer's probability fell more without its top-20 proponents than without 20 random records in ${wins}/${answers.length} answers (mean drop ${mean(drops.map((d) => d.top)).toFixed(4)} vs ${mean(drops.map((d) => d.random)).toFixed(4)})`,
    )

    // 3. Leave-one-out on one answer: the records with the largest |score| and a random sample.
    const q0 = 0
    const label0 = model.config.labels.indexOf(base.predictions[q0].label)
    const s0 = scoreQuery(ma, base.h.slice(0, D), 'if', label0)
    const byMagnitude = Array.from(s0.keys()).sort((a, b) => Math.abs(s0[b]) - Math.abs(s0[a]))
    const sample = [
      ...new Set([
        ...byMagnitude.slice(0, Math.ceil(opts.loo / 2)),
        ...Array.from({length: Math.floor(opts.loo / 2)}, () => Math.floor(random() * ma.records.length)),
      ]),
    ]
    const loss0 = -Math.log(base.predictions[q0].probabilities[base.predictions[q0].label])
    const predicted: number[] = []
    const actual: number[] = []
    for (const i of sample) {
      const m = await loadModel(await retrain([ma.records.get(i).recordHash], `loo-${i}`), {encoder})
      const p = (await predict(m, [answers[q0].text])).predictions[0].probabilities[base.predictions[q0].label]
      actual.push(-Math.log(p) - loss0)
      predicted.push(s0[i] / ma.records.length)
    }
    const loo = pearson(predicted, actual)
    opts.log(`leave-one-out: Pearson correlation of predicted and true loss change over ${sample.length} retrains: ${loo.toFixed(3)}`)

    // 3b. The head influence function against exact head retrains on this model's own features:
    // h' = h + B·A·h of the real sentences, a softmax head trained to convergence with the same L2.
    const {N, D: Dh, C, r, H, labels: ys, A, B} = ma.attributor.input
    const Hp = new Float32Array(N * Dh)
    const [ah, hp, z, p] = [new Float64Array(r), new Float64Array(Dh), new Float64Array(C), new Float64Array(C)]
    for (let i = 0; i < N; i++) {
      headForward({A, B, W: ma.attributor.input.W}, Dh, C, r, H, i * Dh, ah, hp, z, p)
      Hp.set(hp, i * Dh)
    }
    const lambda = config.weight_decay
    // With gradient-descent checkpoints, for TracIn in the LDS comparison below.
    const head = headOnlySetup(Hp, N, Dh, C, ys, lambda, true)
    const headAtt = createAttributor(head.input)
    const headHf = factorHeadHessian(headAtt, {damping: lambda})
    const headTests = answers
      .slice(0, 3)
      .map((_, q) => ({h: base.hPrime.slice(q * Dh, (q + 1) * Dh), label: model.config.labels.indexOf(base.predictions[q].label)}))
    const headSample = Int32Array.from(new Set([...byMagnitude.slice(0, 12), ...Array.from({length: 12}, () => Math.floor(random() * N))]))
    const headLoo = await looCorrelation({
      att: headAtt,
      retrain: head.retrain,
      tests: headTests,
      records: headSample,
      score: (a, q) => headInfluenceScores(a, headHf, q),
    })
    opts.log(
      `leave-one-out, head IF vs exact head retrains on the model's features: Pearson ${headLoo.pearson.toFixed(3)} over ${headSample.length} records × ${headTests.length} answers`,
    )

    // 3c. The linear datamodeling score (dattri's definition) against the same exact head retrains:
    // m random half-size subsets, each retrained once and shared by the four methods; per answer the
    // Spearman correlation of the retrained log-probability with the subset's summed scores.
    const ldsTests = answers.slice(0, opts.ldsTests).map((_, q) => ({
      h: base.hPrime.slice(q * Dh, (q + 1) * Dh),
      label: model.config.labels.indexOf(base.predictions[q].label),
    }))
    const sharedRetrain = sharedRetrains(head.retrain)
    const methods: Record<string, ScoreFn> = {
      if: (a, q) => headInfluenceScores(a, headHf, q),
      tracin: (a, q) => tracInScores(a, q),
      graddot: (a, q) => gradDotScores(a, q),
      representer: (a, q) => representerScores(a, q),
    }
    const lds: Record<string, number> = {}
    for (const [name, score] of Object.entries(methods)) {
      lds[name] = (
        await linearDatamodelingScore({
          att: headAtt,
          retrain: sharedRetrain,
          tests: ldsTests,
          score,
          m: opts.ldsSubsets,
          alpha: 0.5,
          seed: 7,
        })
      ).lds
    }
    opts.log(
      `LDS (m = ${opts.ldsSubsets}, α = 0.5, ${ldsTests.length} answers, exact head retrains on the model's features): IF ${lds.if.toFixed(3)} · TracIn ${lds.tracin.toFixed(3)} · grad-dot ${lds.graddot.toFixed(3)} · representer ${lds.representer.toFixed(3)}`,
    )

    // 3d. Mislabel detection as dattri measures it: the exact influence function of a convex model
    // (the softmax head, trained to convergence) on fixed features, over the training rows.
    const headSelf = selfInfluence(headAtt, headHf)
    const headFlipped = ma.records.access((at) =>
      Array.from({length: ma.records.length}, (_, i) => flippedTexts.has(textOf.get(at.hash(i))!)),
    )
    const headLossPlus = Float64Array.from(headSelf, (q, i) => crossEntropy(headAtt.final.Pr, ys[i], i * C) + q / N)
    const aucHead = rocAuc(headSelf, headFlipped)
    const aucHeadLoo = rocAuc(headLossPlus, headFlipped)
    opts.log(
      `mislabel detection, exact head IF on the model's features (ROC AUC): gᵀH⁻¹g ${aucHead.toFixed(3)} · estimated leave-one-out loss ${aucHeadLoo.toFixed(3)}`,
    )

    // 4. A verbatim quote inside other words.
    const wordsOf = (r: (typeof source.records)[number]) => String(r.fields.text).split(/\s+/)
    const longRecord = source.records.reduce((a, b) => (wordsOf(b).length > wordsOf(a).length ? b : a))
    const quoteWords = wordsOf(longRecord).slice(2, 17)
    const quote = quoteWords.join(' ')
    const output = `As the assistant put it in its answer, ${quote} and that is all there is to it.`
    const trace = await traceOutput({datanet: 'eval', text: output, stateDir, method: 'spans', allowDraft: true})
    const first = trace.records[0]?.recordHash === longRecord.recordHash
    opts.log(
      `span tracing: a ${quoteWords.length}-word quote traced to its record first: ${first ? 'yes' : 'no'} (${trace.spans.length} span(s))`,
    )
    await model.dispose()
    await encoder.dispose()
    return {
      records: source.records.length,
      flipped: flippedTexts.size,
      auc,
      aucQuadratic,
      aucLoss,
      aucTracIn,
      topKWins: wins,
      answers: answers.length,
      drops,
      loo,
      looRetrains: sample.length,
      headLoo: headLoo.pearson,
      lds,
      ldsSubsets: opts.ldsSubsets,
      ldsAnswers: ldsTests.length,
      aucHead,
      aucHeadLoo,
      spanFirst: first,
    }
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const {values} = parseArgs({
    options: {
      ...DATA_FLAGS,
      'per-class': {type: 'string', default: '500'},
      answers: {type: 'string', default: '12'},
      loo: {type: 'string', default: '40'},
      'lds-subsets': {type: 'string', default: '100'},
      'lds-answers': {type: 'string', default: '6'},
      json: {type: 'boolean', default: false},
    },
  })
  const data = labelledSetFromFlags(values)
  const result = await evalAttribution({
    data,
    answers: Number(values.answers),
    loo: Number(values.loo),
    ldsSubsets: Number(values['lds-subsets']),
    ldsTests: Number(values['lds-answers']),
    log: values.json ? () => {} : (s) => process.stdout.write(s + '\n'),
  })
  if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
}
