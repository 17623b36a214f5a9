/**
 * Reads a Hugging Face Llama folder as the GGUF exporter needs it: config.json, the weights
 * (model.safetensors, or shards listed in model.safetensors.index.json) kept in their stored dtype,
 * tokenizer.json and tokenizer_config.json. Each problem is one line naming the file.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {UsageError} from '../../errors.js'
import {type RawTensor, decodeSafetensorsRaw} from './tensors.js'

export type LlamaHfConfig = {
  architectures?: string[]
  model_type?: string
  hidden_size: number
  intermediate_size: number
  num_hidden_layers: number
  num_attention_heads: number
  num_key_value_heads?: number
  head_dim?: number
  vocab_size: number
  rms_norm_eps: number
  rope_theta?: number
  max_position_embeddings: number
  tie_word_embeddings?: boolean
  bos_token_id?: number
  eos_token_id?: number | number[]
  rope_scaling?: unknown
}

export type LlamaShape = {hidden: number; intermediate: number; layers: number; heads: number; kvHeads: number; headDim: number; vocab: number}

export function readJson<T>(path: string): T {
  if (!existsSync(path)) throw new UsageError(`${path} is missing`)
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${(err as Error).message})`, {cause: err})
  }
}

export function readLlamaConfig(dir: string): LlamaHfConfig {
  const path = join(dir, 'config.json')
  const c = readJson<LlamaHfConfig>(path)
  const arch = c.architectures?.[0]
  if (c.model_type !== 'llama' && arch !== 'LlamaForCausalLM') {
    throw new UsageError(`${path}: model_type ${JSON.stringify(c.model_type)} / architectures ${JSON.stringify(c.architectures)} is not a Llama model (LlamaForCausalLM)`)
  }
  for (const key of ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'vocab_size', 'rms_norm_eps', 'max_position_embeddings'] as const) {
    if (typeof c[key] !== 'number' || !(c[key] > 0)) throw new UsageError(`${path}: ${key} must be a positive number`)
  }
  if (c.rope_scaling) throw new UsageError(`${path}: rope_scaling is not supported`)
  return c
}

export function llamaShape(c: LlamaHfConfig): LlamaShape {
  const heads = c.num_attention_heads
  return {
    hidden: c.hidden_size,
    intermediate: c.intermediate_size,
    layers: c.num_hidden_layers,
    heads,
    kvHeads: c.num_key_value_heads ?? heads,
    headDim: c.head_dim ?? c.hidden_size / heads,
    vocab: c.vocab_size,
  }
}

function readSafetensorsFile(path: string): Record<string, RawTensor> {
  try {
    return decodeSafetensorsRaw(new Uint8Array(readFileSync(path))).tensors
  } catch (err) {
    throw new UsageError(`${path} is not a readable safetensors file (${(err as Error).message})`, {cause: err})
  }
}

/** All weight tensors by HF name, from one file or from the shards an index lists. */
export function readLlamaWeights(dir: string): Record<string, RawTensor> {
  const single = join(dir, 'model.safetensors')
  if (existsSync(single)) return readSafetensorsFile(single)
  const indexPath = join(dir, 'model.safetensors.index.json')
  if (!existsSync(indexPath)) throw new UsageError(`${dir} has neither model.safetensors nor model.safetensors.index.json`)
  const index = readJson<{weight_map?: Record<string, string>}>(indexPath)
  if (!index.weight_map) throw new UsageError(`${indexPath}: weight_map is missing`)
  const out: Record<string, RawTensor> = {}
  for (const shard of [...new Set(Object.values(index.weight_map))].sort()) {
    const path = join(dir, shard)
    if (!existsSync(path)) throw new UsageError(`${indexPath} lists ${shard}, which is missing`)
    Object.assign(out, readSafetensorsFile(path))
  }
  return out
}
