/**
 * tokenizer.ggml.* for a Hugging Face `tokenizer.json`: the two tokenizer families Llama-architecture
 * models ship with, written so llama.cpp splits text into the same ids as the tokenizers library.
 *
 * - Byte-level BPE ("gpt2" in GGUF): GPT-2, SmolLM/SmolLM2, Qwen2/2.5 and Llama 3 style
 *   pre-tokenizers. llama.cpp does not run the tokenizer.json regex; it picks its own, by the
 *   pre-tokenizer name (`tokenizer.ggml.pre`), so the export recognises each pre-tokenizer by its
 *   structure and exact regex and refuses one it cannot name (a guess would tokenize differently).
 * - SentencePiece-style BPE with byte fallback ("llama" in GGUF): Llama 2, TinyLlama, Mistral.
 *   llama.cpp merges the adjacent pair whose merged token has the highest score; a merge rank r
 *   becomes the score −r of the token it makes, which is the order the tokenizers library applies.
 *   One difference remains with a Metaspace pre-tokenizer (prepend_scheme "first"): it adds no "▁"
 *   to text that already starts with a space, where llama.cpp always adds one.
 */
import {UsageError} from '../../errors.js'
import type {LlamaConfig} from '../config.js'
import type {GgufValue} from './writer.js'

type PreTokenizer = {
  type?: string
  use_regex?: boolean
  add_prefix_space?: boolean
  individual_digits?: boolean
  pattern?: {Regex?: string; String?: string}
  behavior?: string
  invert?: boolean
  replacement?: string
  prepend_scheme?: string
  pretokenizers?: PreTokenizer[]
}

type Normalizer = {
  type?: string
  prepend?: string
  pattern?: {String?: string; Regex?: string}
  content?: string
  normalizers?: Normalizer[]
}

export type TokenizerJson = {
  added_tokens?: {id: number; content: string; special?: boolean}[]
  pre_tokenizer?: PreTokenizer | null
  normalizer?: Normalizer | null
  model?: {
    type?: string
    vocab?: Record<string, number>
    merges?: (string | [string, string])[]
    byte_fallback?: boolean
    ignore_merges?: boolean
    unk_token?: string | null
  }
}

export type TokenizerConfigJson = {
  bos_token?: string | {content: string} | null
  eos_token?: string | {content: string} | null
  chat_template?: string
  add_bos_token?: boolean
  add_eos_token?: boolean
}

/** llama.cpp token types (llama_token_type). */
const NORMAL = 1
const UNKNOWN = 2
const CONTROL = 3
const USER_DEFINED = 4
const BYTE = 6

/** The split regexes of the tokenizer.json files llama.cpp knows by name, as those files spell them. */
const QWEN2_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
const LLAMA3_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

const SPACE_MARK = '\u2581' // SentencePiece's "▁"

/** A plain GPT-2 ByteLevel step: its own regex (`use_regex`), or none when a Split before it did the splitting. */
function isByteLevel(p: PreTokenizer | undefined, withRegex: boolean): boolean {
  return p?.type === 'ByteLevel' && (p.use_regex ?? true) === withRegex && !p.add_prefix_space
}

function isIsolatingSplit(p: PreTokenizer | undefined, regex: string): boolean {
  return p?.type === 'Split' && p.pattern?.Regex === regex && p.behavior === 'Isolated' && !p.invert
}

/**
 * llama.cpp's pre-tokenizer name for a byte-level BPE tokenizer.json, or a reason it has none. The
 * normalizer must be absent, except Qwen2's NFC: llama.cpp does not normalize, so text already in
 * NFC (what editors and the web produce) tokenizes the same.
 */
function byteLevelPreName(t: TokenizerJson): {name: string} | {reason: string} {
  const pre = t.pre_tokenizer
  const steps = pre?.type === 'Sequence' ? (pre.pretokenizers ?? []) : pre ? [pre] : []
  const normalizer = t.normalizer ?? null
  const nfcOnly = normalizer?.type === 'NFC'
  let name: string | undefined
  if (steps.length === 1 && isByteLevel(steps[0], true)) name = 'gpt-2'
  else if (steps.length === 2 && steps[0].type === 'Digits' && steps[0].individual_digits && isByteLevel(steps[1], true)) name = 'smollm'
  else if (steps.length === 2 && isIsolatingSplit(steps[0], QWEN2_REGEX) && isByteLevel(steps[1], false)) name = 'qwen2'
  else if (steps.length === 2 && isIsolatingSplit(steps[0], LLAMA3_REGEX) && isByteLevel(steps[1], false)) {
    // llama.cpp's llama-bpe takes a whole pre-token that is in the vocabulary as one id, as
    // Llama 3's tokenizer.json says with ignore_merges; without it the two could split differently.
    if (!t.model?.ignore_merges) return {reason: 'a Llama 3 pre-tokenizer without "ignore_merges": true'}
    name = 'llama-bpe'
  }
  if (!name) return {reason: `the pre-tokenizer ${describePre(pre)}`}
  if (normalizer && !(nfcOnly && name === 'qwen2'))
    return {reason: `a ${normalizer.type ?? 'custom'} normalizer before the ${name} pre-tokenizer`}
  return {name}
}

function describePre(pre: PreTokenizer | null | undefined): string {
  if (!pre) return 'null'
  if (pre.type === 'Sequence') return `Sequence[${(pre.pretokenizers ?? []).map((p) => p.type).join(', ')}]`
  return JSON.stringify(pre.type ?? null)
}

/**
 * Whether the tokenizer is SentencePiece's BPE as the tokenizers library writes it: "▁" for spaces
 * and one before the text (a Prepend + Replace normalizer, or a Metaspace pre-tokenizer), with
 * byte fallback for characters outside the vocabulary.
 */
function isSentencePieceBpe(t: TokenizerJson): boolean {
  if (!t.model?.byte_fallback) return false
  const n = t.normalizer
  const pre = t.pre_tokenizer
  const steps = n?.type === 'Sequence' ? (n.normalizers ?? []) : n ? [n] : []
  const byNormalizer =
    !pre &&
    steps.length === 2 &&
    steps[0].type === 'Prepend' &&
    steps[0].prepend === SPACE_MARK &&
    steps[1].type === 'Replace' &&
    steps[1].pattern?.String === ' ' &&
    steps[1].content === SPACE_MARK
  const byMetaspace =
    !n && pre?.type === 'Metaspace' && pre.replacement === SPACE_MARK && (pre.prepend_scheme === 'first' || pre.prepend_scheme === 'always')
  return byNormalizer || byMetaspace
}

type Vocabulary = {tokens: string[]; types: Int32Array; added: Map<number, {content: string; special?: boolean}>}

function vocabulary(t: TokenizerJson, config: LlamaConfig, path: string): Vocabulary {
  const vocab = t.model!.vocab!
  const added = new Map((t.added_tokens ?? []).map((a) => [a.id, a]))
  let size = config.vocabSize
  for (const id of Object.values(vocab)) size = Math.max(size, id + 1)
  for (const id of added.keys()) size = Math.max(size, id + 1)
  if (size !== config.vocabSize)
    throw new UsageError(`${path}: the tokenizer has ${size} tokens but config.json vocab_size is ${config.vocabSize}`)
  const tokens: string[] = new Array(size)
  for (const [text, id] of Object.entries(vocab)) tokens[id] = text
  for (const [id, a] of added) tokens[id] = a.content
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
  return {tokens, types, added}
}

function mergePairs(t: TokenizerJson): [string, string][] {
  return (t.model!.merges ?? []).map((m) => {
    if (Array.isArray(m)) return m
    const space = m.indexOf(' ', 1)
    return [m.slice(0, space), m.slice(space + 1)]
  })
}

function specialIds(t: TokenizerJson, tokConfig: TokenizerConfigJson, config: LlamaConfig, v: Vocabulary) {
  const idOf = (token: TokenizerConfigJson['bos_token']): number | undefined => {
    const content = typeof token === 'string' ? token : token?.content
    if (content === undefined) return undefined
    return t.model!.vocab![content] ?? [...v.added].find(([, a]) => a.content === content)?.[0]
  }
  return {bos: config.bosTokenId ?? idOf(tokConfig.bos_token), eos: config.eosTokenIds[0] ?? idOf(tokConfig.eos_token)}
}

/**
 * The tokenizer.ggml.* keys for `tokenizer` (tokenizer.json at `path`), or a UsageError naming the
 * file and what llama.cpp could not reproduce.
 */
export function ggufTokenizerMetadata(
  tokenizer: TokenizerJson,
  tokConfig: TokenizerConfigJson,
  config: LlamaConfig,
  path: string,
): [string, GgufValue][] {
  const model = tokenizer.model
  if (model?.type !== 'BPE' || !model.vocab || !model.merges)
    throw new UsageError(
      `${path}: only BPE tokenizers (model.type "BPE" with vocab and merges) can be exported to GGUF; this one is ${JSON.stringify(model?.type ?? null)}`,
    )
  const spm = isSentencePieceBpe(tokenizer)
  const pre = spm ? undefined : byteLevelPreName(tokenizer)
  if (pre && 'reason' in pre)
    throw new UsageError(
      `${path}: llama.cpp has no tokenizer that splits text as ${pre.reason} does; GGUF export supports byte-level BPE (GPT-2, SmolLM, Qwen2, Llama 3 pre-tokenizers) and SentencePiece BPE with byte fallback`,
    )
  const v = vocabulary(tokenizer, config, path)
  const merges = mergePairs(tokenizer)
  const {bos, eos} = specialIds(tokenizer, tokConfig, config, v)
  const kv: [string, GgufValue][] = []
  if (spm) {
    const scores = new Float32Array(v.tokens.length)
    const scored = new Uint8Array(v.tokens.length)
    merges.forEach(([a, b], rank) => {
      const id = model.vocab![a + b]
      if (id !== undefined && !scored[id]) {
        scores[id] = -rank
        scored[id] = 1
      }
    })
    for (let id = 0; id < v.tokens.length; id++) if (!v.added.has(id) && /^<0x[0-9A-F]{2}>$/.test(v.tokens[id])) v.types[id] = BYTE
    const unk = model.unk_token ? model.vocab[model.unk_token] : undefined
    if (unk !== undefined) v.types[unk] = UNKNOWN
    kv.push(
      ['tokenizer.ggml.model', {type: 'string', value: 'llama'}],
      ['tokenizer.ggml.tokens', {type: 'string[]', value: v.tokens}],
      ['tokenizer.ggml.scores', {type: 'f32[]', value: scores}],
      ['tokenizer.ggml.token_type', {type: 'i32[]', value: v.types}],
      ['tokenizer.ggml.add_space_prefix', {type: 'bool', value: true}],
    )
    if (unk !== undefined) kv.push(['tokenizer.ggml.unknown_token_id', {type: 'u32', value: unk}])
  } else {
    kv.push(
      ['tokenizer.ggml.model', {type: 'string', value: 'gpt2'}],
      ['tokenizer.ggml.pre', {type: 'string', value: (pre as {name: string}).name}],
      ['tokenizer.ggml.tokens', {type: 'string[]', value: v.tokens}],
      ['tokenizer.ggml.token_type', {type: 'i32[]', value: v.types}],
      ['tokenizer.ggml.merges', {type: 'string[]', value: merges.map(([a, b]) => `${a} ${b}`)}],
    )
  }
  if (bos !== undefined) kv.push(['tokenizer.ggml.bos_token_id', {type: 'u32', value: bos}])
  if (eos !== undefined) kv.push(['tokenizer.ggml.eos_token_id', {type: 'u32', value: eos}])
  // Llama's SentencePiece tokenizer adds BOS unless told otherwise; byte-level tokenizers say so.
  kv.push(['tokenizer.ggml.add_bos_token', {type: 'bool', value: tokConfig.add_bos_token ?? spm}])
  if (tokConfig.add_eos_token !== undefined) kv.push(['tokenizer.ggml.add_eos_token', {type: 'bool', value: tokConfig.add_eos_token}])
  if (tokConfig.chat_template) kv.push(['tokenizer.chat_template', {type: 'string', value: tokConfig.chat_template}])
  return kv
}
