import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {LmModelError} from './errors.js'

/** The fields of a Hugging Face `config.json` the Llama forward pass needs, with defaults as HF applies them. */
export type LlamaConfig = {
  hiddenSize: number
  intermediateSize: number
  numLayers: number
  numHeads: number
  numKvHeads: number
  headDim: number
  vocabSize: number
  rmsNormEps: number
  ropeTheta: number
  maxPositions: number
  tieWordEmbeddings: boolean
  bosTokenId?: number
  eosTokenIds: number[]
  torchDtype?: string
}

const ARCHITECTURES = ['LlamaForCausalLM']

/** Reads and checks `<dir>/config.json`; every problem is one line naming the file and the field. */
export function readLlamaConfig(dir: string): LlamaConfig {
  const file = join(dir, 'config.json')
  if (!existsSync(file))
    throw new LmModelError(`${file} is missing: a base model folder needs config.json, model.safetensors (or shards) and tokenizer.json`)
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new LmModelError(`${file} is not valid JSON`, {cause: err})
  }
  return parseLlamaConfig(raw, file)
}

export function parseLlamaConfig(raw: Record<string, unknown>, file = 'config.json'): LlamaConfig {
  const archs = raw.architectures
  const arch = Array.isArray(archs) ? String(archs[0]) : undefined
  if (!arch || !ARCHITECTURES.includes(arch) || (raw.model_type !== undefined && raw.model_type !== 'llama')) {
    throw new LmModelError(
      `${file}: architecture ${arch ?? '(none)'} (model_type ${String(raw.model_type)}) is not supported; expected LlamaForCausalLM (model_type "llama")`,
    )
  }
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new LmModelError(`${file}: ${key} must be a positive integer, got ${JSON.stringify(raw[key])}`)
    return v
  }
  const num = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback
    if (typeof v !== 'number' || !(v > 0))
      throw new LmModelError(`${file}: ${key} must be a positive number, got ${JSON.stringify(raw[key])}`)
    return v
  }
  const hiddenSize = int('hidden_size')
  const numHeads = int('num_attention_heads')
  const numKvHeads = int('num_key_value_heads', numHeads)
  if (numHeads % numKvHeads !== 0)
    throw new LmModelError(`${file}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`)
  if (raw.head_dim === undefined && hiddenSize % numHeads !== 0)
    throw new LmModelError(`${file}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`)
  const headDim = int('head_dim', hiddenSize / numHeads)
  if (headDim % 2 !== 0) throw new LmModelError(`${file}: head_dim ${headDim} must be even for rotary positions`)
  if (raw.rope_scaling != null)
    throw new LmModelError(`${file}: rope_scaling is not supported yet (found ${JSON.stringify(raw.rope_scaling)})`)
  const eos = raw.eos_token_id
  return {
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: int('vocab_size'),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    maxPositions: int('max_position_embeddings', 2048),
    tieWordEmbeddings: raw.tie_word_embeddings === true,
    bosTokenId: typeof raw.bos_token_id === 'number' ? raw.bos_token_id : undefined,
    eosTokenIds: Array.isArray(eos) ? eos.filter((e): e is number => typeof e === 'number') : typeof eos === 'number' ? [eos] : [],
    torchDtype: typeof raw.torch_dtype === 'string' ? raw.torch_dtype : undefined,
  }
}

/** HF tensor names and shapes ([out, in]) a Llama checkpoint with this config must hold. */
export function expectedTensorShapes(c: LlamaConfig): Record<string, number[]> {
  const h = c.hiddenSize
  const q = c.numHeads * c.headDim
  const kv = c.numKvHeads * c.headDim
  const out: Record<string, number[]> = {'model.embed_tokens.weight': [c.vocabSize, h], 'model.norm.weight': [h]}
  if (!c.tieWordEmbeddings) out['lm_head.weight'] = [c.vocabSize, h]
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`
    out[p + 'input_layernorm.weight'] = [h]
    out[p + 'post_attention_layernorm.weight'] = [h]
    out[p + 'self_attn.q_proj.weight'] = [q, h]
    out[p + 'self_attn.k_proj.weight'] = [kv, h]
    out[p + 'self_attn.v_proj.weight'] = [kv, h]
    out[p + 'self_attn.o_proj.weight'] = [h, q]
    out[p + 'mlp.gate_proj.weight'] = [c.intermediateSize, h]
    out[p + 'mlp.up_proj.weight'] = [c.intermediateSize, h]
    out[p + 'mlp.down_proj.weight'] = [h, c.intermediateSize]
  }
  return out
}

/** The sizes that fix every projection's shape, as the GGUF and PEFT code name them. */
export type LlamaShape = {
  hidden: number
  intermediate: number
  layers: number
  heads: number
  kvHeads: number
  headDim: number
  vocab: number
}

export function llamaShape(c: LlamaConfig): LlamaShape {
  return {
    hidden: c.hiddenSize,
    intermediate: c.intermediateSize,
    layers: c.numLayers,
    heads: c.numHeads,
    kvHeads: c.numKvHeads,
    headDim: c.headDim,
    vocab: c.vocabSize,
  }
}
