import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {afterAll, describe, expect, it} from 'vitest'

import {selectLmDevice} from '../../src/lm/device.js'
import {generateBatch, generateText, generateTokens} from '../../src/lm/generate.js'
import {loadLlamaBase} from '../../src/lm/load.js'
import {initLora, loraParams} from '../../src/lm/lora.js'
import {bindLora, bindLoraRows, disposeLoraRows, forward} from '../../src/lm/model.js'
import {sfc32} from '../../src/model/prng.js'
import {writeTinyLlama} from './helpers/tiny-llama.js'

await selectLmDevice('cpu')
const root = mkdtempSync(join(tmpdir(), 'lm-gen-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))
writeTinyLlama(join(root, 'base'), {seed: 5, chatTemplate: true})
const base = await loadLlamaBase(join(root, 'base'))

/** An adapter with random non-zero B, so it changes the output. */
function randomAdapter(seed: number, r: number, targets: Array<'q_proj' | 'v_proj' | 'o_proj' | 'down_proj'>) {
  const a = initLora(base.config, {r, alpha: 2 * r, dropout: 0, targetModules: targets}, seed)
  const rand = sfc32(seed + 99)
  for (const p of loraParams(a)) {
    if (p.key.includes('lora_B'))
      (p.tensor as tf.Variable).assign(
        tf.tensor2d(
          Float32Array.from({length: p.tensor.size}, () => (2 * rand() - 1) * 0.5),
          p.tensor.shape,
        ),
      )
  }
  return a
}

describe('generation', () => {
  it('greedy output with the KV cache equals greedy output without it, token for token', async () => {
    const prompt = base.tokenizer.encode('the cat sat on the')
    const withCache = await generateTokens(base.model, prompt, {maxTokens: 16})
    const without = await generateTokens(base.model, prompt, {maxTokens: 16, useCache: false})
    expect(withCache.tokens).toHaveLength(16)
    expect(withCache.tokens).toEqual(without.tokens)
    expect(withCache.finishReason).toBe('length')
    expect(withCache.usage).toEqual({promptTokens: prompt.length, completionTokens: 16, totalTokens: prompt.length + 16})
  })

  it('the cached step logits equal the full-sequence logits (with a LoRA adapter too)', async () => {
    const adapter = randomAdapter(3, 4, ['q_proj', 'v_proj'])
    const ids = base.tokenizer.encode('a red ball ran to the big tree')
    const full = tf.tidy(() => forward(base.model, tf.tensor2d([ids], undefined, 'int32'), {lora: bindLora(adapter)}).logits)
    const head = forward(base.model, tf.tensor2d([ids.slice(0, 5)], undefined, 'int32'), {lora: bindLora(adapter), useCache: true})
    const tail = forward(base.model, tf.tensor2d([ids.slice(5)], undefined, 'int32'), {
      lora: bindLora(adapter),
      useCache: true,
      cache: head.cache,
    })
    const joined = tf.concat([head.logits, tail.logits], 1)
    expect(tf.max(tf.abs(tf.sub(joined, full))).dataSync()[0]).toBeLessThan(1e-4)
  })

  it('samples reproducibly under a seed; temperature and top-p change what is drawn', async () => {
    const prompt = base.tokenizer.encode('the sun')
    const a = await generateTokens(base.model, prompt, {maxTokens: 12, temperature: 1.5, seed: 7})
    const b = await generateTokens(base.model, prompt, {maxTokens: 12, temperature: 1.5, seed: 7})
    const c = await generateTokens(base.model, prompt, {maxTokens: 12, temperature: 1.5, seed: 8})
    const greedy = await generateTokens(base.model, prompt, {maxTokens: 12})
    const nucleus = await generateTokens(base.model, prompt, {maxTokens: 12, temperature: 1.5, topP: 1e-6, seed: 8})
    expect(a.tokens).toEqual(b.tokens)
    expect(c.tokens).not.toEqual(a.tokens)
    // top-p that keeps only the most likely token is greedy, whatever the temperature.
    expect(nucleus.tokens).toEqual(greedy.tokens)
  })

  it('stops before a stop string, streams text that adds up to the result, and stops on eos', async () => {
    // Sampled (seeded): the random base's greedy choice repeats one token.
    const opts = {maxTokens: 20, temperature: 2, seed: 3}
    const free = await generateText(base.model, base.tokenizer, 'the cat', opts)
    const words = free.text.split(' ')
    expect(words.length).toBeGreaterThan(3)
    const stop = words[2]
    const pieces: string[] = []
    const stopped = await generateText(base.model, base.tokenizer, 'the cat', {...opts, stop: [stop], onText: (d) => pieces.push(d)})
    expect(stopped.finishReason).toBe('stop')
    expect(stopped.text).toBe(free.text.slice(0, free.text.indexOf(stop)))
    expect(pieces.join('')).toBe(stopped.text)
    // The first free token as an end token: generation ends at once with "stop" and no text.
    const eos = await generateText(base.model, base.tokenizer, 'the cat', {...opts, stopTokenIds: [free.tokens[0]]})
    expect(eos).toMatchObject({text: '', tokens: [], finishReason: 'stop'})
  })

  it('the chat template of the base builds the prompt', () => {
    expect(base.tokenizer.hasChatTemplate).toBe(true)
    expect(base.tokenizer.chatPrompt([{role: 'user', content: 'yes'}])).toBe('user : yes assistant : ')
  })
})

describe('batched LoRA: a different adapter per row', () => {
  it('a mixed batch equals each row run alone with its own adapter', async () => {
    const a1 = randomAdapter(11, 4, ['q_proj', 'v_proj'])
    const a2 = randomAdapter(12, 2, ['q_proj', 'o_proj', 'down_proj'])
    const rows = [
      base.tokenizer.encode('the cat sat on the mat'),
      base.tokenizer.encode('a bird sang a song to'),
      base.tokenizer.encode('the moon and the star'),
    ]
    const T = Math.max(...rows.map((r) => r.length))
    const padded = rows.map((r) => [...r, ...Array(T - r.length).fill(0)])
    const adapters = [a1, null, a2]
    const binding = bindLoraRows(base.config, adapters)
    const mixed = forward(base.model, tf.tensor2d(padded, undefined, 'int32'), {lora: binding}).logits
    disposeLoraRows(binding)
    const V = base.config.vocabSize
    for (let i = 0; i < rows.length; i++) {
      const alone = forward(
        base.model,
        tf.tensor2d([rows[i]], undefined, 'int32'),
        adapters[i] ? {lora: bindLora(adapters[i]!)} : {},
      ).logits
      const row = tf.slice(mixed, [i, 0, 0], [1, rows[i].length, V])
      expect(tf.max(tf.abs(tf.sub(row, alone))).dataSync()[0], `row ${i}`).toBeLessThan(1e-5)
    }
    // And the adapters do change the output (the test could fail).
    const plain = forward(base.model, tf.tensor2d([rows[0]], undefined, 'int32')).logits
    expect(tf.max(tf.abs(tf.sub(tf.slice(mixed, [0, 0, 0], [1, rows[0].length, V]), plain))).dataSync()[0]).toBeGreaterThan(1e-2)
  })
})

describe('batched generation: one forward pass per step for prompts of different lengths and adapters', () => {
  it('each row generates exactly what it generates alone', async () => {
    const a1 = randomAdapter(21, 4, ['q_proj', 'v_proj'])
    const a2 = randomAdapter(22, 2, ['o_proj', 'down_proj'])
    const decode = (ids: number[]) => base.tokenizer.decode(ids)
    const requests = [
      {promptIds: base.tokenizer.encode('the cat sat on the mat and'), lora: a1, options: {maxTokens: 10, temperature: 1.5, seed: 4}},
      {promptIds: base.tokenizer.encode('a bird'), lora: null, options: {maxTokens: 6}},
      {promptIds: base.tokenizer.encode('the moon was'), lora: a2, options: {maxTokens: 10, temperature: 1.2, seed: 5}},
      {promptIds: base.tokenizer.encode('yes'), lora: a1, options: {maxTokens: 8, temperature: 0.8, topP: 0.9, seed: 6}},
    ]
    const batched = await generateBatch(base.model, requests, decode)
    expect(batched.map((r) => r.tokens.length)).toEqual([10, 6, 10, 8])
    for (const [i, req] of requests.entries()) {
      const alone = await generateTokens(base.model, req.promptIds, {...req.options, lora: req.lora ?? undefined}, decode)
      expect(batched[i], `row ${i}`).toEqual(alone)
    }
    // The adapters matter: row 0 without its adapter generates something else.
    const plain = await generateTokens(base.model, requests[0].promptIds, requests[0].options, decode)
    expect(plain.tokens).not.toEqual(batched[0].tokens)
  })
})
