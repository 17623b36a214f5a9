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
import {type KvCache, type LlamaModel, type LoraBinding, bindLora, forward} from './model.js'

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
function step(model: LlamaModel, ids: number[], lora: LoraBinding | undefined, cache: KvCache | undefined, useCache: boolean): {last: tf.Tensor1D; cache?: KvCache} {
  return tf.tidy(() => {
    const input = tf.tensor2d(Int32Array.from(ids), [1, ids.length], 'int32')
    const out = forward(model, input, {lora, cache, useCache})
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

/**
 * Generates after `promptIds`. `decode` turns generated ids into text (needed for stop strings and
 * the text callback; without it `text` is empty).
 */
export async function generateTokens(model: LlamaModel, promptIds: number[], options: GenerateOptions = {}, decode?: (ids: number[]) => string): Promise<GenerateResult> {
  if (!promptIds.length) throw new Error('generation needs at least one prompt token')
  const maxTokens = options.maxTokens ?? 128
  const useCache = options.useCache ?? true
  const stops = (options.stop ?? []).filter((s) => s.length > 0)
  const stopIds = new Set(options.stopTokenIds ?? [])
  const rand = sfc32(options.seed ?? 0)
  const lora = options.lora ? bindLora(options.lora) : undefined
  const tokens: number[] = []
  let text = ''
  let emitted = 0
  let finishReason: FinishReason = 'length'
  let cache: KvCache | undefined
  let pending = promptIds
  try {
    while (tokens.length < maxTokens) {
      const input = useCache ? pending : [...promptIds, ...tokens]
      const out = step(model, input, lora, cache, useCache)
      disposeCache(cache)
      cache = out.cache
      const logits = (await out.last.data()) as Float32Array
      out.last.dispose()
      const next = sampleToken(logits, options.temperature ?? 0, options.topP ?? 1, rand)
      if (stopIds.has(next)) {
        finishReason = 'stop'
        break
      }
      tokens.push(next)
      options.onToken?.(next)
      pending = [next]
      if (decode) {
        text = decode(tokens)
        const at = stops.length ? Math.min(...stops.map((s) => text.indexOf(s)).filter((i) => i >= 0)) : Number.POSITIVE_INFINITY
        if (Number.isFinite(at)) {
          text = text.slice(0, at)
          finishReason = 'stop'
          break
        }
        const safe = text.length - heldBack(text, stops)
        // A decoder can rewrite the tail of earlier text (byte-level pieces completing a character):
        // emit only what extends what was already emitted.
        if (safe > emitted && options.onText) {
          options.onText(text.slice(emitted, safe))
          emitted = safe
        }
      }
    }
  } finally {
    disposeCache(cache)
  }
  if (options.onText && text.length > emitted) options.onText(text.slice(emitted))
  return {text, tokens, finishReason, usage: {promptTokens: promptIds.length, completionTokens: tokens.length, totalTokens: promptIds.length + tokens.length}}
}

/** Generates a continuation of `prompt` with the base's tokenizer; eos ends generation. */
export function generateText(model: LlamaModel, tokenizer: LmTokenizer, prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
  const ids = tokenizer.encode(prompt)
  const eos = [...(tokenizer.eosTokenId !== undefined ? [tokenizer.eosTokenId] : []), ...model.config.eosTokenIds]
  return generateTokens(model, ids, {...options, stopTokenIds: options.stopTokenIds ?? eos}, (t) => tokenizer.decode(t))
}
