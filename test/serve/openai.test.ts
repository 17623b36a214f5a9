// The OpenAI-compatible routes on a real server over real sockets: two LoRA adapters on the shipped
// base answered in one batch, each row equal to that adapter answering alone; streaming as
// server-sent events; LRU eviction; a malformed body naming its field.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {endTokenIds} from '../../src/lm/complete.js'
import {llamaShape, readLlamaConfig} from '../../src/lm/config.js'
import {generateTokens} from '../../src/lm/generate.js'
import {loadLlamaBase} from '../../src/lm/load.js'
import {disposeLlama} from '../../src/lm/model.js'
import {type LoraWeight, baseWeightsSha256, projectionSize, writePeftAdapter} from '../../src/lm/peft.js'
import {sfc32} from '../../src/model/prng.js'
import {type InferenceServer, createInferenceServer} from '../../src/serve/server.js'

const BASE = resolve('assets/lm/openledger-base')
let tmp: string
let srv: InferenceServer
let url: string
const adapters: string[] = []

/** A PEFT adapter on the shipped base with random, non-zero A and B (so it changes the output). */
function randomAdapter(dir: string, seed: number): string {
  const shape = llamaShape(readLlamaConfig(BASE))
  const rand = sfc32(seed)
  const r = 4
  const fill = (n: number, scale: number) => Float32Array.from({length: n}, () => (rand() * 2 - 1) * scale)
  const weights: LoraWeight[] = []
  for (let layer = 0; layer < shape.layers; layer++) {
    for (const module of ['q_proj', 'v_proj'] as const) {
      const size = projectionSize(module, shape)
      weights.push({
        layer,
        module,
        a: {shape: [r, size.in], data: fill(r * size.in, 0.2)},
        b: {shape: [size.out, r], data: fill(size.out * r, 0.2)},
      })
    }
  }
  writePeftAdapter(dir, {
    settings: {
      r,
      alpha: 8,
      dropout: 0,
      targetModules: ['q_proj', 'v_proj'],
      baseModel: 'openledger-base',
      baseSha256: baseWeightsSha256(BASE),
    },
    weights,
  })
  return dir
}

async function post(path: string, body: unknown): Promise<{status: number; json: any; text: string}> {
  const res = await fetch(url + path, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {}
  return {status: res.status, json, text}
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ol-openai-'))
  adapters.push(randomAdapter(join(tmp, 'alpha'), 1), randomAdapter(join(tmp, 'beta'), 2))
  srv = createInferenceServer({stateDir: join(tmp, '.openledger'), maxAdapters: 1, lmDevice: 'cpu'})
  url = (await srv.listen(0, '127.0.0.1')).url
})
afterAll(async () => {
  await srv?.close()
  rmSync(tmp, {recursive: true, force: true})
})

const chat = (model: string) => ({
  model,
  messages: [{role: 'user', content: 'What is the capital of France?'}],
  max_tokens: 8,
  temperature: 0,
})

describe('POST /v1/chat/completions and /v1/completions', () => {
  it('answers two adapters at once in one batch, each as it answers alone', async () => {
    const both = await Promise.all(adapters.map((m) => post('/v1/chat/completions', chat(m))))
    for (const [i, r] of both.entries()) {
      expect(r.status, r.text).toBe(200)
      expect(r.json).toMatchObject({
        object: 'chat.completion',
        model: adapters[i],
        choices: [{index: 0, message: {role: 'assistant'}, finish_reason: expect.stringMatching(/^(stop|length)$/)}],
      })
      expect(r.json.usage.total_tokens).toBe(r.json.usage.prompt_tokens + r.json.usage.completion_tokens)
      expect(r.json.usage.completion_tokens).toBeGreaterThan(0)
    }
    expect(srv.stats().lmLargestBatch).toBe(2)
    // One adapter kept (maxAdapters 1): the least recently used was evicted once both finished.
    expect(srv.stats().lmEvictions).toBeGreaterThanOrEqual(1)
    for (const [i, m] of adapters.entries()) {
      const alone = await post('/v1/chat/completions', chat(m))
      expect(alone.json.choices[0].message.content).toBe(both[i].json.choices[0].message.content)
    }
  })

  it('streams server-sent events ending with [DONE], the same text as without stream', async () => {
    const body = {model: adapters[0], prompt: 'The capital of France is', max_tokens: 10, temperature: 0}
    const plain = await post('/v1/completions', body)
    expect(plain.status, plain.text).toBe(200)
    const res = await fetch(url + '/v1/completions', {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({...body, stream: true}),
    })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const events = (await res.text()).split('\n\n').filter(Boolean)
    expect(events.every((e) => e.startsWith('data: '))).toBe(true)
    expect(events.at(-1)).toBe('data: [DONE]')
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)))
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true)
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(plain.json.choices[0].text)
    expect(chunks.at(-1).choices[0].finish_reason).toBe(plain.json.choices[0].finish_reason)
    expect(chunks.at(-1).usage).toEqual(plain.json.usage)
  })

  it('streams chat completions as chat.completion.chunk deltas', async () => {
    const res = await fetch(url + '/v1/chat/completions', {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({...chat(adapters[1]), stream: true}),
    })
    const events = (await res.text()).split('\n\n').filter(Boolean)
    expect(events.at(-1)).toBe('data: [DONE]')
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)))
    expect(chunks[0].choices[0].delta.role).toBe('assistant')
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true)
    const alone = await post('/v1/chat/completions', chat(adapters[1]))
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(alone.json.choices[0].message.content)
  })

  it('answers with the base alone when "model" names the base folder, batched beside an adapter', async () => {
    const body = (model: string) => ({model, prompt: 'The capital of France is', max_tokens: 8, temperature: 0})
    const [b, a] = await Promise.all([post('/v1/completions', body(BASE)), post('/v1/completions', body(adapters[0]))])
    expect(b.status, b.text).toBe(200)
    expect(b.json.model).toBe(BASE)
    // The engine's own greedy continuation with no adapter.
    const base = await loadLlamaBase(BASE)
    try {
      const alone = await generateTokens(base.model, base.tokenizer.encode('The capital of France is'), {
        maxTokens: 8,
        temperature: 0,
        stopTokenIds: endTokenIds(base),
      })
      expect(b.json.usage.completion_tokens).toBe(alone.tokens.length)
      expect(b.json.choices[0].text).toBe(base.tokenizer.decode(alone.tokens))
    } finally {
      disposeLlama(base.model)
    }
    // The adapter changes the answer: the two rows of that batch did not share one LoRA.
    expect(a.json.choices[0].text).not.toBe(b.json.choices[0].text)
  })

  it('names the field at fault in a 400', async () => {
    const r = await post('/v1/chat/completions', {model: adapters[0], messages: []})
    expect(r.status).toBe(400)
    expect(r.json.error.message).toMatch(/"messages"/)
    const t = await post('/v1/completions', {model: adapters[0], prompt: 'x', top_p: 3})
    expect(t.status).toBe(400)
    expect(t.json.error.message).toMatch(/"top_p"/)
    const m = await post('/v1/completions', {model: join(tmp, 'nowhere'), prompt: 'x'})
    expect(m.status).toBe(400)
    expect(m.json.error.message).toMatch(/"model"/)
  })
})
