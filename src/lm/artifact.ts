/**
 * A generative model artifact: a LoRA adapter fine-tuned on a datanet version, in PEFT's layout
 * (adapter_config.json + adapter_model.safetensors, loadable by PEFT, vLLM, LoRAX), with the
 * openledger files beside it: training.json (datanet root, records used and their split,
 * hyperparameters, per-epoch losses, the base's sha256), a model card and the loss curve. The folder
 * is written under a temporary name and renamed, so it appears whole or not at all.
 */
import {randomBytes} from 'node:crypto'
import {copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {canonicalJson, sha256Hex} from '../model/config.js'
import type {TrainSource} from '../model/datanet-source.js'
import {TrainingDataError} from '../model/errors.js'
import {trainingCurveSvg} from '../model/svg.js'
import {stateDir} from '../store/paths.js'
import {LM_ARTIFACT_KIND, type LmTrainingManifest, isLmArtifact} from './artifact-files.js'
import {type LmRecord, tokenizeRecords} from './data.js'
import {type LmDevice, type LmDeviceRequest, describeLmDevice, selectLmDevice} from './device.js'
import {type LlamaBase, loadLlamaBase} from './load.js'
import {type LoraAdapter, type LoraConfig, disposeLora, loraFromPeft} from './lora.js'
import {LmModelError} from './errors.js'
import type {Tensor} from '../model/safetensors.js'
import {disposeLlama} from './model.js'
import {type LoraWeight, baseWeightsSha256, peftTensorName, readPeftAdapter, writePeftAdapter} from './peft.js'
import {
  DEFAULT_HYPERPARAMETERS,
  type LmEpochRecord,
  type LmHyperparameters,
  type LmTrainProgress,
  evaluateLoss,
  latestCheckpoint,
  learningRate,
  trainLora,
} from './train.js'
import {GRADIENT_STORE_FILE, computeGradientStore, writeGradientStore} from '../attribution/generative/store.js'

export {LM_ARTIFACT_KIND, type LmTrainingManifest, isLmArtifact}

/** The default base that ships with openledger (assets/lm/openledger-base). */
export const DEFAULT_BASE_DIR = fileURLToPath(new URL('../../assets/lm/openledger-base', import.meta.url))

export type TrainLmArtifactParameters = {
  source: TrainSource
  /** Base model folder (default: the shipped base). */
  baseDir?: string
  hyperparameters?: Partial<LmHyperparameters>
  device?: LmDeviceRequest
  /** Artifact folder (default: .openledger/models/<datanet>-v<version>-<hash>). */
  out?: string
  /** Continue from the latest epoch checkpoint of the same run (same data, base and hyperparameters). */
  resume?: boolean
  excludeRecords?: string[]
  /**
   * Per-record LoRA gradients under every epoch's adapter, stored in the artifact
   * (lm-gradients.safetensors, with the epochs' adapters under checkpoints/) for attributing
   * generated text. Default true; JL-projected to `gradientDim` values per LoRA tensor (default 64).
   */
  gradients?: boolean
  gradientDim?: number
  onDevice?: (device: LmDevice, description: string) => void
  onProgress?: (p: LmTrainProgress) => void
}

export type TrainLmArtifactResult = {
  artifact: {path: string; configHash: string}
  device: string
  records: {total: number; train: number; val: number; excluded: number}
  metrics: LmTrainingManifest['metrics']
  checkpoints: string
}

/** Records → `{text}` or `{prompt, response}`; one layout for the whole datanet, named when missing. */
export function lmRecords(
  source: TrainSource,
  excluded: Set<string>,
): {records: TrainSource['records']; lm: LmRecord[]; format: LmTrainingManifest['format']} {
  const where = `datanet ${source.name} version ${source.version}`
  if (source.records.length === 0) throw new TrainingDataError(`${where} has no records`)
  const records = source.records.filter((r) => !excluded.has(r.recordHash.toLowerCase()))
  if (records.length === 0) throw new TrainingDataError(`${where}: all ${source.records.length} records are excluded`)
  const isStr = (v: unknown) => typeof v === 'string' && v.trim() !== ''
  // A text datanet stores its text field as "text": a prompt/response datanet ingested with
  // --text-field prompt has {text: <prompt>, response}.
  const promptOf = (f: Record<string, unknown>) => (f.prompt !== undefined ? f.prompt : f.text)
  const format = isStr(records[0].fields.response) ? 'prompt-response' : 'text'
  const lm = records.map((r) => {
    const ok = format === 'prompt-response' ? isStr(promptOf(r.fields)) && isStr(r.fields.response) : isStr(r.fields.text)
    if (!ok) {
      throw new TrainingDataError(
        `record ${r.recordHash} in ${where} has no usable ${format === 'prompt-response' ? '"prompt" and "response"' : '"text"'} string field${format === 'prompt-response' ? 's' : ''}`,
        [
          `A generative model trains on a "text" field, or on "prompt" and "response" fields; this record has: ${Object.keys(r.fields).join(', ')}.`,
        ],
      )
    }
    return format === 'prompt-response'
      ? {prompt: promptOf(r.fields) as string, response: r.fields.response as string}
      : {text: r.fields.text as string}
  })
  return {records, lm, format}
}

/** training.json's config and its hash: what `dev` compares to decide whether to retrain. */
export function lmConfigHash(
  hyperparameters: Partial<LmHyperparameters>,
  baseSha256: string,
): {config: LmTrainingManifest['config']; configHash: string} {
  const config = {kind: LM_ARTIFACT_KIND, base: baseSha256, ...DEFAULT_HYPERPARAMETERS, ...hyperparameters} as LmTrainingManifest['config']
  return {config, configHash: sha256Hex(canonicalJson(config))}
}

/** Trains a LoRA adapter on a datanet version and writes the artifact folder whole. */
export async function trainLmArtifact(params: TrainLmArtifactParameters): Promise<TrainLmArtifactResult> {
  const {source} = params
  const h: LmHyperparameters = {...DEFAULT_HYPERPARAMETERS, ...params.hyperparameters}
  const excludedList = [...new Set((params.excludeRecords ?? []).map((x) => x.trim().toLowerCase()).filter(Boolean))].sort()
  const {records, lm, format} = lmRecords(source, new Set(excludedList))
  const baseDir = resolve(params.baseDir ?? DEFAULT_BASE_DIR)
  const device = await selectLmDevice(params.device ?? 'auto')
  params.onDevice?.(device, describeLmDevice(device))
  const base: LlamaBase = await loadLlamaBase(baseDir)
  try {
    const baseSha = baseWeightsSha256(baseDir)
    const examples = tokenizeRecords(base.tokenizer, lm, h.cutoff_len)
    const {config, configHash} = lmConfigHash(h, baseSha)
    const runId = sha256Hex(canonicalJson({root: source.root, config: configHash, excluded: excludedList})).slice(2, 10)
    const path = resolve(params.out ?? join(stateDir(), 'models', `${source.name}-v${source.version}-${runId}`))
    // Checkpoints live outside the artifact, keyed by the run, so --resume finds them after a crash.
    const checkpoints = join(stateDir(), 'checkpoints', `${source.name}-v${source.version}-${runId}`)
    const resume = params.resume && latestCheckpoint(checkpoints) ? true : undefined
    const pad = base.tokenizer.padTokenId ?? base.tokenizer.eosTokenId ?? 0
    const result = await trainLora({
      model: base.model,
      examples,
      hyperparameters: h,
      checkpointDir: checkpoints,
      resume,
      onProgress: params.onProgress,
      padTokenId: pad,
    })
    try {
      const valExamples = result.valIndices.map((i) => examples[i])
      // The base alone on the same held-out records: what the adapter has to beat.
      const baseValLoss = valExamples.length
        ? await evaluateLoss(base.model, undefined, valExamples, h.per_device_train_batch_size, pad)
        : null
      const best = result.history.find((e) => e.epoch === result.bestEpoch)
      const valSet = new Set(result.valIndices)
      const training: LmTrainingManifest = {
        kind: LM_ARTIFACT_KIND,
        datanet: {name: source.name, id: source.datanetId, version: source.version, root: source.root},
        base: {name: basename(baseDir), path: baseDir, sha256: baseSha},
        format,
        hyperparameters: h,
        config,
        configHash,
        device: device.device,
        metrics: {
          epochs: result.history,
          bestEpoch: result.bestEpoch,
          stoppedEarly: result.stoppedEarly,
          baseValLoss,
          bestValLoss: best?.valLoss ?? null,
          trainTokens: result.trainTokens,
          tokensPerSecond: result.tokensPerSecond,
        },
        split: {train: result.trainIndices.length, val: result.valIndices.length},
        excludedRecords: excludedList,
        records: records.map((r, i) => ({recordHash: r.recordHash, contributor: r.contributor, split: valSet.has(i) ? 'val' : 'train'})),
      }
      const weights: LoraWeight[] = []
      for (let layer = 0; layer < base.config.numLayers; layer++) {
        for (const module of result.loraConfig.targetModules) {
          const a = result.peft[peftTensorName(layer, module, 'A')]
          const b = result.peft[peftTensorName(layer, module, 'B')]
          weights.push({layer, module, a, b})
        }
      }
      // Gradients under each epoch's adapter (TracIn), the best one answering (DataInf); rows are
      // training.json's records, in that order.
      const steps =
        Math.ceil(Math.ceil(result.trainIndices.length / h.per_device_train_batch_size) / h.gradient_accumulation_steps) *
        h.num_train_epochs
      const epochs = result.history.filter((e) => existsSync(join(checkpoints, `checkpoint-epoch-${e.epoch}`, 'adapter_model.safetensors')))
      const writeGradients =
        params.gradients === false || epochs.length === 0
          ? undefined
          : async (dir: string) => {
              const ckpts = epochs.map((e) => {
                const file = join(dir, 'checkpoints', `epoch-${e.epoch}`, 'adapter_model.safetensors')
                mkdirSync(dirname(file), {recursive: true})
                copyFileSync(join(checkpoints, `checkpoint-epoch-${e.epoch}`, 'adapter_model.safetensors'), file)
                return {name: `epoch-${e.epoch}`, adapter: file, lr: learningRate(h, Math.max(0, e.step - 1), steps)}
              })
              const answering = ckpts.find((c) => c.name === `epoch-${result.bestEpoch}`)?.name
              const store = await computeGradientStore({
                model: base.model,
                examples,
                checkpoints: ckpts,
                answering,
                loraConfig: result.loraConfig,
                baseSha256: baseSha,
                projection: {dim: params.gradientDim ?? 64, seed: h.seed},
                recordHashes: records.map((r) => r.recordHash),
              })
              writeGradientStore(join(dir, GRADIENT_STORE_FILE), store)
            }
      await writeLmArtifact(path, {
        writeGradients,
        settings: {
          r: h.lora_rank,
          alpha: h.lora_alpha,
          dropout: h.lora_dropout,
          targetModules: result.loraConfig.targetModules,
          baseModel: basename(baseDir),
          baseSha256: baseSha,
        },
        weights,
        training,
      })
      return {
        artifact: {path, configHash},
        device: device.device,
        records: {
          total: records.length,
          train: result.trainIndices.length,
          val: result.valIndices.length,
          excluded: source.records.length - records.length,
        },
        metrics: training.metrics,
        checkpoints,
      }
    } finally {
      disposeLora(result.adapter)
    }
  } finally {
    disposeLlama(base.model)
  }
}

async function writeLmArtifact(
  path: string,
  p: {
    settings: Parameters<typeof writePeftAdapter>[1]['settings']
    weights: LoraWeight[]
    training: LmTrainingManifest
    writeGradients?: (dir: string) => Promise<void>
  },
): Promise<void> {
  const parent = dirname(path)
  mkdirSync(parent, {recursive: true})
  const tmp = join(parent, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    mkdirSync(tmp)
    writePeftAdapter(
      tmp,
      {settings: p.settings, weights: p.weights},
      {card: lmModelCard(p.training, p.settings.targetModules, p.settings.r)},
    )
    writeFileSync(join(tmp, 'training.json'), JSON.stringify(p.training, null, 2) + '\n')
    await p.writeGradients?.(tmp)
    const m = p.training.metrics
    const epochs = m.epochs.map((e) => ({
      epoch: e.epoch,
      trainLoss: e.trainLoss,
      valLoss: e.valLoss ?? null,
      valAccuracy: null,
      learningRate: p.training.hyperparameters.learning_rate,
      seconds: 0,
    }))
    writeFileSync(join(tmp, 'training-curve.svg'), trainingCurveSvg(epochs, m.bestEpoch))
    let old: string | undefined
    if (existsSync(path)) {
      old = join(parent, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.old`)
      renameSync(path, old)
    }
    renameSync(tmp, path)
    if (old) rmSync(old, {recursive: true, force: true})
  } catch (err) {
    rmSync(tmp, {recursive: true, force: true})
    throw err
  }
}

function lmModelCard(t: LmTrainingManifest, targets: string[], r: number): string {
  const m = t.metrics
  const f = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(4))
  return `---
library_name: peft
base_model: ${JSON.stringify(t.base.name)}
pipeline_tag: text-generation
tags:
  - openledger
  - lora
datasets:
  - ${JSON.stringify(t.datanet.name)}
---

# ${t.datanet.name} LoRA adapter

A LoRA adapter fine-tuned with \`openledger train --task generate\` on datanet **${t.datanet.name}** (id ${t.datanet.id ?? 'local only'}, version ${t.datanet.version}, Merkle root \`${t.datanet.root}\`).

- Base: \`${t.base.name}\` (weights sha256 \`${t.base.sha256}\`)
- LoRA r = ${r}, alpha = ${t.hyperparameters.lora_alpha}, on ${targets.join(', ')}; records as ${t.format === 'text' ? 'causal LM on "text"' : '"prompt" → "response" (loss on the response)'}
- ${t.split.train} training records, ${t.split.val} validation; best epoch ${m.bestEpoch} of ${m.epochs.length}
- Validation loss (mean per token): base ${f(m.baseValLoss)}, adapter ${f(m.bestValLoss)}
- Config hash \`${t.configHash}\`, seed ${t.hyperparameters.seed}, device ${t.device}

![loss curve](training-curve.svg)

## Use

\`\`\`sh
openledger infer --model <this folder> --prompt "…"
openledger export --format gguf --model <this folder>
\`\`\`

Files: \`adapter_config.json\` + \`adapter_model.safetensors\` (PEFT's layout), \`training.json\` (datanet version, hyperparameters, losses, records),
\`checkpoints/epoch-<n>/adapter_model.safetensors\` and \`lm-gradients.safetensors\` (per-record LoRA gradients for attribution).
`
}

/**
 * The base folder an adapter was trained on: training.json's base path, else the shipped base,
 * whichever has the weights hash the adapter names. One line when neither does.
 */
export function adapterBaseDir(adapterDir: string, override?: string): string {
  const adapter = readPeftAdapter(adapterDir)
  const candidates: string[] = []
  if (override) candidates.push(resolve(override))
  const manifest = join(adapterDir, 'training.json')
  if (existsSync(manifest)) {
    const t = JSON.parse(readFileSync(manifest, 'utf8')) as Partial<LmTrainingManifest>
    if (t.base?.path) candidates.push(t.base.path)
  }
  candidates.push(DEFAULT_BASE_DIR)
  for (const dir of candidates) {
    if (!existsSync(dir)) continue
    if (!adapter.settings.baseSha256 || baseWeightsSha256(dir) === adapter.settings.baseSha256) return dir
    if (dir === override)
      throw new LmModelError(
        `${override}: its weights are not the ones ${adapterDir} was trained on (sha256 ${adapter.settings.baseSha256.slice(0, 12)}…)`,
      )
  }
  throw new LmModelError(
    `${adapterDir}: its base (sha256 ${adapter.settings.baseSha256.slice(0, 12)}…, "${adapter.settings.baseModel}") is not on this machine`,
    {
      metaMessages: ['Give the base model folder with --base.'],
    },
  )
}

/** Reads an adapter folder as a LoRA binding for `base` (shapes and base hash checked). */
export function loadAdapter(adapterDir: string, base: LlamaBase): LoraAdapter {
  const p = readPeftAdapter(adapterDir, {baseDir: base.dir})
  const tensors: Record<string, Tensor> = {}
  for (const w of p.weights) {
    tensors[peftTensorName(w.layer, w.module, 'A')] = w.a
    tensors[peftTensorName(w.layer, w.module, 'B')] = w.b
  }
  const config: LoraConfig = {r: p.settings.r, alpha: p.settings.alpha, dropout: 0, targetModules: p.settings.targetModules}
  return loraFromPeft(tensors, base.config, config, {source: join(adapterDir, 'adapter_model.safetensors')})
}
