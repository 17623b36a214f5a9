/**
 * How a Hugging Face Llama maps onto llama.cpp's GGUF "llama" architecture: tensor names,
 * hyper-parameter keys, the tokenizer, and the row order of q/k projections.
 *
 * HF applies rotary positions to the two halves of each head (rotate_half); llama.cpp's llama
 * graph rotates adjacent pairs. Reordering each head's output rows from [x0..x(d/2-1), y0..] to
 * [x0, y0, x1, y1, ...] makes the two agree, as llama.cpp's convert_hf_to_gguf.py does.
 */
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
