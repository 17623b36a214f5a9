/**
 * The Llama forward pass on TensorFlow.js, with HF semantics: RMSNorm, rotary positions (rotate_half,
 * rope_theta), grouped-query attention (kv head h // (heads / kv_heads) serves query head h),
 * SwiGLU MLP, tied or untied head. Projection weights are stored transposed ([in, out], see
 * matmul.ts for why); LoRA tensors keep PEFT's layout. LoRA is added per projection, either one
 * adapter for the whole batch or one per row.
 */
import * as tf from '@tensorflow/tfjs'

import type {Tensor} from '../model/safetensors.js'
import type {LlamaConfig} from './config.js'
import {LORA_TARGETS, type LoraAdapter, type LoraTarget, projectionShape} from './lora.js'
import {GRAD_OPS, INFERENCE_OPS, type MatMulOps} from './matmul.js'

type Linear = 'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj'

/** Norm weights, and each projection transposed: HF's W [out, in] stored as Wᵀ [in, out]. */
export type LayerWeights = {inputNorm: tf.Tensor1D; postNorm: tf.Tensor1D} & Record<Linear, tf.Tensor2D>

export type LlamaModel = {
  config: LlamaConfig
  /** [vocab, hidden], for the lookup. */
  embed: tf.Tensor2D
  /** The output head transposed, [hidden, vocab] (a transposed copy of the embeddings when tied). */
  lmHeadT: tf.Tensor2D
  norm: tf.Tensor1D
  layers: LayerWeights[]
}

/** Per layer, the keys and values of every position seen so far, [batch, kv_heads, seen, head_dim]. */
export type KvCache = {length: number; layers: Array<{k: tf.Tensor4D; v: tf.Tensor4D}>}

/**
 * LoRA as the forward pass applies it: per layer and target, A and B either 2-D (one adapter for all
 * rows) or 3-D with a leading batch axis (one adapter per row, zero-padded to the largest rank), and
 * the scale alpha / r (a number, or [batch, 1, 1] per row).
 */
export type LoraBinding = {
  layers: Array<Partial<Record<LoraTarget, {A: tf.Tensor; B: tf.Tensor; scale: number | tf.Tensor}>>>
  dropout: number
}

export type ForwardOptions = {
  lora?: LoraBinding
  /** Keys/values of earlier positions; the new ones are appended and returned in `cache`. */
  cache?: KvCache
  /** Whether to return the updated cache (generation) or not (training, scoring). */
  useCache?: boolean
  /** Seed for LoRA dropout; dropout is applied only when given (training). */
  dropoutSeed?: number
  /**
   * Pads at the start of each row (batched generation of prompts of different lengths): positions
   * count from each row's first real token, and pad keys are masked out.
   */
  padLeft?: number[]
  /** No gradient will be taken (generation, evaluation): plain kernels, no custom-gradient scopes. */
  inference?: boolean
}

/** Builds the tfjs model from HF-named f32 tensors (as `readLlamaWeights` returns them). */
export function buildLlama(config: LlamaConfig, tensors: Record<string, Tensor>): LlamaModel {
  const t2 = (name: string) => tf.tensor2d(tensors[name].data, tensors[name].shape as [number, number])
  const t2T = (name: string) => tf.tidy(() => tf.transpose(t2(name)))
  const t1 = (name: string) => tf.tensor1d(tensors[name].data)
  const embed = t2('model.embed_tokens.weight')
  const layers: LayerWeights[] = []
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}.`
    layers.push({
      inputNorm: t1(p + 'input_layernorm.weight'),
      postNorm: t1(p + 'post_attention_layernorm.weight'),
      q_proj: t2T(p + 'self_attn.q_proj.weight'),
      k_proj: t2T(p + 'self_attn.k_proj.weight'),
      v_proj: t2T(p + 'self_attn.v_proj.weight'),
      o_proj: t2T(p + 'self_attn.o_proj.weight'),
      gate_proj: t2T(p + 'mlp.gate_proj.weight'),
      up_proj: t2T(p + 'mlp.up_proj.weight'),
      down_proj: t2T(p + 'mlp.down_proj.weight'),
    })
  }
  const lmHeadT = config.tieWordEmbeddings ? tf.transpose(embed) : t2T('lm_head.weight')
  return {config, embed, lmHeadT, norm: t1('model.norm.weight'), layers}
}

export function disposeLlama(m: LlamaModel): void {
  tf.dispose([m.embed, m.lmHeadT, m.norm, ...m.layers.flatMap((l) => Object.values(l))])
}

/** One adapter for every row of the batch. */
export function bindLora(adapter: LoraAdapter): LoraBinding {
  const scale = adapter.config.alpha / adapter.config.r
  return {
    dropout: adapter.config.dropout,
    layers: adapter.layers.map((layer) => Object.fromEntries(Object.entries(layer).map(([t, p]) => [t, {A: p.A, B: p.B, scale}]))),
  }
}

/**
 * A different adapter (or none: null) per row, applied per row and never merged into the base:
 * A and B are stacked along a batch axis, zero-padded to the largest rank (zero rows/columns add
 * nothing), so one batched matmul serves every row. Dispose the result with `disposeLoraRows`.
 */
export function bindLoraRows(model: LlamaConfig, adapters: Array<LoraAdapter | null>): LoraBinding {
  const rMax = Math.max(1, ...adapters.map((a) => a?.config.r ?? 0))
  const layers: LoraBinding['layers'] = []
  for (let i = 0; i < model.numLayers; i++) {
    const layer: LoraBinding['layers'][number] = {}
    for (const target of LORA_TARGETS) {
      if (!adapters.some((a) => a?.layers[i]?.[target])) continue
      const built = tf.tidy(() => {
        const As: tf.Tensor[] = []
        const Bs: tf.Tensor[] = []
        const scales: number[] = []
        for (const a of adapters) {
          const pair = a?.layers[i]?.[target]
          const [outDim, inDim] = projectionShape(model, target)
          if (!pair || !a) {
            As.push(tf.zeros([rMax, inDim]))
            Bs.push(tf.zeros([outDim, rMax]))
            scales.push(0)
            continue
          }
          const r = a.config.r
          As.push(r === rMax ? pair.A : tf.concat([pair.A, tf.zeros([rMax - r, inDim])], 0))
          Bs.push(r === rMax ? pair.B : tf.concat([pair.B, tf.zeros([outDim, rMax - r])], 1))
          scales.push(a.config.alpha / r)
        }
        return {A: tf.stack(As), B: tf.stack(Bs), scale: tf.tensor3d(scales, [scales.length, 1, 1])}
      })
      layer[target] = built
    }
    layers.push(layer)
  }
  return {dropout: 0, layers}
}

export function disposeLoraRows(b: LoraBinding): void {
  for (const layer of b.layers)
    for (const p of Object.values(layer)) tf.dispose([p.A, p.B, ...(typeof p.scale === 'number' ? [] : [p.scale])])
}

function rmsNorm(x: tf.Tensor3D, w: tf.Tensor1D, eps: number): tf.Tensor3D {
  const variance = tf.mean(tf.square(x), -1, true)
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), w)
}

/**
 * cos and sin for positions start..start+T-1, HF's layout (frequencies repeated twice): [T, head_dim],
 * or [B, 1, T, head_dim] when rows are left-padded (row b's first real token is position 0).
 */
function rotary(c: LlamaConfig, start: number, length: number, padLeft?: number[]): {cos: tf.Tensor; sin: tf.Tensor} {
  const d = c.headDim
  const half = d / 2
  const rows = padLeft ?? [0]
  const cos = new Float32Array(rows.length * length * d)
  const sin = new Float32Array(rows.length * length * d)
  for (let b = 0; b < rows.length; b++) {
    for (let t = 0; t < length; t++) {
      const pos = Math.max(0, start + t - rows[b])
      const o = (b * length + t) * d
      for (let i = 0; i < half; i++) {
        // inv_freq in f32 as HF computes it, so long positions agree with PyTorch to the last bits.
        const invFreq = Math.fround(1 / Math.fround(c.ropeTheta ** Math.fround((2 * i) / d)))
        const angle = Math.fround(pos * invFreq)
        cos[o + i] = cos[o + i + half] = Math.cos(angle)
        sin[o + i] = sin[o + i + half] = Math.sin(angle)
      }
    }
  }
  const shape = padLeft ? [rows.length, 1, length, d] : [length, d]
  return {cos: tf.tensor(cos, shape), sin: tf.tensor(sin, shape)}
}

/** x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁] over the last axis. */
function applyRotary(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  const half = x.shape[3] / 2
  const [x1, x2] = tf.split(x, [half, half], 3)
  const rotated = tf.concat([tf.neg(x2), x1], 3)
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin))
}

/**
 * Additive causal mask, repeated once per query head of a kv group: query t (at position start + t)
 * sees keys 0..start + t. [groups·T, S], or [B, 1, groups·T, S] when rows are left-padded (a row
 * never sees its pad keys).
 */
function causalMask(start: number, length: number, groups: number, padLeft?: number[]): tf.Tensor {
  const total = start + length
  const rows = padLeft ?? [0]
  const m = new Float32Array(rows.length * groups * length * total)
  for (let b = 0; b < rows.length; b++) {
    for (let g = 0; g < groups; g++) {
      for (let t = 0; t < length; t++) {
        const o = ((b * groups + g) * length + t) * total
        for (let s = 0; s < total; s++) if (s > start + t || s < rows[b]) m[o + s] = -1e9
      }
    }
  }
  return padLeft ? tf.tensor4d(m, [rows.length, 1, groups * length, total]) : tf.tensor2d(m, [groups * length, total])
}

function linear(
  ops: MatMulOps,
  x: tf.Tensor3D,
  wt: tf.Tensor2D,
  lora: LoraBinding | undefined,
  layer: number,
  target: Linear,
  dropoutSeed: number | undefined,
): tf.Tensor3D {
  const {linearFrozen, matMulBT} = ops
  const [b, t, d] = x.shape
  const out = wt.shape[1]
  const base = tf.reshape(linearFrozen(tf.reshape(x, [b * t, d]), wt), [b, t, out]) as tf.Tensor3D
  const l = lora?.layers[layer]?.[target]
  if (!l) return base
  let xin: tf.Tensor3D = x
  if (dropoutSeed !== undefined && lora!.dropout > 0) {
    const salt = layer * LORA_TARGETS.length + LORA_TARGETS.indexOf(target)
    xin = tf.dropout(x, lora!.dropout, undefined, dropoutSeed * 1000 + salt) as tf.Tensor3D
  }
  let delta: tf.Tensor3D
  if (l.A.rank === 2) {
    const h = matMulBT(tf.reshape(xin, [b * t, d]) as tf.Tensor2D, l.A as tf.Tensor2D)
    delta = tf.reshape(matMulBT(h, l.B as tf.Tensor2D), [b, t, out]) as tf.Tensor3D
  } else {
    delta = matMulBT(matMulBT(xin, l.A as tf.Tensor3D), l.B as tf.Tensor3D)
  }
  return tf.add(base, tf.mul(delta, l.scale)) as tf.Tensor3D
}

/**
 * Logits [B, T, vocab] for token ids [B, T] that follow `cache.length` earlier positions. Rows are
 * right-padded by the caller when lengths differ: causal attention keeps real tokens from seeing pads.
 */
export function forward(model: LlamaModel, ids: tf.Tensor2D, options: ForwardOptions = {}): {logits: tf.Tensor3D; cache?: KvCache} {
  const c = model.config
  const [B, T] = ids.shape
  const start = options.cache?.length ?? 0
  const ops = options.inference ? INFERENCE_OPS : GRAD_OPS
  const {cos, sin} = rotary(c, start, T, options.padLeft)
  const mask = causalMask(start, T, c.numHeads / c.numKvHeads, options.padLeft)
  const groups = c.numHeads / c.numKvHeads
  const scale = 1 / Math.sqrt(c.headDim)
  let h = tf.reshape(tf.gather(model.embed, tf.reshape(ids, [B * T])), [B, T, c.hiddenSize]) as tf.Tensor3D
  const newCache: KvCache['layers'] = []
  model.layers.forEach((w, i) => {
    const x = rmsNorm(h, w.inputNorm, c.rmsNormEps)
    const heads = (y: tf.Tensor3D, n: number) => tf.transpose(tf.reshape(y, [B, T, n, c.headDim]), [0, 2, 1, 3]) as tf.Tensor4D
    const q = applyRotary(heads(linear(ops, x, w.q_proj, options.lora, i, 'q_proj', options.dropoutSeed), c.numHeads), cos, sin)
    let k = applyRotary(heads(linear(ops, x, w.k_proj, options.lora, i, 'k_proj', options.dropoutSeed), c.numKvHeads), cos, sin)
    let v = heads(linear(ops, x, w.v_proj, options.lora, i, 'v_proj', options.dropoutSeed), c.numKvHeads)
    const past = options.cache?.layers[i]
    if (past) {
      k = tf.concat([past.k, k], 2)
      v = tf.concat([past.v, v], 2)
    }
    if (options.useCache) newCache.push({k, v})
    // Grouped-query attention without copying K/V: the `groups` query heads that share kv head g are
    // stacked along the query axis ([B, kv, groups·T, hd]), so one batched matmul per kv head serves them.
    const qg = tf.reshape(q, [B, c.numKvHeads, groups * T, c.headDim])
    const scores = tf.add(tf.mul(ops.matMulBT(qg, k), scale), mask)
    const attn = tf.reshape(ops.matMulNN(tf.softmax(scores) as tf.Tensor4D, v), [B, c.numHeads, T, c.headDim])
    const merged = tf.reshape(tf.transpose(attn, [0, 2, 1, 3]), [B, T, c.numHeads * c.headDim]) as tf.Tensor3D
    h = tf.add(h, linear(ops, merged, w.o_proj, options.lora, i, 'o_proj', options.dropoutSeed))
    const y = rmsNorm(h, w.postNorm, c.rmsNormEps)
    const gate = linear(ops, y, w.gate_proj, options.lora, i, 'gate_proj', options.dropoutSeed)
    const up = linear(ops, y, w.up_proj, options.lora, i, 'up_proj', options.dropoutSeed)
    h = tf.add(
      h,
      linear(
        ops,
        tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor3D,
        w.down_proj,
        options.lora,
        i,
        'down_proj',
        options.dropoutSeed,
      ),
    )
  })
  const out = rmsNorm(h, model.norm, c.rmsNormEps)
  const logits = tf.reshape(ops.linearFrozen(tf.reshape(out, [B * T, c.hiddenSize]), model.lmHeadT), [B, T, c.vocabSize]) as tf.Tensor3D
  return {logits, cache: options.useCache ? {length: start + T, layers: newCache} : undefined}
}

/**
 * Causal-LM loss: Σ over positions t ≥ 1 with lossMask[t] = 1 of −log p(ids[t] | ids[<t]), and the
 * count of such tokens (the caller divides: per batch, or over all micro-batches of an accumulation).
 */
export function causalLmLossSum(logits: tf.Tensor3D, ids: tf.Tensor2D, lossMask: tf.Tensor2D): tf.Scalar {
  const [B, T, V] = logits.shape
  const pred = tf.reshape(tf.slice(logits, [0, 0, 0], [B, T - 1, V]), [B * (T - 1), V])
  const targets = tf.reshape(tf.slice(ids, [0, 1], [B, T - 1]), [B * (T - 1)])
  const weights = tf.reshape(tf.slice(lossMask, [0, 1], [B, T - 1]), [B * (T - 1)])
  const logp = tf.logSoftmax(pred)
  const picked = tf.sum(tf.mul(logp, tf.oneHot(targets as tf.Tensor1D, V)), 1)
  return tf.neg(tf.sum(tf.mul(picked, weights))) as tf.Scalar
}
