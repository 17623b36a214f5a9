// Writes a tiny BERT-shaped feature-extraction model folder (config.json, tokenizer.json,
// tokenizer_config.json, onnx/model.onnx), laid out exactly as a Hugging Face hub repository.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {DT, GraphBuilder} from '../../../scripts/lib/onnx-builder.js'

export const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
export const WORDS = [
  'the',
  'cat',
  'dog',
  'sat',
  'on',
  'mat',
  'bank',
  'money',
  'loan',
  'rain',
  'sun',
  'cloud',
  'game',
  'team',
  'won',
  'lost',
  'a',
  'is',
  '.',
  ',',
]

export type TinyBert = {dir: string; vocab: string[]; hidden: number; wordEmb: Float32Array; typeEmb: Float32Array; proj: Float32Array}

export function writeTinyBert(dir: string, hidden = 16, seed = 7): TinyBert {
  const vocab = [...SPECIALS, ...WORDS]
  let s = seed
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1
  const wordEmb = Float32Array.from({length: vocab.length * hidden}, rand)
  const typeEmb = Float32Array.from({length: 2 * hidden}, () => rand() * 0.1)
  const proj = Float32Array.from({length: hidden * hidden}, () => rand() * 0.5)

  const g = new GraphBuilder()
  g.input('input_ids', DT.INT64, ['batch_size', 'sequence_length'])
  g.input('attention_mask', DT.INT64, ['batch_size', 'sequence_length'])
  g.input('token_type_ids', DT.INT64, ['batch_size', 'sequence_length'])
  g.init('word_embeddings', [vocab.length, hidden], wordEmb)
  g.init('token_type_embeddings', [2, hidden], typeEmb)
  g.init('dense', [hidden, hidden], proj)
  g.init('axis_last', [1], new BigInt64Array([-1n]))
  const x = g.op('Add', [
    g.op('Gather', ['word_embeddings', 'input_ids'], {axis: 0}),
    g.op('Gather', ['token_type_embeddings', 'token_type_ids'], {axis: 0}),
  ])
  const y = g.op('Tanh', [g.op('MatMul', [x, 'dense'])])
  const mask = g.op('Cast', [g.op('Unsqueeze', ['attention_mask', 'axis_last'])], {to: DT.FLOAT})
  g.op('Mul', [y, mask], {}, 'last_hidden_state')
  g.output('last_hidden_state', DT.FLOAT, ['batch_size', 'sequence_length', hidden])

  mkdirSync(join(dir, 'onnx'), {recursive: true})
  writeFileSync(join(dir, 'onnx', 'model.onnx'), g.build('tiny-bert'))
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['BertModel'],
      model_type: 'bert',
      hidden_size: hidden,
      num_attention_heads: 2,
      num_hidden_layers: 1,
      intermediate_size: hidden * 2,
      vocab_size: vocab.length,
      max_position_embeddings: 64,
      type_vocab_size: 2,
      pad_token_id: 0,
    }),
  )
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
      normalizer: {type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true},
      pre_tokenizer: {type: 'BertPreTokenizer'},
      post_processor: {
        type: 'TemplateProcessing',
        single: [{SpecialToken: {id: '[CLS]', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}}, {SpecialToken: {id: '[SEP]', type_id: 0}}],
        pair: [
          {SpecialToken: {id: '[CLS]', type_id: 0}},
          {Sequence: {id: 'A', type_id: 0}},
          {SpecialToken: {id: '[SEP]', type_id: 0}},
          {Sequence: {id: 'B', type_id: 1}},
          {SpecialToken: {id: '[SEP]', type_id: 1}},
        ],
        special_tokens: {
          '[CLS]': {id: '[CLS]', ids: [2], tokens: ['[CLS]']},
          '[SEP]': {id: '[SEP]', ids: [3], tokens: ['[SEP]']},
        },
      },
      decoder: {type: 'WordPiece', prefix: '##', cleanup: true},
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: Object.fromEntries(vocab.map((w, i) => [w, i])),
      },
    }),
  )
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 64,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
    }),
  )
  return {dir, vocab, hidden, wordEmb, typeEmb, proj}
}

/** The expected sentence embedding, computed directly: mean over tokens of tanh((E[id] + T[0]) P), L2-normalised. */
export function expectedEmbedding(m: TinyBert, text: string): Float32Array {
  const words = text.toLowerCase().match(/[a-z]+|[.,]/g) ?? []
  const ids = [2, ...words.map((w) => (m.vocab.includes(w) ? m.vocab.indexOf(w) : 1)), 3]
  const H = m.hidden
  const sum = new Float64Array(H)
  for (const id of ids) {
    for (let j = 0; j < H; j++) {
      let s = 0
      for (let k = 0; k < H; k++) s += (m.wordEmb[id * H + k] + m.typeEmb[k]) * m.proj[k * H + j]
      sum[j] += Math.tanh(s)
    }
  }
  const out = Float32Array.from(sum, (v) => v / ids.length)
  const n = Math.hypot(...out)
  return out.map((v) => v / n)
}
