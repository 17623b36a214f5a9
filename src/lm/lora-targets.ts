/**
 * The Llama projections a LoRA adapter can target, where PEFT puts each and what size each is:
 * one list for the engine (lora.ts) and the PEFT files (peft.ts). Kept apart from lora.ts so that reading or
 * exporting an adapter does not load TensorFlow.js.
 */
import type {LlamaShape} from './config.js'

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const
export type LoraTarget = (typeof LORA_TARGETS)[number]
export const DEFAULT_LORA_TARGETS: LoraTarget[] = ['q_proj', 'v_proj']

export function isLoraTarget(name: string): name is LoraTarget {
  return (LORA_TARGETS as readonly string[]).includes(name)
}

/** PEFT's module path for a projection: attention ones under self_attn, the MLP ones under mlp. */
export function moduleOf(target: LoraTarget): 'self_attn' | 'mlp' {
  return target === 'gate_proj' || target === 'up_proj' || target === 'down_proj' ? 'mlp' : 'self_attn'
}

/** The safetensors key PEFT gives a projection's lora_A or lora_B in layer `layer`. */
export function peftTensorName(layer: number, target: LoraTarget, which: 'A' | 'B'): string {
  return `base_model.model.model.layers.${layer}.${moduleOf(target)}.${target}.lora_${which}.weight`
}

/** [in, out] of a projection in a base of this shape. */
export function projectionSize(module: LoraTarget, s: LlamaShape): {in: number; out: number} {
  const q = s.heads * s.headDim
  const kv = s.kvHeads * s.headDim
  switch (module) {
    case 'q_proj':
      return {in: s.hidden, out: q}
    case 'k_proj':
    case 'v_proj':
      return {in: s.hidden, out: kv}
    case 'o_proj':
      return {in: q, out: s.hidden}
    case 'gate_proj':
    case 'up_proj':
      return {in: s.hidden, out: s.intermediate}
    case 'down_proj':
      return {in: s.intermediate, out: s.hidden}
  }
}
