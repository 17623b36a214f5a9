/**
 * Text generation with a KV cache: the prompt runs once, then each new token is one forward step of a
 * single position over the cached keys and values, so n tokens cost O(n) steps (without the cache
 * every step re-reads the whole sequence). Greedy at temperature 0, else temperature + top-p sampling
 * from a seeded generator.
 */
import * as tf from '@tensorflow/tfjs'

import {sfc32} from '../model/prng.js'
import type {LmTokenizer} from './tokenizer.js'
import type {LoraAdapter} from './lora.js'
import {type KvCache, type LlamaModel, type LoraBinding, bindLora, bindLoraRows, disposeLoraRows, forward} from './model.js'

export type FinishReason = 'stop' | 'length'

export type GenerateOptions = {
  /** Most tokens to generate (default 128). */
  maxTokens?: number
  /** 0 (the default) is greedy; above 0 samples from softmax(logits / temperature). */
  temperature?: number
  /** Nucleus sampling: the smallest set of tokens whose probability reaches topP (default 1). */
  topP?: number
  seed?: number
  /** Generation ends before the first occurrence of any of these strings (which are not returned). */
  stop?: string[]
  /** Token ids that end generation (the base's eos by default when using `generateText`). */
  stopTokenIds?: number[]
  lora?: LoraAdapter
  /** false runs every step over the whole sequence (for comparisons); default true. */
  useCache?: boolean
  /** Called with each piece of text as it becomes final (held back while it may start a stop string). */
  onText?: (delta: string) => void
  /** Called with each generated token id. */
  onToken?: (id: number) => void
}

export type GenerateResult = {
  text: string
  tokens: number[]
  finishReason: FinishReason
  usage: {promptTokens: number; completionTokens: number; totalTokens: number}
}

/** Picks the next token from one row of logits. */
export function sampleToken(logits: Float32Array, temperature: number, topP: number, rand: () => number): number {
  if (!(temperature > 0)) {
    let best = 0
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i
    return best
  }
  let max = Number.NEGATIVE_INFINITY
  for (const v of logits) if (v > max) max = v
  const probs = new Float64Array(logits.length)
  let sum = 0
  for (let i = 0; i < logits.length; i++) sum += probs[i] = Math.exp((logits[i] - max) / temperature)
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b)
  let kept = order.length
  if (topP < 1) {
    let acc = 0
    for (let i = 0; i < order.length; i++) {
      acc += probs[order[i]] / sum
      if (acc >= topP) {
        kept = i + 1
        break
      }
    }
  }
  let mass = 0
  for (let i = 0; i < kept; i++) mass += probs[order[i]]
  let u = rand() * mass
  for (let i = 0; i < kept; i++) {
    u -= probs[order[i]]
    if (u <= 0) return order[i]
  }
  return order[kept - 1]
}

/** Logits of the last position after `ids`, and the grown cache when one is used. */
function step(
  model: LlamaModel,
  ids: number[],
  lora: LoraBinding | undefined,
  cache: KvCache | undefined,
  useCache: boolean,
): {last: tf.Tensor1D; cache?: KvCache} {
  return tf.tidy(() => {
    const input = tf.tensor2d(Int32Array.from(ids), [1, ids.length], 'int32')
    const out = forward(model, input, {lora, cache, useCache, inference: true})
    const V = model.config.vocabSize
    const last = tf.reshape(tf.slice(out.logits, [0, ids.length - 1, 0], [1, 1, V]), [V]) as tf.Tensor1D
    return out.cache ? {last, cache: out.cache} : {last}
  })
}

function disposeCache(c: KvCache | undefined): void {
  if (c) for (const l of c.layers) tf.dispose([l.k, l.v])
}

/** The longest suffix of `text` that is a proper prefix of some stop string (held back from streaming). */
function heldBack(text: string, stops: string[]): number {
  let hold = 0
  for (const s of stops) for (let n = Math.min(s.length - 1, text.length); n > hold; n--) if (text.endsWith(s.slice(0, n))) hold = n
  return hold
}

/** One sequence's decoding state: sampling, end tokens, stop strings, streaming, the result. */
class RowDecoder {
  readonly tokens: number[] = []
  private text = ''
  private emitted = 0
  private finishReason: FinishReason = 'length'
  private readonly rand: () => number
  private readonly stops: string[]
  private readonly stopIds: Set<number>
  readonly maxTokens: number
  done = false

  constructor(
    private readonly promptIds: number[],
    private readonly options: GenerateOptions,
    private readonly decode?: (ids: number[]) => string,
  ) {
    if (!promptIds.length) throw new Error('generation needs at least one prompt token')
    this.maxTokens = options.maxTokens ?? 128
    this.stops = (options.stop ?? []).filter((x) => x.length > 0)
    this.stopIds = new Set(options.stopTokenIds ?? [])
    this.rand = sfc32(options.seed ?? 0)
    if (this.maxTokens <= 0) this.done = true
  }

  /** Samples from this row's logits and records the token; returns it (or undefined when the row ended). */
  accept(logits: Float32Array): number | undefined {
    const next = sampleToken(logits, this.options.temperature ?? 0, this.options.topP ?? 1, this.rand)
    if (this.stopIds.has(next)) {
      this.finishReason = 'stop'
      this.done = true
      return undefined
    }
    this.tokens.push(next)
    this.options.onToken?.(next)
    if (this.decode) {
      this.text = this.decode(this.tokens)
      const hits = this.stops.map((x) => this.text.indexOf(x)).filter((i) => i >= 0)
      if (hits.length) {
        this.text = this.text.slice(0, Math.min(...hits))
        this.finishReason = 'stop'
        this.done = true
        return next
      }
      const safe = this.text.length - heldBack(this.text, this.stops)
      // A decoder can rewrite the tail of earlier text (byte-level pieces completing a character):
      // emit only what extends what was already emitted.
      if (safe > this.emitted && this.options.onText) {
        this.options.onText(this.text.slice(this.emitted, safe))
        this.emitted = safe
      }
    }
    if (this.tokens.length >= this.maxTokens) this.done = true
    return next
  }

  result(): GenerateResult {
    if (this.options.onText && this.text.length > this.emitted) this.options.onText(this.text.slice(this.emitted))
    this.emitted = this.text.length
    const p = this.promptIds.length
    return {
      text: this.text,
      tokens: this.tokens,
      finishReason: this.finishReason,
      usage: {promptTokens: p, completionTokens: this.tokens.length, totalTokens: p + this.tokens.length},
    }
  }
}

/**
 * Generates after `promptIds`. `decode` turns generated ids into text (needed for stop strings and
 * the text callback; without it `text` is empty).
 */
export async function generateTokens(
  model: LlamaModel,
  promptIds: number[],
  options: GenerateOptions = {},
  decode?: (ids: number[]) => string,
): Promise<GenerateResult> {
  const row = new RowDecoder(promptIds, options, decode)
  const useCache = options.useCache ?? true
  const lora = options.lora ? bindLora(options.lora) : undefined
  let cache: KvCache | undefined
  let pending = promptIds
  try {
    while (!row.done) {
      const out = step(model, useCache ? pending : [...promptIds, ...row.tokens], lora, cache, useCache)
      disposeCache(cache)
      cache = out.cache
      const logits = (await out.last.data()) as Float32Array
      out.last.dispose()
      const next = row.accept(logits)
      if (next !== undefined) pending = [next]
    }
  } finally {
    disposeCache(cache)
  }
  return row.result()
}

export type BatchRequest = {promptIds: number[]; options?: Omit<GenerateOptions, 'useCache' | 'lora'>; lora?: LoraAdapter | null}

/**
 * Generates for several prompts at once, each with its own adapter (or none) and sampling options:
 * prompts are left-padded to one length (pads masked, positions counted per row), LoRA is applied
 * per row, and every step is one forward pass of one position for the whole batch over the KV cache.
 * Rows that have finished ride along until the last one ends. Results are in request order.
 */
export async function generateBatch(
  model: LlamaModel,
  requests: BatchRequest[],
  decode?: (ids: number[]) => string,
): Promise<GenerateResult[]> {
  if (!requests.length) return []
  const rows = requests.map((r) => new RowDecoder(r.promptIds, r.options ?? {}, decode))
  const P = Math.max(...requests.map((r) => r.promptIds.length))
  const padLeft = requests.map((r) => P - r.promptIds.length)
  const binding = requests.some((r) => r.lora)
    ? bindLoraRows(
        model.config,
        requests.map((r) => r.lora ?? null),
      )
    : undefined
  const V = model.config.vocabSize
  let cache: KvCache | undefined
  let input = requests.map((r, b) => [...Array(padLeft[b]).fill(0), ...r.promptIds])
  try {
    while (rows.some((r) => !r.done)) {
      const T = input[0].length
      const out = tf.tidy(() => {
        const res = forward(model, tf.tensor2d(input, [input.length, T], 'int32'), {
          lora: binding,
          cache,
          useCache: true,
          padLeft,
          inference: true,
        })
        return {last: tf.reshape(tf.slice(res.logits, [0, T - 1, 0], [input.length, 1, V]), [input.length, V]), cache: res.cache!}
      })
      disposeCache(cache)
      cache = out.cache
      const logits = (await out.last.data()) as Float32Array
      out.last.dispose()
      input = rows.map((row, b) => {
        if (row.done) return [0]
        const next = row.accept(logits.subarray(b * V, (b + 1) * V))
        return [next ?? 0]
      })
    }
  } finally {
    disposeCache(cache)
    if (binding) disposeLoraRows(binding)
  }
  return rows.map((r) => r.result())
}

/** Generates a continuation of `prompt` with the base's tokenizer; eos ends generation. */
export function generateText(
  model: LlamaModel,
  tokenizer: LmTokenizer,
  prompt: string,
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  const ids = tokenizer.encode(prompt)
  const eos = [...(tokenizer.eosTokenId !== undefined ? [tokenizer.eosTokenId] : []), ...model.config.eosTokenIds]
  return generateTokens(model, ids, {...options, stopTokenIds: options.stopTokenIds ?? eos}, (t) => tokenizer.decode(t))
}
