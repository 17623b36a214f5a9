import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {loadDatanetSource} from '../model/datanet-source.js'
import {type TrainingRecordEntry, readWeightsFile} from '../model/artifact.js'
import type {Model} from '../model/infer.js'
import {predict} from '../model/infer.js'
import {standardize} from '../model/fit.js'
import {crossEntropy} from '../model/math.js'
import {encodeRecords} from '../model/train.js'
import {cacheDir} from '../store/paths.js'
import {AttributionInputError, NoCheckpointsError} from './errors.js'
import {
  type Attributor,
  type HeadHessian,
  createAttributor,
  gradDotScores,
  headInfluenceScores,
  headInfluenceScoresBatch,
  loadOrFactorHeadHessian,
  representerScores,
  selfInfluenceBatched,
  selfTracIn,
  tracInScores,
} from './influence.js'
import {type Receipt, buildReceipt, textHash} from './receipt.js'
import {
  ModelStateRows,
  loadModelState,
  loadStateRecords,
  loadValidationState,
  modelStateKey,
  modelStatePath,
  saveModelState,
  stateRecordTensors,
} from './model-state-cache.js'
import {FileRecords, type RecordList, type RecordTensors, packRecords, recordListOf} from './record-table.js'
import {RowMatmul} from './row-matmul.js'
import {type StreamedAttribution, perRecordStateBytes, streamStateBytes} from './streamed-query.js'
import type {AttributionInput, CheckpointWeights} from './types.js'

/** Gradient methods available for a trained model. */
export const GRADIENT_METHODS = ['if', 'tracin', 'graddot', 'representer'] as const
export type GradientMethod = (typeof GRADIENT_METHODS)[number]

/** Everything attribution needs about one trained model, built once per command or server. */
export type ModelAttribution = {
  model: Model
  attributor: Attributor
  /** The training records behind the gradients, aligned with the attributor's rows (compact: record-table.ts). */
  records: RecordList
  /** Identifies the artifact in receipts: sha256 of its weights (a CID once published). */
  modelId: string
  hessian?: HeadHessian
  /** The training matrix wrapped for ONNX Runtime, made on the first influence-function query. */
  matmul?: RowMatmul
  /** The validation split (not in the gradients or the Hessian): the audit scores it too. */
  validation?: ValidationSplit
}

/** The held-out records; their matrix is read only when asked for (the audit), not held by every query path. */
export type ValidationSplit = {
  records: RecordList
  matrix(): Promise<{H: Float32Array; labels: Int32Array}>
}

/** sha256 of model.safetensors: changes with any change to the weights. */
export function artifactWeightsHash(model: Model): string {
  return (
    'sha256:' +
    createHash('sha256')
      .update(readFileSync(join(model.path, 'model.safetensors')))
      .digest('hex')
  )
}

type Split = TrainingRecordEntry['split']

/**
 * Rebuilds the attribution inputs of a trained artifact: the datanet version it was trained on
 * (verified against the Merkle root in training.json), the training records' encoder outputs
 * (from the embedding cache; re-encoded only if missing), standardised as in training, the final
 * weights and every epoch checkpoint. All but the checkpoints is kept in a cache keyed by the
 * artifact's bytes (model-state-cache.ts), so only the first call per model pays for it.
 *
 * What stays in memory is the matrices a query scans and the labels: the record hashes and
 * contributors are read by position from that cache file, and the validation split's matrix only
 * when the audit asks for it. training.json (every record) is parsed here and dropped.
 */
export async function loadModelAttribution(model: Model, opts: {stateDir?: string; modelId?: string} = {}): Promise<ModelAttribution> {
  const t = model.training
  const train = t.records.filter((r) => r.split === 'train')
  const val = t.records.filter((r) => r.split === 'val')
  const datanet = t.datanet.name
  const key = modelStateKey(model.path)
  const statePath = modelStatePath(key)
  const {D, C, r} = model.weights
  let state = loadModelState(statePath, key)
  if (state && (state.N !== train.length || state.Nv !== val.length || state.D !== D || state.C !== C || state.r !== r)) state = undefined
  const built = state ? undefined : await trainingMatrices(model, opts.stateDir)
  const checkpoints: CheckpointWeights[] = t.checkpoints.map((cp) => {
    const {weights} = readWeightsFile(join(model.path, cp.path), model.config)
    return {A: weights.A, B: weights.B, W: weights.W, lr: cp.learningRate, epoch: cp.epoch}
  })
  const input: AttributionInput = {
    N: train.length,
    D,
    C,
    r,
    H: state?.H ?? built!.H,
    labels: state?.labels ?? Int32Array.from(train, (e) => e.label),
    A: model.weights.A,
    B: model.weights.B,
    W: model.weights.W,
    checkpoints,
    l2: t.config.weight_decay,
  }
  const attributor = createAttributor(input, {prepared: state?.final})
  let contributors = state?.records?.contributors
  if (!state) {
    const {Ah, Bu, Bth, Pr, Res, G} = attributor.final
    const labelsVal = Int32Array.from(val, (e) => e.label)
    const records = packRecords([...train, ...val])
    saveModelState(statePath, key, {
      N: input.N,
      D,
      C,
      r,
      H: input.H,
      labels: input.labels,
      final: {Ah, Bu, Bth, Pr, Res, G},
      Hval: built!.Hval,
      labelsVal,
      records,
    })
    contributors = records?.contributors
  }
  const where = contributors ? {...stateRecordTensors(statePath, key), contributors} : undefined
  const records = recordsOf(model, 'train', train, datanet, where)
  const validation = validationOf(model, recordsOf(model, 'val', val, datanet, where), statePath, key, opts.stateDir)
  return {model, attributor, records, validation, modelId: opts.modelId ?? artifactWeightsHash(model)}
}

/** A model ready for queries: its state loaded (ModelAttribution), or open in its cache file for passes. */
export type QueryAttribution = ModelAttribution | StreamedAttribution

export function isStreamed(ma: QueryAttribution): ma is StreamedAttribution {
  return 'state' in ma
}

/**
 * What a query (`infer --attribute`, a receipt's check) needs of a trained model: as
 * loadModelAttribution while its per-record state is at most `streamAbove` bytes (default
 * streamStateBytes(): 256 MiB, or OPENLEDGER_STREAM_STATE_BYTES), else the state's cache file opened
 * for chunked passes (streamed-query.ts), so a model of a million records answers without holding
 * its N×D matrix. The first query of a model without a cached state builds it (the encoder pass
 * holds the matrix that once), then streams it. The receipts are the same either way.
 */
export async function loadQueryAttribution(
  model: Model,
  opts: {stateDir?: string; modelId?: string; streamAbove?: number; chunkBytes?: number} = {},
): Promise<QueryAttribution> {
  const t = model.training
  const {D, C, r} = model.weights
  const train = t.records.filter((e) => e.split === 'train')
  if (perRecordStateBytes(train.length, D, C, r) <= (opts.streamAbove ?? streamStateBytes())) return loadModelAttribution(model, opts)
  const key = modelStateKey(model.path)
  const statePath = modelStatePath(key)
  const open = () => {
    const rows = ModelStateRows.open(statePath, key)
    if (rows && (rows.N !== train.length || rows.D !== D || rows.C !== C || rows.r !== r)) {
      rows.close()
      return undefined
    }
    return rows
  }
  let rows = open()
  let modelId = opts.modelId
  if (!rows) {
    modelId ??= (await loadModelAttribution(model, opts)).modelId
    rows = open()
    if (!rows) throw new AttributionInputError(`the model state ${statePath} could not be read back after it was written`)
  }
  const kept = loadStateRecords(statePath, key)
  const where = kept ? {train: kept.train, validation: kept.validation, contributors: kept.contributors} : undefined
  return {
    model,
    modelId: modelId ?? artifactWeightsHash(model),
    records: recordsOf(model, 'train', train, t.datanet.name, where),
    state: {rows, weights: model.weights, l2: t.config.weight_decay},
    stateKey: key,
    ...(opts.chunkBytes ? {chunkBytes: opts.chunkBytes} : {}),
  }
}

/** Frees what a loaded model holds outside the heap: its ONNX Runtime session, or its open state file. */
export async function releaseAttribution(ma: QueryAttribution): Promise<void> {
  if (isStreamed(ma)) ma.state.rows.close()
  else await ma.matmul?.dispose()
}

// The two helpers below make the closures a loaded model keeps: they are top-level functions so that
// those closures capture only their arguments, never loadModelAttribution's parsed training.json.

/** One split's records: read from the state file when it keeps them, else packed in memory. */
function recordsOf(
  model: Model,
  split: Split,
  entries: TrainingRecordEntry[],
  datanet: string,
  where: {train: RecordTensors; validation: RecordTensors; contributors: string[]} | undefined,
): RecordList {
  if (!where) return recordListOf(entries, datanet)
  const rebuild = () =>
    recordListOf(
      model.training.records.filter((e) => e.split === split),
      datanet,
    )
  return new FileRecords(entries.length, split === 'train' ? where.train : where.validation, where.contributors, datanet, rebuild)
}

/** The validation split, its matrix read from the state file (or rebuilt from the datanet) on demand. */
function validationOf(model: Model, records: RecordList, statePath: string, key: string, stateDir: string | undefined): ValidationSplit {
  return {
    records,
    matrix: async () => {
      const cached = loadValidationState(statePath, key)
      if (cached && cached.labelsVal.length === records.length) return {H: cached.Hval, labels: cached.labelsVal}
      const {Hval} = await trainingMatrices(model, stateDir)
      const labels = Int32Array.from(
        model.training.records.filter((e) => e.split === 'val'),
        (e) => e.label,
      )
      return {H: Hval, labels}
    },
  }
}

/**
 * The training and validation records' standardised encoder outputs, each in manifest order, from
 * the datanet version the model names, after checking that version against the root the model was
 * trained on.
 */
async function trainingMatrices(model: Model, stateDir?: string): Promise<{H: Float32Array; Hval: Float32Array}> {
  const t = model.training
  const version = t.datanet.version
  const source = await loadDatanetSource({
    name: t.datanet.name,
    version: version === 'draft' ? undefined : version,
    allowDraft: version === 'draft',
    stateDir,
  }).catch((err) => {
    throw new AttributionInputError(
      `the model's datanet ${t.datanet.name} version ${version} is not available here (${(err as Error).message.split('\n')[0]})`,
    )
  })
  if (source.root.toLowerCase() !== t.datanet.root.toLowerCase()) {
    throw new AttributionInputError(
      `the model was trained on ${t.datanet.name} with root ${t.datanet.root}, but the local version has root ${source.root}`,
    )
  }
  const byHash = new Map(source.records.map((r) => [r.recordHash.toLowerCase(), r]))
  // Training rows first, then validation rows: one encoding pass (both are in the embedding cache).
  const rows = [...t.records.filter((r) => r.split === 'train'), ...t.records.filter((r) => r.split === 'val')]
  const nTrain = rows.findIndex((r) => r.split === 'val')
  const texts: string[] = []
  for (const entry of rows) {
    const rec = byHash.get(entry.recordHash.toLowerCase())
    const text = rec?.fields[model.config.text_field]
    if (!rec || typeof text !== 'string')
      throw new AttributionInputError(`training record ${entry.recordHash} is missing from ${t.datanet.name}`)
    texts.push(text)
  }
  const {vectors} = await encodeRecords(
    model.encoder,
    rows.map((r) => r.recordHash),
    texts,
    {textField: model.config.text_field},
  )
  const all = standardize(vectors, model.weights.D, model.standardizer)
  const split = (nTrain < 0 ? rows.length : nTrain) * model.weights.D
  return {H: all.slice(0, split), Hval: all.slice(split)}
}

/** The head Hessian, factored once per model and cached under the cache dir (never in the artifact). */
export function headHessian(ma: ModelAttribution): HeadHessian {
  ma.hessian ??= loadOrFactorHeadHessian(
    ma.attributor,
    join(cacheDir(), 'attribution', `${ma.modelId.replace(/[^a-zA-Z0-9]/g, '_')}.hessian.safetensors`),
  )
  return ma.hessian
}

/** Per-record influence of every training record on the answer for one query vector. */
export function scoreQuery(ma: ModelAttribution, h: Float32Array, method: GradientMethod, label?: number): Float64Array {
  const q = {h, label}
  switch (method) {
    case 'if':
      return headInfluenceScores(ma.attributor, headHessian(ma), q)
    case 'tracin':
      if (ma.attributor.input.checkpoints.length === 0) throw new NoCheckpointsError()
      return tracInScores(ma.attributor, q)
    case 'graddot':
      return gradDotScores(ma.attributor, q)
    case 'representer':
      return representerScores(ma.attributor, q)
  }
}

export type AttributedPrediction = {
  label: string
  probabilities: Record<string, number>
  attribution: {
    method: GradientMethod
    records: Array<{recordHash: string; contributor: string; score: number}>
    contributors: Array<{address: string; weight: string}>
    datanets: Array<{datanet: string; weight: string}>
  }
  receipt: Receipt
}

/** Predicts and attributes each text: records sorted proponents first, weights summing to 1e18. */
export async function attributeTexts(
  ma: ModelAttribution,
  texts: string[],
  opts: {method?: GradientMethod; topK?: number} = {},
): Promise<AttributedPrediction[]> {
  const method = opts.method ?? 'if'
  const out = await predict(ma.model, texts)
  const {D} = ma.model.weights
  const queries = out.predictions.map((p, i) => ({h: out.h.slice(i * D, (i + 1) * D), label: ma.model.config.labels.indexOf(p.label)}))
  // The influence function runs its pass over the records through ONNX Runtime, all texts at once.
  let batched: Float64Array[] | undefined
  if (method === 'if') {
    const {N} = ma.attributor.input
    ma.matmul ??= await RowMatmul.create(ma.attributor.input.H, N, D)
    batched = await headInfluenceScoresBatch(ma.attributor, headHessian(ma), queries, ma.matmul)
  }
  return out.predictions.map((p, i) =>
    attributedPrediction(ma, p, batched?.[i] ?? scoreQuery(ma, queries[i].h, method, queries[i].label), texts[i], method, opts.topK),
  )
}

/** A prediction with its attribution and receipt, from the per-record scores of its query. */
export function attributedPrediction(
  ma: Pick<QueryAttribution, 'model' | 'modelId' | 'records'>,
  p: {label: string; probabilities: Record<string, number>},
  scores: ArrayLike<number> | {candidates: ReadonlyArray<{index: number; score: number}>},
  text: string,
  method: GradientMethod,
  topK = 20,
): AttributedPrediction {
  const receipt = buildReceipt({
    method,
    model: ma.modelId,
    checkpoint: `epoch-${ma.model.bestEpoch}`,
    inputHash: textHash(text),
    outputHash: textHash(p.label),
    // All N scores (a loaded model), or the candidates a streamed pass kept: the same receipt.
    ...('candidates' in scores ? {candidates: scores.candidates} : {scores}),
    records: ma.records,
    topK,
  })
  return {
    label: p.label,
    probabilities: p.probabilities,
    attribution: {method, records: receipt.records, contributors: receipt.contributors, datanets: receipt.datanets},
    receipt,
  }
}

export type SelfInfluenceRecord = {
  recordHash: string
  contributor: string
  label: string
  /** The ranking score: the record's estimated loss when left out of training (see below). */
  selfInfluence: number
  /** The record's training loss, −log p(label), under the final weights. */
  loss: number
  /** g_iᵀ H⁻¹ g_i (head IF) or Σ_k lr_k |g_i|² (TracIn): how much the record's fit rests on itself. */
  influence: number
  /** Whether the record was in the training split (false: the validation split, held out). */
  inTraining: boolean
}

/**
 * Self-influence of every record of the datanet version the model was trained on, highest first:
 * the data-quality audit. The validation split is scored too (its records' loss and leverage under
 * the final model, against the training Hessian), each record saying which split it was in.
 *
 * With the influence function, the score is the first-order estimate of the record's own loss had
 * it been left out, loss_i + g_iᵀ H⁻¹ g_i / N: a mislabelled record has a high loss that only
 * memorising it can lower, so it scores high on both terms. The quadratic form alone also ranks
 * high-leverage (unusual but correct) records first; on real text adding the loss separates
 * flipped labels better (measured in docs/attribution.md). With TracIn the score is its self term.
 */
export async function selfInfluenceRecords(ma: ModelAttribution, method: 'if' | 'tracin' = 'if'): Promise<SelfInfluenceRecord[]> {
  const {N, C} = ma.attributor.input
  const v = ma.validation
  // Held-out rows under the same weights: the attributor's per-record quantities for those rows.
  const parts = [{att: ma.attributor, records: ma.records, inTraining: true}]
  if (v && v.records.length > 0) {
    const m = await v.matrix()
    parts.push({
      att: createAttributor({...ma.attributor.input, N: v.records.length, H: m.H, labels: m.labels}),
      records: v.records,
      inTraining: false,
    })
  }
  const out: SelfInfluenceRecord[] = []
  for (const part of parts) {
    const {labels} = part.att.input
    // The influence function's quadratic forms run through ONNX Runtime's MatMul, as queries do.
    const influence = method === 'if' ? await selfInfluenceBatched(part.att, headHessian(ma)) : selfTracIn(part.att)
    const pr = part.att.final.Pr
    part.records.access((at) => {
      for (let i = 0; i < part.records.length; i++) {
        const r = at.meta(i)
        const loss = crossEntropy(pr, labels[i], i * C)
        out.push({
          recordHash: r.recordHash,
          contributor: r.contributor,
          label: ma.model.config.labels[labels[i]],
          selfInfluence: method === 'if' ? loss + influence[i] / N : influence[i],
          loss,
          influence: influence[i],
          inTraining: part.inTraining,
        })
      }
    })
  }
  return out.sort((a, b) => b.selfInfluence - a.selfInfluence)
}
