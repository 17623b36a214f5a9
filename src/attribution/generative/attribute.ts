/**
 * Proof of Attribution for generated text: the gradient of the answer's log-likelihood against the
 * stored per-record gradients (DataInf or TracIn), fused with verbatim spans of the answer found in
 * the datanet (suffix array), into one receipt whose contributor weights sum to exactly 1e18.
 */
import {join} from 'node:path'

import {type LlamaModel, type LmExample, type LmRecord, type LmTokenizer, disposeLora, promptText, recordSpanText} from '../../lm/index.js'
import {
  AttributionInputError,
  type Receipt,
  type RecordMeta,
  type SpanIndex,
  type TracedSpan,
  buildReceipt,
  buildSpanIndex,
  fuseRankings,
  textHash,
  traceSpans,
} from '../index.js'
import {GradientStoreError} from './errors.js'
import {type GradientSet, type QueryGradient, datainfScores, datainfSelfInfluence, tracinScores, tracinSelfInfluence} from './scores.js'
import {
  GRADIENT_STORE_FILE,
  type GradientStore,
  fileSha256,
  loadAdapter,
  projectedGradients,
  readGradientStore,
  recordsSha256,
} from './store.js'

export type GenerativeMethod = 'datainf' | 'tracin'

/** Prompt + generated text as one example, the loss on the generated tokens only (no end token). */
export function generationExample(tokenizer: LmTokenizer, prompt: string, output: string, cutoffLen = 1024, chat = true): LmExample {
  const p = tokenizer.encode(promptText(tokenizer, prompt, chat))
  const r = tokenizer.encode(output, {addSpecialTokens: false})
  if (r.length === 0) throw new AttributionInputError('the generated text to attribute is empty')
  const ids = [...p, ...r].slice(0, cutoffLen)
  const lossMask = [...p.map(() => 0), ...r.map(() => 1)].slice(0, cutoffLen)
  if (!lossMask.includes(1))
    throw new AttributionInputError(`the prompt fills the ${cutoffLen}-token window; no generated token is left to attribute`)
  return {ids, lossMask}
}

function answeringSet(store: GradientStore): GradientSet {
  const set = store.sets.get(store.meta.answering)
  if (!set) throw new GradientStoreError(`the gradient store has no gradients for its answering checkpoint ${store.meta.answering}`)
  return set
}

/** The answer's (projected) gradient under each checkpoint the method needs, in store order. */
export async function queryGradients(
  model: LlamaModel,
  store: GradientStore,
  example: LmExample,
  method: GenerativeMethod,
): Promise<QueryGradient[]> {
  const wanted = method === 'datainf' ? store.meta.checkpoints.filter((c) => c.name === store.meta.answering) : store.meta.checkpoints
  const out: QueryGradient[] = []
  for (const c of wanted) {
    const adapter = loadAdapter(model, c.adapter, store.meta.loraConfig)
    try {
      const {names, grads} = await projectedGradients(model, adapter, [example], store.meta.projection)
      if (names.join() !== store.meta.layers.map((l) => l.name).join())
        throw new GradientStoreError(`${c.adapter}: its LoRA tensors differ from the stored gradients' layers`)
      out.push(grads[0])
    } finally {
      disposeLora(adapter)
    }
  }
  return out
}

/** Scores of every stored record for one query (positive = proponent). */
export function scoreRecords(store: GradientStore, queries: QueryGradient[], method: GenerativeMethod): Float64Array {
  if (method === 'datainf') return datainfScores(answeringSet(store), queries[0])
  return tracinScores(
    store.meta.checkpoints.map((c) => ({set: store.sets.get(c.name) as GradientSet, lr: c.lr})),
    queries,
  )
}

/** Self-influence of every record of a generative datanet (high = the model had to bend to fit it). */
export function generativeSelfInfluence(store: GradientStore, method: GenerativeMethod): Float64Array {
  if (method === 'datainf') return datainfSelfInfluence(answeringSet(store))
  return tracinSelfInfluence(store.meta.checkpoints.map((c) => ({set: store.sets.get(c.name) as GradientSet, lr: c.lr})))
}

export type GenerativeSelfInfluenceRecord = {index: number; recordHash: string; contributor: string; selfInfluence: number; loss?: number}

/**
 * `attribute --self-influence` for a generative datanet: reads and checks the artifact's gradient
 * store, scores every training record, most suspicious (highest) first, with its own mean token loss.
 */
export function generativeSelfInfluenceReport(a: {
  artifactDir: string
  recordMeta: RecordMeta[]
  method?: GenerativeMethod
}): GenerativeSelfInfluenceRecord[] {
  const path = join(a.artifactDir, GRADIENT_STORE_FILE)
  const store = readGradientStore(path)
  checkStore(store, a.recordMeta, path)
  const scores = generativeSelfInfluence(store, a.method ?? 'datainf')
  const loss = store.losses.get(store.meta.answering)
  return Array.from(scores.keys())
    .sort((x, y) => scores[y] - scores[x] || x - y)
    .map((i) => ({
      index: i,
      recordHash: a.recordMeta[i].recordHash,
      contributor: a.recordMeta[i].contributor,
      selfInfluence: scores[i],
      ...(loss ? {loss: loss[i]} : {}),
    }))
}

/** Checks that the store belongs to these adapter files and these records before trusting its rows. */
export function checkStore(store: GradientStore, records: RecordMeta[], path: string): void {
  if (store.meta.records !== records.length)
    throw new GradientStoreError(
      `${path} holds gradients of ${store.meta.records} records, the training records given are ${records.length}`,
    )
  if (store.meta.recordsSha256 && store.meta.recordsSha256 !== recordsSha256(records.map((r) => r.recordHash)))
    throw new GradientStoreError(`${path} was computed on other training records (records hash differs)`)
  for (const c of store.meta.checkpoints) {
    if (fileSha256(c.adapter) !== c.adapterSha256)
      throw new GradientStoreError(`${c.adapter} changed since its gradients were stored in ${path}`)
  }
}

export type AttributeGenerationArgs = {
  /** Folder holding lm-gradients.safetensors (which names the adapter files it was computed under). */
  artifactDir: string
  /** The loaded base (and its sha256, checked against the store when given). */
  model: LlamaModel
  tokenizer: LmTokenizer
  baseSha256?: string
  /** The training records in training order (row i of the store), with who contributed each. */
  records: LmRecord[]
  recordMeta: RecordMeta[]
  prompt: string
  output: string
  topK?: number
  method?: GenerativeMethod
  /** A span index over the same records (built from them when absent). */
  spanIndex?: SpanIndex
  /** Artifact CID or hash for the receipt. */
  modelId?: string
  cutoffLen?: number
  /**
   * Whether the prompt went through the chat template when the answer was generated (as the adapter
   * was trained: `LoadedLm.chat`). The answer's gradient must be taken in the context it was made in.
   */
  chat?: boolean
}

export type GenerationAttribution = {
  receipt: Receipt
  method: GenerativeMethod
  /** Top records by the gradient score (proponents first). */
  gradient: Array<{index: number; recordHash: string; score: number}>
  /** Verbatim spans of the output found in the records. */
  spans: TracedSpan[]
  /** Records by span score. */
  spanRecords: Array<{index: number; recordHash: string; score: number}>
  /** Every record's gradient score, row order. */
  scores: Float64Array
}

/**
 * One call for `infer --prompt --attribute`: gradient scores (DataInf by default) and span tracing
 * of the output, fused by reciprocal rank (each list's top-k; gradient proponents only), paid
 * through the receipt builder. With no span the receipt is the gradient method's alone.
 */
export async function attributeGeneration(a: AttributeGenerationArgs): Promise<GenerationAttribution> {
  const method = a.method ?? 'datainf'
  const topK = a.topK ?? 20
  if (a.records.length !== a.recordMeta.length)
    throw new AttributionInputError(`${a.records.length} records but ${a.recordMeta.length} record entries`)
  const path = join(a.artifactDir, GRADIENT_STORE_FILE)
  const store = readGradientStore(path)
  if (a.baseSha256 && store.meta.baseSha256 && a.baseSha256 !== store.meta.baseSha256)
    throw new GradientStoreError(
      `${path} was computed on base ${store.meta.baseSha256.slice(0, 12)}…, the loaded base is ${a.baseSha256.slice(0, 12)}…`,
    )
  checkStore(store, a.recordMeta, path)
  const example = generationExample(a.tokenizer, a.prompt, a.output, a.cutoffLen, a.chat ?? true)
  const scores = scoreRecords(store, await queryGradients(a.model, store, example, method), method)
  const named = (index: number, score: number) => ({index, recordHash: a.recordMeta[index].recordHash, score})
  const gradient = Array.from(scores.keys())
    .sort((x, y) => scores[y] - scores[x] || x - y)
    .slice(0, topK)
    .map((i) => named(i, scores[i]))
  const idx = a.spanIndex ?? buildSpanIndex(a.records.map(recordSpanText), {records: a.recordMeta})
  const traced = traceSpans(idx, a.output)
  const spanRecords = traced.records.slice(0, topK).map((r) => named(r.index, r.score))
  const hybrid = spanRecords.length > 0
  let receiptScores: Float64Array = scores
  if (hybrid) {
    receiptScores = new Float64Array(scores.length)
    for (const r of fuseRankings([gradient.filter((g) => g.score > 0), spanRecords])) receiptScores[r.index] = r.score
  }
  const receipt = buildReceipt({
    method: hybrid ? 'hybrid' : method === 'datainf' ? 'if' : 'tracin',
    model: a.modelId ?? store.meta.checkpoints.find((c) => c.name === store.meta.answering)?.adapterSha256 ?? '',
    checkpoint: method === 'datainf' ? store.meta.answering : 'all',
    inputHash: textHash(a.prompt),
    outputHash: textHash(a.output),
    scores: receiptScores,
    records: a.recordMeta,
    topK,
  })
  return {receipt, method, gradient, spans: traced.spans, spanRecords, scores}
}
