import {existsSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'

import type {DeviceRequest} from './backend.js'
import {type ArtifactConfig, ARTIFACT_FORMAT, type TrainingManifest, readArtifactJson, readWeightsFile} from './artifact.js'
import {type Encoder, loadEncoder} from './encoders/index.js'
import {ArtifactError} from './errors.js'
import type {Standardizer} from './fit.js'
import {Workspace, type Weights, forwardRow} from './math.js'

/**
 * A loaded artifact: what answering needs (config, weights, standardiser, encoder) and nothing
 * more. training.json (every training record: 21 MiB for 100k records) stays on disk and is read
 * only by what needs it (attribution, once per model).
 */
export type Model = {
  path: string
  config: ArtifactConfig
  /** training.json, read from disk on each access (not kept): see readTraining. */
  readonly training: TrainingManifest
  /** The epoch whose weights are model.safetensors (read from training.json once, then kept). */
  readonly bestEpoch: number
  weights: Weights
  standardizer: Standardizer
  encoder: Encoder
  device: string
  dispose(): Promise<void>
}

export type Prediction = {label: string; probabilities: Record<string, number>}

export type PredictReturnType = {
  predictions: Prediction[]
  /** n × D: the encoder's output (L2-normalised). */
  embeddings: Float32Array
  /** n × D: standardised embeddings, the adapter's input. */
  h: Float32Array
  /** n × D: h + B·A·h, the head's input (the bias feature 1 is implicit). */
  hPrime: Float32Array
  /** n × C softmax probabilities, in config.labels order. */
  probs: Float32Array
}

/**
 * Resolves `--model` to an artifact folder. Only folders today; names and CIDs resolve here too
 * once the content store and registry exist.
 */
export function resolveModelPath(ref: string): string {
  const path = resolve(ref)
  if (existsSync(path) && statSync(path).isDirectory()) return path
  throw new ArtifactError(`--model ${ref}: no model artifact folder there`)
}

export type LoadModelOptions = {device?: DeviceRequest; allowRemote?: boolean; encoder?: Encoder}

/** Reads and validates an artifact folder, then loads its encoder (checking the encoder hash). */
export async function loadModel(ref: string, options: LoadModelOptions = {}): Promise<Model> {
  const path = resolveModelPath(ref)
  const config = readArtifactJson<ArtifactConfig>(join(path, 'config.json'), 'config')
  if (config.format !== ARTIFACT_FORMAT || !Array.isArray(config.labels) || !config.tensors || !config.encoder) {
    throw new ArtifactError(`${join(path, 'config.json')} is corrupt: not an ${ARTIFACT_FORMAT} config`)
  }
  const trainingPath = join(path, 'training.json')
  if (!existsSync(trainingPath)) throw new ArtifactError(`${trainingPath} is missing: not a complete model artifact (training manifest)`)
  const {weights, standardizer} = readWeightsFile(join(path, 'model.safetensors'), config)
  let encoder = options.encoder
  let device = encoder?.device ?? options.device ?? 'auto'
  if (!encoder) {
    const loaded = await loadEncoder({encoder: config.encoder.spec, device: options.device, allowRemote: options.allowRemote})
    encoder = loaded.encoder
    device = loaded.device.device
  }
  if (encoder.hash !== config.encoder.hash || encoder.dim !== config.hidden_size) {
    const got = encoder.hash
    if (!options.encoder) await encoder.dispose()
    throw new ArtifactError(`${path} was trained with encoder ${config.encoder.id} (${config.encoder.hash}), but the one found is ${got}`)
  }
  const own = !options.encoder
  const enc = encoder
  let bestEpoch: number | undefined
  return {
    path,
    config,
    get training() {
      return readTraining(path)
    },
    get bestEpoch() {
      bestEpoch ??= readTraining(path).metrics.bestEpoch
      return bestEpoch
    },
    weights,
    standardizer,
    encoder: enc,
    device,
    dispose: async () => (own ? enc.dispose() : undefined),
  }
}

/** Reads an artifact's training.json (the manifest of every training record). */
export function readTraining(artifactPath: string): TrainingManifest {
  return readArtifactJson<TrainingManifest>(join(artifactPath, 'training.json'), 'training manifest')
}

/** Runs the adapter and head on precomputed encoder outputs (n × D). */
export function predictEmbeddings(model: Pick<Model, 'weights' | 'standardizer' | 'config'>, embeddings: Float32Array): PredictReturnType {
  const {D, C} = model.weights
  const n = embeddings.length / D
  const {mean, scale} = model.standardizer
  const h = new Float32Array(embeddings.length)
  for (let off = 0; off < h.length; off += D) for (let d = 0; d < D; d++) h[off + d] = (embeddings[off + d] - mean[d]) * scale[d]
  const hPrime = new Float32Array(h.length)
  const probs = new Float32Array(n * C)
  const ws = new Workspace(D, C, model.weights.r)
  const predictions: Prediction[] = []
  for (let i = 0; i < n; i++) {
    forwardRow(model.weights, h, i, ws)
    hPrime.set(ws.hp, i * D)
    probs.set(ws.p, i * C)
    let best = 0
    for (let c = 1; c < C; c++) if (ws.p[c] > ws.p[best]) best = c
    const probabilities: Record<string, number> = {}
    model.config.labels.forEach((l, c) => (probabilities[l] = ws.p[c]))
    predictions.push({label: model.config.labels[best], probabilities})
  }
  return {predictions, embeddings, h, hPrime, probs}
}

/** Encodes texts (batched) and predicts; results in input order. */
export async function predict(model: Model, texts: string[]): Promise<PredictReturnType> {
  const embeddings = texts.length ? await model.encoder.encode(texts) : new Float32Array(0)
  return predictEmbeddings(model, embeddings)
}
