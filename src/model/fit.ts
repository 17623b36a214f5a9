import {AdamW, Workspace, cloneWeights, evaluate, lossAndGrads, type Weights, zerosLike} from './math.js'
import {createRandom, mix32} from './prng.js'
import type {TrainProgressEvent} from './progress.js'

/** Hyperparameters, in LLaMA-Factory's vocabulary. */
export type TrainHyperparameters = {
  learning_rate: number
  num_train_epochs: number
  per_device_train_batch_size: number
  lora_rank: number
  val_size: number
  seed: number
  weight_decay: number
  lr_scheduler_type: 'constant' | 'linear' | 'cosine'
  /** Epochs without a better validation loss before stopping (0: never stop early). */
  early_stopping_patience: number
}

export const DEFAULT_HYPERPARAMETERS: TrainHyperparameters = {
  learning_rate: 0.003,
  num_train_epochs: 30,
  per_device_train_batch_size: 32,
  lora_rank: 8,
  val_size: 0.1,
  seed: 42,
  weight_decay: 0.01,
  lr_scheduler_type: 'cosine',
  early_stopping_patience: 4,
}

export type FitInput = {
  /** Standardised inputs, n × D row-major. */
  X: Float32Array
  D: number
  y: Int32Array
  C: number
  /** One 32-bit key per row (from its record hash): shuffles depend on (record, seed, epoch) only. */
  rowKeys: Uint32Array
  trainRows: Int32Array
  valRows: Int32Array
}

export type EpochMetrics = {
  epoch: number
  trainLoss: number
  valLoss: number | null
  valAccuracy: number | null
  learningRate: number
  seconds: number
}

export type FitCheckpoint = {epoch: number; learningRate: number; weights: Weights}

export type FitResult = {
  weights: Weights
  bestEpoch: number
  stoppedEarly: boolean
  epochs: EpochMetrics[]
  checkpoints: FitCheckpoint[]
}

export function initWeights(D: number, C: number, r: number, seed: number): Weights {
  const w: Weights = {D, C, r, A: new Float32Array(r * D), B: new Float32Array(D * r), W: new Float32Array(C * (D + 1))}
  const normal = createRandom(seed ^ 0x5eed).gauss
  const std = 1 / Math.sqrt(D)
  for (let j = 0; j < w.A.length; j++) w.A[j] = normal() * std
  return w
}

export function learningRateAt(hp: TrainHyperparameters, step: number, totalSteps: number): number {
  const t = totalSteps > 1 ? step / (totalSteps - 1) : 0
  if (hp.lr_scheduler_type === 'linear') return hp.learning_rate * (1 - t) + hp.learning_rate * 0.01 * t
  if (hp.lr_scheduler_type === 'cosine') return hp.learning_rate * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * t)))
  return hp.learning_rate
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Mini-batch AdamW with early stopping on the validation rows; the best epoch's weights win.
 * Deterministic: initial weights come from the seed, batch order from (row key, seed, epoch).
 */
export async function fit(input: FitInput, hp: TrainHyperparameters, onEvent?: (e: TrainProgressEvent) => void): Promise<FitResult> {
  const {X, D, y, C, rowKeys, trainRows, valRows} = input
  const r = hp.lora_rank
  let weights = initWeights(D, C, r, hp.seed)
  const grads = zerosLike(weights)
  const opt = new AdamW(weights)
  const ws = new Workspace(D, C, r)
  const bs = Math.max(1, hp.per_device_train_batch_size)
  const batchesPerEpoch = Math.ceil(trainRows.length / bs)
  const totalSteps = batchesPerEpoch * hp.num_train_epochs
  const epochs: EpochMetrics[] = []
  const checkpoints: FitCheckpoint[] = []
  let best = {loss: Infinity, epoch: 0, weights: cloneWeights(weights)}
  let stale = 0
  let step = 0
  let stoppedEarly = false
  const started = performance.now()
  const order = Int32Array.from(trainRows)
  const keys = new Uint32Array(X.length / D)

  for (let epoch = 1; epoch <= hp.num_train_epochs; epoch++) {
    const t0 = performance.now()
    const salt = mix32((hp.seed >>> 0) ^ Math.imul(epoch, 0x9e3779b1))
    for (const row of order) keys[row] = mix32(rowKeys[row] ^ salt)
    order.sort((a, b) => keys[a] - keys[b] || a - b)
    let lossSum = 0
    let lrSum = 0
    for (let b = 0; b < batchesPerEpoch; b++) {
      const rows = order.subarray(b * bs, Math.min(order.length, (b + 1) * bs))
      const loss = lossAndGrads(weights, X, y, rows, grads, ws)
      const lr = learningRateAt(hp, step++, totalSteps)
      opt.step(weights, grads, lr, hp.weight_decay)
      lossSum += loss * rows.length
      lrSum += lr
    }
    const trainLoss = lossSum / Math.max(1, order.length)
    const val = valRows.length ? evaluate(weights, X, y, valRows, ws) : undefined
    const learningRate = lrSum / Math.max(1, batchesPerEpoch)
    const m: EpochMetrics = {
      epoch,
      trainLoss,
      valLoss: val ? val.loss : null,
      valAccuracy: val ? val.accuracy : null,
      learningRate,
      seconds: (performance.now() - t0) / 1000,
    }
    epochs.push(m)
    checkpoints.push({epoch, learningRate, weights: cloneWeights(weights)})
    const elapsed = (performance.now() - started) / 1000
    onEvent?.({
      type: 'epoch',
      epoch,
      epochs: hp.num_train_epochs,
      metrics: m,
      etaSeconds: (elapsed / epoch) * (hp.num_train_epochs - epoch),
    })
    const score = val ? val.loss : trainLoss
    if (score < best.loss - 1e-6) {
      best = {loss: score, epoch, weights: cloneWeights(weights)}
      stale = 0
    } else if (val && hp.early_stopping_patience > 0 && ++stale >= hp.early_stopping_patience) {
      stoppedEarly = epoch < hp.num_train_epochs
      break
    }
    await tick()
  }
  weights = best.weights
  return {weights, bestEpoch: best.epoch, stoppedEarly, epochs, checkpoints}
}

export type Standardizer = {mean: Float32Array; scale: Float32Array}

/** Per-dimension mean and 1/std over `rows` (std floored so constant dimensions stay finite). */
export function fitStandardizer(raw: Float32Array, D: number, rows: ArrayLike<number>): Standardizer {
  const mean = new Float64Array(D)
  const sq = new Float64Array(D)
  for (let i = 0; i < rows.length; i++) {
    const off = rows[i] * D
    for (let d = 0; d < D; d++) mean[d] += raw[off + d]
  }
  const n = Math.max(1, rows.length)
  for (let d = 0; d < D; d++) mean[d] /= n
  for (let i = 0; i < rows.length; i++) {
    const off = rows[i] * D
    for (let d = 0; d < D; d++) {
      const x = raw[off + d] - mean[d]
      sq[d] += x * x
    }
  }
  const scale = new Float32Array(D)
  for (let d = 0; d < D; d++) scale[d] = 1 / Math.max(Math.sqrt(sq[d] / n), 1e-4)
  return {mean: Float32Array.from(mean), scale}
}

export function standardize(raw: Float32Array, D: number, s: Standardizer): Float32Array {
  const out = new Float32Array(raw.length)
  for (let off = 0; off < raw.length; off += D) {
    for (let d = 0; d < D; d++) out[off + d] = (raw[off + d] - s.mean[d]) * s.scale[d]
  }
  return out
}
