/**
 * LoRA fine-tuning of a Llama base: AdamW (decoupled weight decay on the LoRA tensors, the only
 * trainable ones, as PEFT under the HF Trainer), gradient accumulation with the loss normalised by
 * the tokens of the whole accumulated step, gradient clipping, a learning-rate schedule, a
 * checkpoint after every epoch, early stopping on validation loss (the best epoch's adapter is
 * returned), and resumption from a checkpoint. Hyperparameters use LLaMA-Factory's names. The batch
 * order, the validation split, LoRA's init and dropout all derive from `seed`, so a run is
 * reproducible byte for byte on the CPU.
 */
import {existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'

import {type Tensor, encodeSafetensors} from '../model/safetensors.js'
import {mix32, sfc32} from '../model/prng.js'
import {writeFileAtomic, writeJsonAtomic} from '../store/atomic.js'
import type {LmExample} from './data.js'
import {LmTrainingError} from './errors.js'
import {type LoraAdapter, type LoraConfig, disposeLora, initLora, loraFromPeft, loraParams, loraToPeft, parseLoraTarget} from './lora.js'
import {type LlamaModel, bindLora, causalLmLossSum, forward} from './model.js'
import {readSafetensorsF32} from './weights.js'

export type LmHyperparameters = {
  learning_rate: number
  num_train_epochs: number
  per_device_train_batch_size: number
  gradient_accumulation_steps: number
  lora_rank: number
  lora_alpha: number
  lora_dropout: number
  /** Comma-separated PEFT module names, or "all". */
  lora_target: string
  cutoff_len: number
  /** A fraction of the records (< 1) or a count (≥ 1) held out for validation. */
  val_size: number
  seed: number
  weight_decay: number
  max_grad_norm: number
  lr_scheduler_type: 'linear' | 'cosine' | 'constant'
  warmup_ratio: number
  adam_beta1: number
  adam_beta2: number
  adam_epsilon: number
  /** Epochs without a lower validation loss before training stops (0: never stop early). */
  early_stopping_patience: number
}

export const DEFAULT_HYPERPARAMETERS: LmHyperparameters = {
  learning_rate: 1e-4,
  num_train_epochs: 3,
  per_device_train_batch_size: 4,
  gradient_accumulation_steps: 1,
  lora_rank: 8,
  lora_alpha: 16,
  lora_dropout: 0,
  lora_target: 'q_proj,v_proj',
  cutoff_len: 256,
  val_size: 0.1,
  seed: 42,
  weight_decay: 0,
  max_grad_norm: 1,
  lr_scheduler_type: 'cosine',
  warmup_ratio: 0,
  adam_beta1: 0.9,
  adam_beta2: 0.999,
  adam_epsilon: 1e-8,
  early_stopping_patience: 2,
}

export type LmTrainProgress = {
  phase: 'train' | 'eval'
  epoch: number
  epochs: number
  /** Optimizer steps done and planned in the whole run. */
  step: number
  totalSteps: number
  /** Mean token loss of the last optimizer step (train) or of the validation set (eval). */
  loss: number
  tokensPerSecond: number
  etaSeconds: number
}

export type LmEpochRecord = {epoch: number; step: number; trainLoss: number; valLoss?: number}

export type LmTrainResult = {
  adapter: LoraAdapter
  loraConfig: LoraConfig
  /** The adapter's tensors under PEFT's names (the best epoch's when there is a validation set). */
  peft: Record<string, Tensor>
  history: LmEpochRecord[]
  bestEpoch: number
  stoppedEarly: boolean
  /** Indices into the examples given: which trained, which validated. */
  trainIndices: number[]
  valIndices: number[]
  trainTokens: number
  tokensPerSecond: number
  hyperparameters: LmHyperparameters
}

export type TrainLoraArgs = {
  model: LlamaModel
  examples: LmExample[]
  hyperparameters?: Partial<LmHyperparameters>
  /** Checkpoints go to <dir>/checkpoint-epoch-<n>/ (adapter, optimizer state, trainer state). */
  checkpointDir?: string
  /** Continue from this checkpoint folder (or the latest one under `checkpointDir` when true). */
  resume?: string | true
  /** Stop after this many epochs of this call (the schedule still spans num_train_epochs). */
  stopAfterEpochs?: number
  onProgress?: (p: LmTrainProgress) => void
  padTokenId?: number
}

type TrainerState = {
  epoch: number
  step: number
  history: LmEpochRecord[]
  bestEpoch: number
  bestValLoss: number | null
  badEpochs: number
  trainTokens: number
  hyperparameters: LmHyperparameters
}

function checkHyperparameters(h: LmHyperparameters): void {
  const positiveInt = ['num_train_epochs', 'per_device_train_batch_size', 'gradient_accumulation_steps', 'lora_rank', 'cutoff_len'] as const
  for (const k of positiveInt)
    if (!Number.isInteger(h[k]) || h[k] <= 0) throw new LmTrainingError(`${k} must be a positive integer, got ${h[k]}`)
  if (!(h.learning_rate > 0)) throw new LmTrainingError(`learning_rate must be positive, got ${h.learning_rate}`)
  if (!(h.val_size >= 0)) throw new LmTrainingError(`val_size must be ≥ 0, got ${h.val_size}`)
  if (!Number.isInteger(h.seed)) throw new LmTrainingError(`seed must be an integer, got ${h.seed}`)
  if (!['linear', 'cosine', 'constant'].includes(h.lr_scheduler_type))
    throw new LmTrainingError(`lr_scheduler_type must be linear, cosine or constant, got ${h.lr_scheduler_type}`)
  if (!(h.early_stopping_patience >= 0)) throw new LmTrainingError(`early_stopping_patience must be ≥ 0, got ${h.early_stopping_patience}`)
}

/** Seeded Fisher–Yates. */
function shuffled(n: number, seed: number): number[] {
  const rand = sfc32(seed)
  const a = Array.from({length: n}, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

export function splitValidation(n: number, valSize: number, seed: number): {train: number[]; val: number[]} {
  const count = valSize >= 1 ? Math.floor(valSize) : Math.round(n * valSize)
  if (count >= n) throw new LmTrainingError(`val_size ${valSize} leaves no record to train on (${n} records)`)
  const order = shuffled(n, mix32(seed ^ 0x5a17))
  const val = order.slice(0, count).sort((a, b) => a - b)
  const valSet = new Set(val)
  return {train: Array.from({length: n}, (_, i) => i).filter((i) => !valSet.has(i)), val}
}

/** Right-padded ids and loss mask for a batch; pads never count in the loss. */
function batchTensors(examples: LmExample[], pad: number): {ids: tf.Tensor2D; mask: tf.Tensor2D; tokens: number} {
  const T = Math.max(...examples.map((e) => e.ids.length))
  const ids = new Int32Array(examples.length * T).fill(pad)
  const mask = new Float32Array(examples.length * T)
  let tokens = 0
  examples.forEach((e, b) => {
    ids.set(e.ids, b * T)
    mask.set(e.lossMask, b * T)
    tokens += e.ids.length
  })
  return {ids: tf.tensor2d(ids, [examples.length, T], 'int32'), mask: tf.tensor2d(mask, [examples.length, T]), tokens}
}

function countLossTokens(e: LmExample): number {
  let n = 0
  for (let i = 1; i < e.lossMask.length; i++) n += e.lossMask[i]
  return n
}

export function learningRate(h: LmHyperparameters, step: number, total: number): number {
  const warmup = Math.ceil(total * h.warmup_ratio)
  if (step < warmup) return (h.learning_rate * (step + 1)) / warmup
  const progress = total > warmup ? (step - warmup) / (total - warmup) : 0
  if (h.lr_scheduler_type === 'linear') return h.learning_rate * Math.max(0, 1 - progress)
  if (h.lr_scheduler_type === 'cosine') return h.learning_rate * 0.5 * (1 + Math.cos(Math.PI * progress))
  return h.learning_rate
}

/** Mean token loss of `examples` under the adapter, without dropout. */
export async function evaluateLoss(
  model: LlamaModel,
  adapter: LoraAdapter | undefined,
  examples: LmExample[],
  batchSize: number,
  pad = 0,
): Promise<number> {
  let sum = 0
  let count = 0
  for (let i = 0; i < examples.length; i += batchSize) {
    const part = examples.slice(i, i + batchSize)
    const s = tf.tidy(() => {
      const {ids, mask} = batchTensors(part, pad)
      return causalLmLossSum(forward(model, ids, {lora: adapter ? bindLora(adapter) : undefined, inference: true}).logits, ids, mask)
    })
    sum += (await s.data())[0]
    s.dispose()
    count += part.reduce((n, e) => n + countLossTokens(e), 0)
  }
  return count ? sum / count : Number.NaN
}

const CHECKPOINT_PREFIX = 'checkpoint-epoch-'

export function latestCheckpoint(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined
  const epochs = readdirSync(dir)
    .filter((n) => n.startsWith(CHECKPOINT_PREFIX) && /^\d+$/.test(n.slice(CHECKPOINT_PREFIX.length)))
    .map((n) => Number(n.slice(CHECKPOINT_PREFIX.length)))
    .sort((a, b) => b - a)
  return epochs.length ? join(dir, CHECKPOINT_PREFIX + epochs[0]) : undefined
}

type Moments = {m: tf.Tensor[]; v: tf.Tensor[]}

/** A checkpoint folder appears whole or not at all: written under a temporary name, then renamed. */
async function writeCheckpoint(dir: string, state: TrainerState, adapter: LoraAdapter, moments: Moments): Promise<string> {
  const final = join(dir, CHECKPOINT_PREFIX + state.epoch)
  const tmp = `${final}.tmp-${process.pid}`
  rmSync(tmp, {recursive: true, force: true})
  mkdirSync(tmp, {recursive: true})
  writeFileAtomic(join(tmp, 'adapter_model.safetensors'), encodeSafetensors(await loraToPeft(adapter)))
  const params = loraParams(adapter)
  const opt: Record<string, Tensor> = {}
  for (let i = 0; i < params.length; i++) {
    opt[params[i].key + '.exp_avg'] = {shape: [...params[i].tensor.shape], data: Float32Array.from(await moments.m[i].data())}
    opt[params[i].key + '.exp_avg_sq'] = {shape: [...params[i].tensor.shape], data: Float32Array.from(await moments.v[i].data())}
  }
  writeFileAtomic(join(tmp, 'optimizer.safetensors'), encodeSafetensors(opt))
  writeJsonAtomic(join(tmp, 'trainer_state.json'), state)
  rmSync(final, {recursive: true, force: true})
  renameSync(tmp, final)
  return final
}

function readCheckpoint(
  path: string,
  model: LlamaModel,
  loraConfig: LoraConfig,
): {state: TrainerState; adapter: LoraAdapter; moments: Moments} {
  for (const f of ['adapter_model.safetensors', 'optimizer.safetensors', 'trainer_state.json']) {
    if (!existsSync(join(path, f))) throw new LmTrainingError(`${join(path, f)} is missing: not a complete checkpoint`)
  }
  const state = JSON.parse(readFileSync(join(path, 'trainer_state.json'), 'utf8')) as TrainerState
  const adapter = loraFromPeft(readSafetensorsF32(join(path, 'adapter_model.safetensors')), model.config, loraConfig, {
    trainable: true,
    source: join(path, 'adapter_model.safetensors'),
  })
  const opt = readSafetensorsF32(join(path, 'optimizer.safetensors'))
  const params = loraParams(adapter)
  const get = (k: string) => {
    const t = opt[k]
    if (!t) throw new LmTrainingError(`${join(path, 'optimizer.safetensors')}: tensor ${k} is missing`)
    return tf.tensor(t.data, t.shape)
  }
  return {state, adapter, moments: {m: params.map((p) => get(p.key + '.exp_avg')), v: params.map((p) => get(p.key + '.exp_avg_sq'))}}
}

/** Trains a LoRA adapter on tokenized examples; see the module comment for what it does. */
export async function trainLora(args: TrainLoraArgs): Promise<LmTrainResult> {
  const h: LmHyperparameters = {...DEFAULT_HYPERPARAMETERS, ...args.hyperparameters}
  checkHyperparameters(h)
  const {model, examples} = args
  const pad = args.padTokenId ?? 0
  if (!examples.length) throw new LmTrainingError('no training records')
  const loraConfig: LoraConfig = {
    r: h.lora_rank,
    alpha: h.lora_alpha,
    dropout: h.lora_dropout,
    targetModules: parseLoraTarget(h.lora_target),
  }
  const {train, val} = splitValidation(examples.length, h.val_size, h.seed)
  const batchesPerEpoch = Math.ceil(train.length / h.per_device_train_batch_size)
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / h.gradient_accumulation_steps)
  const totalSteps = stepsPerEpoch * h.num_train_epochs
  const valExamples = val.map((i) => examples[i])

  let adapter: LoraAdapter
  let moments: Moments
  let state: TrainerState
  const resumePath = args.resume === true ? (args.checkpointDir ? latestCheckpoint(args.checkpointDir) : undefined) : args.resume
  if (args.resume && !resumePath)
    throw new LmTrainingError(`no checkpoint to resume from in ${args.checkpointDir ?? '(no checkpoint folder given)'}`)
  if (resumePath) {
    const loaded = readCheckpoint(resumePath, model, loraConfig)
    const saved = loaded.state.hyperparameters
    for (const k of Object.keys(h) as Array<keyof LmHyperparameters>) {
      if (k !== 'num_train_epochs' && k !== 'early_stopping_patience' && saved[k] !== h[k])
        throw new LmTrainingError(
          `${resumePath}: the checkpoint was trained with ${k} = ${saved[k]}, not ${h[k]}; resume with the same hyperparameters`,
        )
    }
    ;({adapter, moments, state} = loaded)
    state.hyperparameters = h
  } else {
    adapter = initLora(model.config, loraConfig, mix32(h.seed ^ 0x10a))
    const params = loraParams(adapter)
    moments = {m: params.map((p) => tf.zerosLike(p.tensor)), v: params.map((p) => tf.zerosLike(p.tensor))}
    state = {epoch: 0, step: 0, history: [], bestEpoch: 0, bestValLoss: null, badEpochs: 0, trainTokens: 0, hyperparameters: h}
  }
  const params = loraParams(adapter)
  const vars = params.map((p) => p.tensor as tf.Variable)

  const started = performance.now()
  let tokensThisRun = 0
  let stoppedEarly = false
  let bestPeft: Record<string, Tensor> | undefined
  const lastEpoch = Math.min(
    h.num_train_epochs,
    args.stopAfterEpochs !== undefined ? state.epoch + args.stopAfterEpochs : h.num_train_epochs,
  )
  const rate = () => tokensThisRun / Math.max(1e-9, (performance.now() - started) / 1000)
  const stepsThisRunStart = state.step

  while (state.epoch < lastEpoch) {
    const epoch = state.epoch + 1
    const order = shuffled(train.length, mix32(h.seed + epoch * 0x9e37)).map((i) => train[i])
    let lossSum = 0
    let lossTokens = 0
    let lastStepLoss = Number.NaN
    let epochTokens = 0
    for (let s = 0; s < stepsPerEpoch; s++) {
      let acc: tf.Tensor[] | undefined
      let stepLoss = 0
      let stepTokens = 0
      for (let a = 0; a < h.gradient_accumulation_steps; a++) {
        const b = s * h.gradient_accumulation_steps + a
        if (b >= batchesPerEpoch) break
        const part = order.slice(b * h.per_device_train_batch_size, (b + 1) * h.per_device_train_batch_size).map((i) => examples[i])
        const dropoutSeed = mix32(h.seed ^ mix32(state.step * 131 + a + 1))
        const {value, grads} = tf.tidy(() => {
          const {ids, mask} = batchTensors(part, pad)
          return tf.variableGrads(
            () =>
              causalLmLossSum(
                forward(model, ids, {lora: bindLora(adapter), dropoutSeed: h.lora_dropout > 0 ? dropoutSeed : undefined}).logits,
                ids,
                mask,
              ),
            vars,
          )
        })
        const next = vars.map((v, i) => (acc ? tf.add(acc[i], grads[v.name]) : grads[v.name]))
        if (acc) tf.dispose([...acc, ...Object.values(grads)])
        acc = next
        stepLoss += (await value.data())[0]
        value.dispose()
        stepTokens += part.reduce((n, e) => n + countLossTokens(e), 0)
        const n = part.reduce((k, e) => k + e.ids.length, 0)
        tokensThisRun += n
        epochTokens += n
      }
      if (!acc) break
      const lr = learningRate(h, state.step, totalSteps)
      const t = state.step + 1
      const grads = acc
      // Read asynchronously: webgpu has no synchronous readback in Node.
      // Pairwise adds, not addN: webgpu binds every addN input at once and caps storage buffers at 8.
      const sq = tf.tidy(() => grads.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b)))
      const norm = Math.sqrt((await sq.data())[0]) / Math.max(1, stepTokens)
      sq.dispose()
      tf.tidy(() => {
        const scaled = grads.map((g) => tf.div(g, Math.max(1, stepTokens)))
        const clip = h.max_grad_norm > 0 && norm > h.max_grad_norm ? h.max_grad_norm / (norm + 1e-6) : 1
        const bc1 = 1 - h.adam_beta1 ** t
        const bc2 = 1 - h.adam_beta2 ** t
        vars.forEach((v, i) => {
          const g = clip === 1 ? scaled[i] : tf.mul(scaled[i], clip)
          const m = tf.add(tf.mul(moments.m[i], h.adam_beta1), tf.mul(g, 1 - h.adam_beta1))
          const s2 = tf.add(tf.mul(moments.v[i], h.adam_beta2), tf.mul(tf.square(g), 1 - h.adam_beta2))
          const decayed = h.weight_decay > 0 ? tf.mul(v, 1 - lr * h.weight_decay) : v
          const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(s2, bc2)), h.adam_epsilon))
          v.assign(tf.sub(decayed, tf.mul(update, lr)))
          tf.dispose([moments.m[i], moments.v[i]])
          moments.m[i] = tf.keep(m)
          moments.v[i] = tf.keep(s2)
        })
      })
      tf.dispose(grads)
      state.step = t
      lastStepLoss = stepLoss / Math.max(1, stepTokens)
      lossSum += stepLoss
      lossTokens += stepTokens
      const done = state.step - stepsThisRunStart
      const left = stepsPerEpoch * lastEpoch - state.step
      const perStep = (performance.now() - started) / 1000 / Math.max(1, done)
      args.onProgress?.({
        phase: 'train',
        epoch,
        epochs: h.num_train_epochs,
        step: state.step,
        totalSteps,
        loss: lastStepLoss,
        tokensPerSecond: rate(),
        etaSeconds: left * perStep,
      })
    }
    state.trainTokens += epochTokens
    const record: LmEpochRecord = {epoch, step: state.step, trainLoss: lossSum / Math.max(1, lossTokens)}
    if (valExamples.length) {
      record.valLoss = await evaluateLoss(model, adapter, valExamples, h.per_device_train_batch_size, pad)
      args.onProgress?.({
        phase: 'eval',
        epoch,
        epochs: h.num_train_epochs,
        step: state.step,
        totalSteps,
        loss: record.valLoss,
        tokensPerSecond: rate(),
        etaSeconds: 0,
      })
      if (state.bestValLoss === null || record.valLoss < state.bestValLoss) {
        state.bestValLoss = record.valLoss
        state.bestEpoch = epoch
        state.badEpochs = 0
        bestPeft = await loraToPeft(adapter)
      } else {
        state.badEpochs++
      }
    } else {
      state.bestEpoch = epoch
    }
    state.history.push(record)
    state.epoch = epoch
    if (args.checkpointDir) await writeCheckpoint(args.checkpointDir, state, adapter, moments)
    if (h.early_stopping_patience > 0 && state.badEpochs >= h.early_stopping_patience) {
      stoppedEarly = true
      break
    }
  }
  tf.dispose([...moments.m, ...moments.v])

  // With a validation set the best epoch's adapter is the result (load_best_model_at_end): kept in
  // memory when this call saw it, else read from its checkpoint.
  let best = adapter
  if (state.bestEpoch !== state.epoch) {
    let tensors = bestPeft
    const path = args.checkpointDir ? join(args.checkpointDir, CHECKPOINT_PREFIX + state.bestEpoch) : undefined
    if (!tensors && path && existsSync(join(path, 'adapter_model.safetensors')))
      tensors = readSafetensorsF32(join(path, 'adapter_model.safetensors'))
    if (tensors) {
      best = loraFromPeft(tensors, model.config, loraConfig, {source: path ?? 'best epoch'})
      disposeLora(adapter)
    }
  }
  return {
    adapter: best,
    loraConfig,
    peft: await loraToPeft(best),
    history: state.history,
    bestEpoch: state.bestEpoch,
    stoppedEarly,
    trainIndices: train,
    valIndices: val,
    trainTokens: state.trainTokens,
    tokensPerSecond: rate(),
    hyperparameters: h,
  }
}
