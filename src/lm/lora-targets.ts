/**
 * The Llama projections a LoRA adapter can target, and where PEFT puts each: one list for the
 * engine (lora.ts) and the PEFT files (peft.ts). Kept apart from lora.ts so that reading or
 * exporting an adapter does not load TensorFlow.js.
 */
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
