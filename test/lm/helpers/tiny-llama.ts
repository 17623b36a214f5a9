// Writes a small random Llama in exactly a Hugging Face folder's layout: config.json,
// model.safetensors (HF tensor names, [out, in]), tokenizer.json (a WordLevel tokenizer that
// transformers.js loads) and tokenizer_config.json.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expectedTensorShapes, parseLlamaConfig} from '../../../src/lm/config.js'
import {sfc32} from '../../../src/model/prng.js'
import {type Tensor, encodeSafetensors} from '../../../src/model/safetensors.js'

export const SPECIALS = ['<pad>', '<s>', '</s>', '<unk>']
export const WORDS =
  'the cat dog sat on mat a red blue ball ran to home and is was big small tree bird sang song sun day night moon star sky . , question answer : yes no'.split(
    ' ',
  )

export type TinyLlamaOptions = {
  hidden?: number
  layers?: number
  heads?: number
  kvHeads?: number
  intermediate?: number
  tied?: boolean
  seed?: number
  chatTemplate?: boolean
}

export function tinyLlamaConfig(o: TinyLlamaOptions = {}): Record<string, unknown> {
  const hidden = o.hidden ?? 32
  const heads = o.heads ?? 4
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: hidden,
    intermediate_size: o.intermediate ?? hidden * 2,
    num_hidden_layers: o.layers ?? 2,
    num_attention_heads: heads,
    num_key_value_heads: o.kvHeads ?? 2,
    vocab_size: SPECIALS.length + WORDS.length,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 128,
    tie_word_embeddings: o.tied ?? true,
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 0,
    torch_dtype: 'float32',
  }
}

export function tinyLlamaTensors(config: Record<string, unknown>, seed = 1): Record<string, Tensor> {
  const rand = sfc32(seed)
  const out: Record<string, Tensor> = {}
  for (const [name, shape] of Object.entries(expectedTensorShapes(parseLlamaConfig(config)))) {
    const n = shape.reduce((a, b) => a * b, 1)
    const norm = name.endsWith('norm.weight')
    const scale = norm ? 0.1 : 1 / Math.sqrt(shape[shape.length - 1])
    out[name] = {shape, data: Float32Array.from({length: n}, () => (norm ? 1 : 0) + (2 * rand() - 1) * scale * 1.7)}
  }
  return out
}

export function writeTokenizer(dir: string, chatTemplate = false): void {
  const vocab = [...SPECIALS, ...WORDS]
  const special = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  })
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIALS.map((t, i) => special(t, i)),
      normalizer: {type: 'Lowercase'},
      pre_tokenizer: {type: 'Whitespace'},
      post_processor: {
        type: 'TemplateProcessing',
        single: [{SpecialToken: {id: '<s>', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}}],
        pair: [{SpecialToken: {id: '<s>', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}}, {Sequence: {id: 'B', type_id: 1}}],
        special_tokens: {'<s>': {id: '<s>', ids: [1], tokens: ['<s>']}},
      },
      decoder: null,
      model: {type: 'WordLevel', vocab: Object.fromEntries(vocab.map((w, i) => [w, i])), unk_token: '<unk>'},
    }),
  )
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'PreTrainedTokenizerFast',
      bos_token: '<s>',
      eos_token: '</s>',
      pad_token: '<pad>',
      unk_token: '<unk>',
      model_max_length: 128,
      ...(chatTemplate
        ? {
            chat_template:
              "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}{% if add_generation_prompt %}assistant : {% endif %}",
          }
        : {}),
    }),
  )
}

/** Writes the whole folder and returns its config. */
export function writeTinyLlama(dir: string, o: TinyLlamaOptions = {}): Record<string, unknown> {
  mkdirSync(dir, {recursive: true})
  const config = tinyLlamaConfig(o)
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2))
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tinyLlamaTensors(config, o.seed ?? 1)))
  writeTokenizer(dir, o.chatTemplate)
  return config
}
