// Small BPE tokenizers in the tokenizer.json layouts real Llama-family models ship with (GPT-2,
// SmolLM2, Qwen2.5, Llama 3 byte-level BPE; Llama 2 / TinyLlama SentencePiece BPE), each trained
// here on a few sentences so its merges are real, and a tiny random Llama of matching vocabulary.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {encodeSafetensors} from '../../../src/model/safetensors.js'
import {tinyLlamaConfig, tinyLlamaTensors} from './tiny-llama.js'

export type BpeKind = 'gpt-2' | 'smollm' | 'qwen2' | 'llama-bpe' | 'spm-normalizer' | 'spm-metaspace'

const CORPUS = `The cat sat on the mat; the dog didn't. It's 2024 and we'll pay $1,250.75 for 3 tickets!
Once upon a time there was a small bird that sang in the morning, and the sun rose over the hills.
"Quite a sum," she said -- twice. They're here, you've seen them, I'm sure they'd agree.
Numbers like 12345 and 6789 split in different ways; tabs\tand  double spaces stay.`

const QWEN2_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
const LLAMA3_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu

/** GPT-2's byte → printable character table (bytes_to_unicode). */
function byteChars(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)
  const out: string[] = []
  let extra = 0
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(printable(b) ? b : 256 + extra++))
  return out
}

/** Plain BPE training: merge the most frequent adjacent pair (ties by text) `count` times. */
function trainMerges(words: string[][], count: number): [string, string][] {
  const merges: [string, string][] = []
  for (let m = 0; m < count; m++) {
    const pairs = new Map<string, number>()
    for (const w of words)
      for (let i = 0; i + 1 < w.length; i++) pairs.set(`${w[i]}\u0000${w[i + 1]}`, (pairs.get(`${w[i]}\u0000${w[i + 1]}`) ?? 0) + 1)
    let best: string | undefined
    for (const [p, n] of pairs) if (!best || n > pairs.get(best)! || (n === pairs.get(best)! && p < best)) best = p
    if (!best || pairs.get(best)! < 2) break
    const [a, b] = best.split('\u0000') as [string, string]
    merges.push([a, b])
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) {
        if (w[i] === a && w[i + 1] === b) w.splice(i, 2, a + b)
      }
    }
  }
  return merges
}

function special(content: string, id: number) {
  return {id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true}
}

/** tokenizer.json and tokenizer_config.json of the given kind; returns the vocabulary size. */
export function writeBpeTokenizer(dir: string, kind: BpeKind): number {
  const spm = kind.startsWith('spm')
  let vocab: string[]
  let merges: [string, string][]
  let specials: string[]
  if (spm) {
    specials = ['<unk>', '<s>', '</s>']
    const bytes = Array.from({length: 256}, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)
    const words = CORPUS.split(' ').map((w) => [...`\u2581${w}`])
    const chars = [...new Set(words.flat())].sort()
    merges = trainMerges(words, 120)
    vocab = [...specials, ...bytes, ...chars]
  } else {
    specials = ['<|endoftext|>']
    const table = byteChars()
    const encoder = new TextEncoder()
    const words = (CORPUS.match(GPT2_SPLIT) ?? []).map((w) => [...encoder.encode(w)].map((b) => table[b]))
    merges = trainMerges(words, 150)
    vocab = [...specials, ...table]
  }
  for (const [a, b] of merges) if (!vocab.includes(a + b)) vocab.push(a + b)

  const byteLevel = (useRegex: boolean) => ({type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex})
  const split = (regex: string) => ({type: 'Split', pattern: {Regex: regex}, behavior: 'Isolated', invert: false})
  const layout: Record<BpeKind, {normalizer: unknown; pre_tokenizer: unknown; decoder: unknown}> = {
    'gpt-2': {normalizer: null, pre_tokenizer: byteLevel(true), decoder: byteLevel(true)},
    smollm: {
      normalizer: null,
      pre_tokenizer: {type: 'Sequence', pretokenizers: [{type: 'Digits', individual_digits: true}, byteLevel(true)]},
      decoder: byteLevel(true),
    },
    qwen2: {
      normalizer: {type: 'NFC'},
      pre_tokenizer: {type: 'Sequence', pretokenizers: [split(QWEN2_REGEX), byteLevel(false)]},
      decoder: byteLevel(false),
    },
    'llama-bpe': {
      normalizer: null,
      pre_tokenizer: {type: 'Sequence', pretokenizers: [split(LLAMA3_REGEX), byteLevel(false)]},
      decoder: byteLevel(true),
    },
    'spm-normalizer': {
      normalizer: {
        type: 'Sequence',
        normalizers: [
          {type: 'Prepend', prepend: '\u2581'},
          {type: 'Replace', pattern: {String: ' '}, content: '\u2581'},
        ],
      },
      pre_tokenizer: null,
      decoder: {
        type: 'Sequence',
        decoders: [
          {type: 'Replace', pattern: {String: '\u2581'}, content: ' '},
          {type: 'ByteFallback'},
          {type: 'Fuse'},
          {type: 'Strip', content: ' ', start: 1, stop: 0},
        ],
      },
    },
    'spm-metaspace': {
      normalizer: null,
      pre_tokenizer: {type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false},
      decoder: {type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false},
    },
  }
  const bos = spm ? '<s>' : '<|endoftext|>'
  const eos = spm ? '</s>' : '<|endoftext|>'
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: specials.map((t, i) => special(t, i)),
      ...layout[kind],
      post_processor: null,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: spm ? '<unk>' : null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: spm,
        byte_fallback: spm,
        ignore_merges: kind === 'llama-bpe',
        vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
        merges: merges.map(([a, b]) => [a, b]),
      },
    }),
  )
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: spm ? 'LlamaTokenizerFast' : 'PreTrainedTokenizerFast',
      bos_token: bos,
      eos_token: eos,
      add_bos_token: spm,
    }),
  )
  return vocab.length
}

/** A tiny random Llama folder whose tokenizer is a trained BPE of `kind`. */
export function writeTinyLlamaWithBpe(dir: string, kind: BpeKind): void {
  mkdirSync(dir, {recursive: true})
  const vocabSize = writeBpeTokenizer(dir, kind)
  const spm = kind.startsWith('spm')
  const config = {...tinyLlamaConfig(), vocab_size: vocabSize, bos_token_id: spm ? 1 : 0, eos_token_id: spm ? 2 : 0, pad_token_id: null}
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2))
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tinyLlamaTensors(config)))
}
