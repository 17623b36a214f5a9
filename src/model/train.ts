import {createHash} from 'node:crypto'
import {join} from 'node:path'

import {stateDir} from '../store/paths.js'
import {type ArtifactConfig, ARTIFACT_FORMAT, ARTIFACT_FORMAT_VERSION, type TrainingManifest, writeArtifact} from './artifact.js'
import {EmbeddingCache} from './cache.js'
import {type ModelConfig, canonicalJson, configHash, sha256Hex} from './config.js'
import type {TrainSource} from './datanet-source.js'
import {type Encoder, loadEncoder} from './encoders/index.js'
import {TrainingDataError} from './errors.js'
import {type EpochMetrics, fit, fitStandardizer, standardize} from './fit.js'
import type {ProgressListener} from './progress.js'

export type TrainModelParameters = {
  source: TrainSource
  config: ModelConfig
  /** Artifact folder (default: .openledger/models/<datanet>-v<version>-<hash>). */
  out?: string
  /** Record hashes to leave out (leave-one-out and what-if retrains). */
  excludeRecords?: string[]
  /** An encoder already loaded (tests, benchmarks, repeated retrains); otherwise config.encoder on config.device. */
  encoder?: Encoder
  /** Whether a hub encoder may be downloaded (default: whether the hub answers). */
  allowRemote?: boolean
  /** Embedding cache; `false` disables it. */
  cache?: boolean
  onProgress?: ProgressListener
}

export type TrainModelReturnType = {
  artifact: {path: string; configHash: string}
  metrics: {
    bestEpoch: number
    epochs: number
    stoppedEarly: boolean
    trainLoss: number
    valLoss: number | null
    valAccuracy: number | null
    history: EpochMetrics[]
  }
  device: string
  encoder: {id: string; hash: string; dim: number}
  records: {total: number; train: number; val: number; excluded: number; encoded: number; cached: number}
  labels: string[]
}

/** Which records hold validation: a hash of (seed, record hash), so removing one record moves no other. */
export function isValidationRecord(recordHash: string, seed: number, valSize: number): boolean {
  if (valSize <= 0) return false
  return createHash('sha256').update(`val:${seed}:${recordHash.toLowerCase()}`).digest().readUInt32BE(0) / 2 ** 32 < valSize
}

function rowKey(recordHash: string): number {
  return createHash('sha256').update(recordHash.toLowerCase()).digest().readUInt32BE(0)
}

/** Checks fields and classes; returns texts and label indices. One line naming what is wrong. */
export function prepareRecords(source: TrainSource, config: ModelConfig, excluded: Set<string>) {
  const where = `datanet ${source.name} version ${source.version}`
  const records = source.records.filter((r) => !excluded.has(r.recordHash.toLowerCase()))
  if (source.records.length === 0) throw new TrainingDataError(`${where} has no records`)
  if (records.length === 0) throw new TrainingDataError(`${where}: all ${source.records.length} records are excluded by --exclude-records`)
  for (const [field, flag] of [
    [config.text_field, '--text-field'],
    [config.label_field, '--label-field'],
  ] as const) {
    const bad = records.filter((r) => {
      const v = r.fields[field]
      return field === config.text_field
        ? typeof v !== 'string' || v.trim() === ''
        : v === undefined || v === null || v === '' || typeof v === 'object'
    })
    if (bad.length) {
      const known = Object.keys(records[0].fields).join(', ')
      throw new TrainingDataError(
        `${bad.length} of ${records.length} records in ${where} have no usable "${field}" field (e.g. record ${bad[0].recordHash})`,
        [`Choose the field with ${flag}; the records' fields include: ${known}.`],
      )
    }
  }
  const labelOf = (r: (typeof records)[number]) => String(r.fields[config.label_field])
  const labels = [...new Set(records.map(labelOf))].sort()
  if (labels.length < 2) {
    throw new TrainingDataError(
      `${where} has only one class in "${config.label_field}" (${JSON.stringify(labels[0])}): a classifier needs at least two`,
    )
  }
  const index = new Map(labels.map((l, i) => [l, i]))
  return {
    records,
    labels,
    texts: records.map((r) => r.fields[config.text_field] as string),
    y: Int32Array.from(records.map((r) => index.get(labelOf(r))!)),
  }
}

/** Encodes texts, reading and filling the embedding cache; only records not cached are encoded. */
export async function encodeRecords(
  encoder: Encoder,
  recordHashes: string[],
  texts: string[],
  options: {cache?: boolean; textField?: string; onProgress?: ProgressListener; chunk?: number} = {},
): Promise<{vectors: Float32Array; encoded: number; cached: number}> {
  const D = encoder.dim
  const out = new Float32Array(texts.length * D)
  const cache = options.cache === false ? undefined : new EmbeddingCache(encoder.hash, D, options.textField ?? 'text')
  const missing = cache ? cache.getMany(recordHashes, out) : texts.map((_, i) => i)
  const cached = texts.length - missing.length
  const chunk = options.chunk ?? 1024
  const t0 = performance.now()
  options.onProgress?.({type: 'encode', done: cached, total: texts.length, cached, etaSeconds: null})
  for (let s = 0; s < missing.length; s += chunk) {
    const idx = missing.slice(s, s + chunk)
    const vecs = await encoder.encode(idx.map((i) => texts[i]))
    idx.forEach((i, k) => out.set(vecs.subarray(k * D, (k + 1) * D), i * D))
    if (cache)
      await cache.putMany(
        idx.map((i) => recordHashes[i]),
        vecs,
      )
    const done = s + idx.length
    const elapsed = (performance.now() - t0) / 1000
    options.onProgress?.({
      type: 'encode',
      done: cached + done,
      total: texts.length,
      cached,
      etaSeconds: (elapsed / done) * (missing.length - done),
    })
  }
  return {vectors: out, encoded: missing.length, cached}
}

/**
 * Trains adapter + head on a datanet version and writes the artifact folder.
 * Order: validate the data (before any encoder is loaded), encode (cached), fit, write whole.
 */
export async function trainModel(params: TrainModelParameters): Promise<TrainModelReturnType> {
  const {source, config, onProgress} = params
  const excludedList = [...new Set((params.excludeRecords ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean))].sort()
  const excluded = new Set(excludedList)
  const {records, labels, texts, y} = prepareRecords(source, config, excluded)
  onProgress?.({type: 'load', records: records.length, excluded: source.records.length - records.length})

  const ownEncoder = !params.encoder
  let encoder = params.encoder
  let device: string = encoder?.device ?? config.device
  if (!encoder) {
    const loaded = await loadEncoder({encoder: config.encoder, device: config.device, allowRemote: params.allowRemote})
    encoder = loaded.encoder
    device = loaded.device.device
    onProgress?.({type: 'device', device, requested: config.device})
  }
  try {
    const hashes = records.map((r) => r.recordHash)
    const {vectors, encoded, cached} = await encodeRecords(encoder, hashes, texts, {
      cache: params.cache,
      textField: config.text_field,
      onProgress,
    })
    const D = encoder.dim
    const isVal = records.map((r) => isValidationRecord(r.recordHash, config.seed, config.val_size))
    const trainRows = Int32Array.from(records.map((_, i) => i).filter((i) => !isVal[i]))
    const valRows = Int32Array.from(records.map((_, i) => i).filter((i) => isVal[i]))
    if (trainRows.length === 0)
      throw new TrainingDataError(
        `no training records left after the validation split (val_size ${config.val_size}, ${records.length} records)`,
      )
    const standardizer = fitStandardizer(vectors, D, trainRows)
    const X = standardize(vectors, D, standardizer)
    const result = await fit(
      {X, D, y, C: labels.length, rowKeys: Uint32Array.from(hashes.map(rowKey)), trainRows, valRows},
      config,
      onProgress,
    )

    const cHash = configHash(config)
    const runId = sha256Hex(canonicalJson({root: source.root, config: cHash, encoder: encoder.hash, excluded: excludedList})).slice(2, 10)
    const path = params.out ?? join(stateDir(), 'models', `${source.name}-v${source.version}-${runId}`)
    const best = result.epochs.find((e) => e.epoch === result.bestEpoch) ?? result.epochs[result.epochs.length - 1]
    const artifactConfig: ArtifactConfig = {
      format: ARTIFACT_FORMAT,
      formatVersion: ARTIFACT_FORMAT_VERSION,
      architecture: 'frozen-encoder + low-rank residual adapter + softmax head',
      labels,
      num_labels: labels.length,
      hidden_size: D,
      lora_rank: config.lora_rank,
      text_field: config.text_field,
      label_field: config.label_field,
      encoder: {id: encoder.id, spec: config.encoder, kind: encoder.kind, hash: encoder.hash, dim: D},
      tensors: {
        'adapter.A': [config.lora_rank, D],
        'adapter.B': [D, config.lora_rank],
        'head.W': [labels.length, D + 1],
        'input.mean': [D],
        'input.scale': [D],
      },
    }
    const training: TrainingManifest = {
      datanet: {name: source.name, id: source.datanetId, version: source.version, root: source.root},
      encoder: {id: encoder.id, hash: encoder.hash},
      config,
      configHash: cHash,
      seed: config.seed,
      device,
      metrics: {epochs: result.epochs, bestEpoch: result.bestEpoch, stoppedEarly: result.stoppedEarly, best},
      checkpoints: result.checkpoints.map((c) => ({
        epoch: c.epoch,
        learningRate: c.learningRate,
        path: `checkpoints/epoch-${c.epoch}.safetensors`,
      })),
      excludedRecords: excludedList,
      records: records.map((r, i) => ({
        recordHash: r.recordHash,
        contributor: r.contributor,
        label: y[i],
        split: isVal[i] ? 'val' : 'train',
      })),
    }
    writeArtifact({path, config: artifactConfig, training, weights: result.weights, standardizer, checkpoints: result.checkpoints})
    onProgress?.({type: 'write', path})
    return {
      artifact: {path, configHash: cHash},
      metrics: {
        bestEpoch: result.bestEpoch,
        epochs: result.epochs.length,
        stoppedEarly: result.stoppedEarly,
        trainLoss: best.trainLoss,
        valLoss: best.valLoss,
        valAccuracy: best.valAccuracy,
        history: result.epochs,
      },
      device,
      encoder: {id: encoder.id, hash: encoder.hash, dim: D},
      records: {
        total: source.records.length,
        train: trainRows.length,
        val: valRows.length,
        excluded: source.records.length - records.length,
        encoded,
        cached,
      },
      labels,
    }
  } finally {
    if (ownEncoder) await encoder.dispose()
  }
}
