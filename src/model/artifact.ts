import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {ArtifactError} from './errors.js'
import type {EpochMetrics, Standardizer} from './fit.js'
import type {ModelConfig} from './config.js'
import type {Weights} from './math.js'
import {type Tensor, decodeSafetensors, encodeSafetensors} from './safetensors.js'
import {trainingCurveSvg} from './svg.js'

export const ARTIFACT_FORMAT = 'openledger-text-classifier'
export const ARTIFACT_FORMAT_VERSION = 1

/** config.json of an artifact. */
export type ArtifactConfig = {
  format: typeof ARTIFACT_FORMAT
  formatVersion: number
  architecture: string
  labels: string[]
  num_labels: number
  hidden_size: number
  lora_rank: number
  text_field: string
  label_field: string
  encoder: {id: string; spec: string; kind: 'builtin' | 'transformers'; hash: string; dim: number}
  /** Name → shape of every tensor in model.safetensors and checkpoints/epoch-<n>.safetensors. */
  tensors: Record<string, number[]>
}

export type TrainingRecordEntry = {recordHash: string; contributor: string; label: number; split: 'train' | 'val'}

/** training.json of an artifact: everything needed to reproduce, audit or attribute the model. */
export type TrainingManifest = {
  datanet: {name: string; id: string | null; version: number | 'draft'; root: string}
  encoder: {id: string; hash: string}
  config: ModelConfig
  configHash: string
  seed: number
  device: string
  metrics: {epochs: EpochMetrics[]; bestEpoch: number; stoppedEarly: boolean; best: EpochMetrics}
  checkpoints: {epoch: number; learningRate: number; path: string}[]
  excludedRecords: string[]
  /** Every record used, in datanet order; `label` indexes config.json's labels. */
  records: TrainingRecordEntry[]
}

export function weightTensors(w: Weights, s: Standardizer): Record<string, Tensor> {
  return {
    'adapter.A': {shape: [w.r, w.D], data: w.A},
    'adapter.B': {shape: [w.D, w.r], data: w.B},
    'head.W': {shape: [w.C, w.D + 1], data: w.W},
    'input.mean': {shape: [w.D], data: s.mean},
    'input.scale': {shape: [w.D], data: s.scale},
  }
}

export type WriteArtifactParameters = {
  path: string
  config: ArtifactConfig
  training: TrainingManifest
  weights: Weights
  standardizer: Standardizer
  checkpoints: {epoch: number; weights: Weights}[]
}

/**
 * Writes the artifact folder whole or not at all: everything goes to a temp folder beside the
 * target, which is renamed into place last (an existing artifact there is replaced).
 */
export function writeArtifact(p: WriteArtifactParameters): void {
  const parent = dirname(p.path)
  mkdirSync(parent, {recursive: true})
  const tmp = join(parent, `.${basename(p.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    mkdirSync(join(tmp, 'checkpoints'), {recursive: true})
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(p.config, null, 2) + '\n')
    writeFileSync(join(tmp, 'model.safetensors'), encodeSafetensors(weightTensors(p.weights, p.standardizer), {format: 'pt'}))
    for (const c of p.checkpoints) {
      writeFileSync(
        join(tmp, 'checkpoints', `epoch-${c.epoch}.safetensors`),
        encodeSafetensors(weightTensors(c.weights, p.standardizer), {format: 'pt', epoch: String(c.epoch)}),
      )
    }
    writeFileSync(join(tmp, 'training.json'), JSON.stringify(p.training, null, 2) + '\n')
    writeFileSync(join(tmp, 'README.md'), modelCard(p.config, p.training))
    writeFileSync(join(tmp, 'training-curve.svg'), trainingCurveSvg(p.training.metrics.epochs, p.training.metrics.bestEpoch))
    let old: string | undefined
    if (existsSync(p.path)) {
      old = join(parent, `.${basename(p.path)}.${process.pid}.${randomBytes(4).toString('hex')}.old`)
      renameSync(p.path, old)
    }
    renameSync(tmp, p.path)
    if (old) rmSync(old, {recursive: true, force: true})
  } catch (err) {
    rmSync(tmp, {recursive: true, force: true})
    throw err
  }
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : (x * 100).toFixed(1) + '%'
}

export function modelCard(config: ArtifactConfig, t: TrainingManifest): string {
  const best = t.metrics.best
  const fm = [
    '---',
    'library_name: openledger',
    'pipeline_tag: text-classification',
    'tags:',
    '  - openledger',
    '  - text-classification',
    '  - adapter',
    `base_model: ${JSON.stringify(config.encoder.id)}`,
    'datasets:',
    `  - ${JSON.stringify(t.datanet.name)}`,
    'metrics:',
    '  - accuracy',
    'model-index:',
    `  - name: ${JSON.stringify(`${t.datanet.name}-classifier`)}`,
    '    results:',
    '      - task:',
    '          type: text-classification',
    '        dataset:',
    `          name: ${JSON.stringify(t.datanet.name)}`,
    `          type: ${JSON.stringify(`openledger-datanet/${t.datanet.id ?? 'local'}`)}`,
    '          split: validation',
    '        metrics:',
    '          - type: accuracy',
    `            value: ${best.valAccuracy === null ? 'null' : best.valAccuracy.toFixed(4)}`,
    '---',
  ]
  const counts = config.labels.map((l, i) => `| ${l} | ${t.records.filter((r) => r.label === i && r.split === 'train').length} |`)
  return `${fm.join('\n')}

# ${t.datanet.name} text classifier

A text classifier trained with \`openledger train\` on datanet **${t.datanet.name}** (id ${t.datanet.id ?? 'local only'}, version ${t.datanet.version}, Merkle root \`${t.datanet.root}\`).

- Encoder (frozen): \`${config.encoder.id}\` (hash \`${config.encoder.hash}\`), ${config.hidden_size} dimensions
- Trainable part: low-rank residual adapter (rank ${config.lora_rank}) and a softmax head over ${config.num_labels} labels
- Input field \`${config.text_field}\`, label field \`${config.label_field}\`
- Best epoch ${t.metrics.bestEpoch} of ${t.metrics.epochs.length}: validation accuracy ${pct(best.valAccuracy)}, validation loss ${best.valLoss?.toFixed(4) ?? 'n/a'}
- Config hash \`${t.configHash}\`, seed ${t.seed}${t.excludedRecords.length ? `, ${t.excludedRecords.length} records excluded` : ''}

![training curve](training-curve.svg)

| label | training records |
|---|---|
${counts.join('\n')}

## Use

\`\`\`sh
openledger infer --model <this folder> --text "…"
\`\`\`

Files: \`config.json\` (labels, dimensions, encoder), \`model.safetensors\` (adapter.A, adapter.B, head.W, input.mean, input.scale),
\`checkpoints/epoch-<n>.safetensors\` (the same tensors after each epoch), \`training.json\` (datanet version, config, metrics, records).
`
}

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ArtifactError(`${path} is missing: not a complete model artifact (${what})`, err)
    throw new ArtifactError(`${path} cannot be read: ${(err as Error).message}`, err)
  }
}

export function readArtifactJson<T>(path: string, what: string): T {
  const text = readBytes(path, what).toString('utf8')
  try {
    return JSON.parse(text) as T
  } catch (err) {
    throw new ArtifactError(`${path} is corrupt: not valid JSON`, err)
  }
}

/** Reads and checks a weights file against config.json's shapes. */
export function readWeightsFile(path: string, config: ArtifactConfig): {weights: Weights; standardizer: Standardizer} {
  let tensors: Record<string, Tensor>
  try {
    tensors = decodeSafetensors(readBytes(path, 'weights')).tensors
  } catch (err) {
    if (err instanceof ArtifactError) throw err
    throw new ArtifactError(`${path} is corrupt: ${(err as Error).message}`, err)
  }
  for (const [name, shape] of Object.entries(config.tensors)) {
    const t = tensors[name]
    if (!t) throw new ArtifactError(`${path} is corrupt: tensor ${name} is missing`)
    if (t.shape.join('x') !== shape.join('x'))
      throw new ArtifactError(`${path} is corrupt: tensor ${name} has shape [${t.shape}], config.json says [${shape}]`)
  }
  const D = config.hidden_size
  return {
    weights: {
      D,
      C: config.num_labels,
      r: config.lora_rank,
      A: tensors['adapter.A'].data,
      B: tensors['adapter.B'].data,
      W: tensors['head.W'].data,
    },
    standardizer: {mean: tensors['input.mean'].data, scale: tensors['input.scale'].data},
  }
}
