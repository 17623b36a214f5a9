/**
 * LoRA adapters as PEFT defines them: for each target projection W [out, in], lora_A [r, in]
 * (Kaiming-uniform, a = √5, as PEFT's `reset_lora_parameters`) and lora_B [out, r] (zeros), and
 * output += (alpha / r) · B·A·dropout(x). Base weights are never touched.
 */
import * as tf from '@tensorflow/tfjs'

import type {Tensor} from '../model/safetensors.js'
import {sfc32} from '../model/prng.js'
import {type LlamaConfig, llamaShape} from './config.js'
import {LmModelError} from './errors.js'

import {DEFAULT_LORA_TARGETS, LORA_TARGETS, type LoraTarget, isLoraTarget, peftTensorName, projectionSize} from './lora-targets.js'

export {DEFAULT_LORA_TARGETS, LORA_TARGETS, type LoraTarget, moduleOf} from './lora-targets.js'

export type LoraConfig = {r: number; alpha: number; dropout: number; targetModules: LoraTarget[]}

export type LoraPair = {A: tf.Tensor2D; B: tf.Tensor2D}

export type LoraAdapter = {
  config: LoraConfig
  /** Per layer, the pair for each targeted projection. */
  layers: Array<Partial<Record<LoraTarget, LoraPair>>>
}

/** [out, in] of a target projection in a model with this config. */
export function projectionShape(c: LlamaConfig, target: LoraTarget): [number, number] {
  const size = projectionSize(target, llamaShape(c))
  return [size.out, size.in]
}

export function checkLoraConfig(l: LoraConfig): void {
  if (!Number.isInteger(l.r) || l.r <= 0) throw new LmModelError(`lora_rank must be a positive integer, got ${l.r}`)
  if (!(l.alpha > 0)) throw new LmModelError(`lora_alpha must be positive, got ${l.alpha}`)
  if (!(l.dropout >= 0 && l.dropout < 1)) throw new LmModelError(`lora_dropout must be in [0, 1), got ${l.dropout}`)
  if (!l.targetModules.length) throw new LmModelError('lora_target names no module')
  for (const t of l.targetModules) {
    if (!isLoraTarget(t)) throw new LmModelError(`lora_target ${t} is not one of ${LORA_TARGETS.join(', ')}`)
  }
}

/** Parses LLaMA-Factory's `lora_target` ("q_proj,v_proj", "all"). */
export function parseLoraTarget(spec: string | string[] | undefined): LoraTarget[] {
  if (spec === undefined) return [...DEFAULT_LORA_TARGETS]
  const names = (Array.isArray(spec) ? spec : spec.split(',')).map((s) => s.trim()).filter(Boolean)
  if (names.length === 1 && names[0] === 'all') return [...LORA_TARGETS]
  for (const n of names) if (!isLoraTarget(n)) throw new LmModelError(`lora_target ${n} is not one of ${LORA_TARGETS.join(', ')} (or all)`)
  return names as LoraTarget[]
}

/** A Variable holding `init`'s values; `init` is released (tf.variable keeps its own reference). */
function toVariable(init: tf.Tensor2D): tf.Variable<tf.Rank.R2> {
  const v = tf.variable(init, true)
  init.dispose()
  return v
}

/**
 * A fresh adapter: A uniform in ±1/√in (Kaiming-uniform with a = √5, PEFT's init), B zero, from a
 * seeded generator so the same seed gives the same bytes. Trainable tensors are tf.Variables.
 */
export function initLora(model: LlamaConfig, config: LoraConfig, seed: number): LoraAdapter {
  checkLoraConfig(config)
  const rand = sfc32(seed)
  const layers: LoraAdapter['layers'] = []
  for (let i = 0; i < model.numLayers; i++) {
    const layer: Partial<Record<LoraTarget, LoraPair>> = {}
    for (const target of LORA_TARGETS) {
      if (!config.targetModules.includes(target)) continue
      const [out, inp] = projectionShape(model, target)
      const bound = 1 / Math.sqrt(inp)
      const a = Float32Array.from({length: config.r * inp}, () => (2 * rand() - 1) * bound)
      layer[target] = {A: toVariable(tf.tensor2d(a, [config.r, inp])), B: toVariable(tf.zeros([out, config.r]))}
    }
    layers.push(layer)
  }
  return {config: {...config, targetModules: LORA_TARGETS.filter((t) => config.targetModules.includes(t))}, layers}
}

/** The PEFT safetensors key of a LoRA tensor (the name the engine has always exported). */
export const peftKey = peftTensorName

/** Every trainable tensor of the adapter, in a fixed order (layer, target, A then B). */
export function loraParams(adapter: LoraAdapter): Array<{key: string; tensor: tf.Tensor2D}> {
  const out: Array<{key: string; tensor: tf.Tensor2D}> = []
  adapter.layers.forEach((layer, i) => {
    for (const target of LORA_TARGETS) {
      const pair = layer[target]
      if (!pair) continue
      out.push({key: peftKey(i, target, 'A'), tensor: pair.A}, {key: peftKey(i, target, 'B'), tensor: pair.B})
    }
  })
  return out
}

/** The adapter's tensors under PEFT's names, as `adapter_model.safetensors` holds them. */
export async function loraToPeft(adapter: LoraAdapter): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {}
  for (const {key, tensor} of loraParams(adapter)) out[key] = {shape: [...tensor.shape], data: Float32Array.from(await tensor.data())}
  return out
}

/** An adapter from PEFT-named tensors, checked against the base's shapes; `trainable` makes Variables. */
export function loraFromPeft(
  tensors: Record<string, Tensor>,
  model: LlamaConfig,
  config: LoraConfig,
  options: {trainable?: boolean; source?: string} = {},
): LoraAdapter {
  checkLoraConfig(config)
  const source = options.source ?? 'adapter'
  const layers: LoraAdapter['layers'] = []
  for (let i = 0; i < model.numLayers; i++) {
    const layer: Partial<Record<LoraTarget, LoraPair>> = {}
    for (const target of config.targetModules) {
      const [out, inp] = projectionShape(model, target)
      const pick = (which: 'A' | 'B', shape: [number, number]): tf.Tensor2D => {
        const key = peftKey(i, target, which)
        const t = tensors[key]
        if (!t) throw new LmModelError(`${source}: tensor ${key} is missing`)
        if (t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1])
          throw new LmModelError(`${source}: tensor ${key} has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`)
        const x = tf.tensor2d(t.data, shape)
        return options.trainable ? toVariable(x) : x
      }
      layer[target] = {A: pick('A', [config.r, inp]), B: pick('B', [out, config.r])}
    }
    layers.push(layer)
  }
  return {config, layers}
}

export function disposeLora(adapter: LoraAdapter): void {
  for (const layer of adapter.layers) for (const pair of Object.values(layer)) tf.dispose([pair.A, pair.B])
}
