/**
 * How a Hugging Face Llama maps onto llama.cpp's GGUF "llama" architecture: tensor names,
 * hyper-parameter keys, the tokenizer, and the row order of q/k projections.
 *
 * HF applies rotary positions to the two halves of each head (rotate_half); llama.cpp's llama
 * graph rotates adjacent pairs. Reordering each head's output rows from [x0..x(d/2-1), y0..] to
 * [x0, y0, x1, y1, ...] makes the two agree, as llama.cpp's convert_hf_to_gguf.py does.
 */
import {UsageError} from '../../errors.js'
import type {LlamaConfig, LlamaShape} from '../config.js'
import type {GgufValue} from './writer.js'

const LAYER_PARTS: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
}

/** HF tensor name → GGUF tensor name, or undefined for a tensor llama.cpp has no use for. */
export function ggufTensorName(hfName: string): string | undefined {
  if (hfName === 'model.embed_tokens.weight') return 'token_embd.weight'
  if (hfName === 'model.norm.weight') return 'output_norm.weight'
  if (hfName === 'lm_head.weight') return 'output.weight'
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName)
  if (m && LAYER_PARTS[m[2]]) return `blk.${m[1]}.${LAYER_PARTS[m[2]]}`
  return undefined
}

/** Heads whose rows a projection's output holds: q has all heads, k the key/value heads. */
export function ropeHeads(module: string, shape: LlamaShape): number | undefined {
  if (module === 'q_proj') return shape.heads
  if (module === 'k_proj') return shape.kvHeads
  return undefined
}

/** Reorders the rows of a [rows, cols] matrix, head by head, from rotate_half to interleaved pairs. */
export function permuteForRope(data: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const headDim = rows / heads
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`cannot split ${rows} rows into ${heads} heads of even size`)
  const half = headDim / 2
  const out = new Float32Array(data.length)
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * headDim + j * half + i) * cols
        const to = (h * headDim + 2 * i + j) * cols
        out.set(data.subarray(from, from + cols), to)
      }
    }
  }
  return out
}

export function llamaHyperParameters(c: LlamaConfig, shape: LlamaShape): [string, GgufValue][] {
  const kv: [string, GgufValue][] = [
    ['llama.vocab_size', {type: 'u32', value: shape.vocab}],
    ['llama.context_length', {type: 'u32', value: c.maxPositions}],
    ['llama.embedding_length', {type: 'u32', value: shape.hidden}],
    ['llama.block_count', {type: 'u32', value: shape.layers}],
    ['llama.feed_forward_length', {type: 'u32', value: shape.intermediate}],
    ['llama.rope.dimension_count', {type: 'u32', value: shape.headDim}],
    ['llama.attention.head_count', {type: 'u32', value: shape.heads}],
    ['llama.attention.head_count_kv', {type: 'u32', value: shape.kvHeads}],
    ['llama.attention.layer_norm_rms_epsilon', {type: 'f32', value: c.rmsNormEps}],
    ['llama.rope.freq_base', {type: 'f32', value: c.ropeTheta}],
  ]
  if (shape.headDim * shape.heads !== shape.hidden) {
    kv.push(
      ['llama.attention.key_length', {type: 'u32', value: shape.headDim}],
      ['llama.attention.value_length', {type: 'u32', value: shape.headDim}],
    )
  }
  return kv
}

type TokenizerJson = {
  added_tokens?: {id: number; content: string; special?: boolean}[]
  pre_tokenizer?: {type?: string; use_regex?: boolean; add_prefix_space?: boolean} | null
  normalizer?: unknown
  model?: {type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[]; byte_fallback?: boolean}
}

type TokenizerConfigJson = {
  bos_token?: string | {content: string} | null
  eos_token?: string | {content: string} | null
  chat_template?: string
  add_bos_token?: boolean
}

/** llama.cpp token types (llama_token_type): 1 normal, 3 control, 4 user-defined. */
const NORMAL = 1
const CONTROL = 3
const USER_DEFINED = 4

/**
 * tokenizer.ggml.* for a byte-level BPE with GPT-2's pre-tokenizer ("gpt2" model, "gpt-2" pre-type):
 * the vocabulary in id order, merges as "a b", control tokens marked, BOS/EOS ids.
 */
export function gpt2TokenizerMetadata(
  tokenizer: TokenizerJson,
  tokConfig: TokenizerConfigJson,
  config: LlamaConfig,
  path: string,
): [string, GgufValue][] {
  const model = tokenizer.model
  if (model?.type !== 'BPE' || !model.vocab || !model.merges)
    throw new UsageError(`${path}: only a BPE tokenizer (model.type "BPE" with vocab and merges) can be exported to GGUF`)
  const pre = tokenizer.pre_tokenizer
  if (pre?.type !== 'ByteLevel' || pre.use_regex === false || pre.add_prefix_space || tokenizer.normalizer) {
    throw new UsageError(
      `${path}: only GPT-2's byte-level pre-tokenizer (a single ByteLevel with its regex, no normalizer) is exported to GGUF; this tokenizer has ${JSON.stringify(pre?.type ?? null)}`,
    )
  }
  const added = new Map((tokenizer.added_tokens ?? []).map((t) => [t.id, t]))
  const size = Math.max(config.vocabSize, ...Object.values(model.vocab).map((id) => id + 1), ...[...added.keys()].map((id) => id + 1))
  const tokens: string[] = new Array(size)
  for (const [text, id] of Object.entries(model.vocab)) tokens[id] = text
  for (const [id, t] of added) tokens[id] = t.content
  const types = new Int32Array(size)
  for (let id = 0; id < size; id++) {
    const a = added.get(id)
    types[id] = a ? (a.special ? CONTROL : USER_DEFINED) : NORMAL
    // Rows the embedding has beyond the tokenizer (padding to a round size) get placeholder names.
    if (tokens[id] === undefined) {
      tokens[id] = `[PAD${id}]`
      types[id] = USER_DEFINED
    }
  }
  if (size !== config.vocabSize)
    throw new UsageError(`${path}: the tokenizer has ${size} tokens but config.json vocab_size is ${config.vocabSize}`)
  const merges = model.merges.map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m))
  const idOf = (t: TokenizerConfigJson['bos_token']): number | undefined => {
    const content = typeof t === 'string' ? t : t?.content
    if (content === undefined) return undefined
    return model.vocab![content] ?? [...added.values()].find((a) => a.content === content)?.id
  }
  const eosConfig = config.eosTokenIds[0]
  const bos = config.bosTokenId ?? idOf(tokConfig.bos_token)
  const eos = eosConfig ?? idOf(tokConfig.eos_token)
  const kv: [string, GgufValue][] = [
    ['tokenizer.ggml.model', {type: 'string', value: 'gpt2'}],
    ['tokenizer.ggml.pre', {type: 'string', value: 'gpt-2'}],
    ['tokenizer.ggml.tokens', {type: 'string[]', value: tokens}],
    ['tokenizer.ggml.token_type', {type: 'i32[]', value: types}],
    ['tokenizer.ggml.merges', {type: 'string[]', value: merges}],
  ]
  if (bos !== undefined) kv.push(['tokenizer.ggml.bos_token_id', {type: 'u32', value: bos}])
  if (eos !== undefined) kv.push(['tokenizer.ggml.eos_token_id', {type: 'u32', value: eos}])
  kv.push(['tokenizer.ggml.add_bos_token', {type: 'bool', value: tokConfig.add_bos_token ?? false}])
  if (tokConfig.chat_template) kv.push(['tokenizer.chat_template', {type: 'string', value: tokConfig.chat_template}])
  return kv
}
