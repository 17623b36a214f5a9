/**
 * The GGUF export against llama.cpp itself, and our engine against llama.cpp (node-llama-cpp, CPU build): the shipped base and the base
 * plus a non-zero PEFT adapter must tokenize, score and continue a prompt as the PyTorch reference
 * (scripts/lm/gguf-reference.py → test/fixtures/lm/gguf-reference) does.
 *
 * Tolerances on the first generated token's log-probabilities, over the whole vocabulary:
 * f32 export ≤ 1e-4 (only summation order differs; measured 8.7e-6, 1.3e-5 with the adapter);
 * f16 export ≤ 5e-3 (llama.cpp rounds the activations to f16 for f16 matrices; measured 4.4e-4).
 * Greedy continuations must be identical up to the first near-tie in the reference (top-two logit
 * margin under twice the tolerance).
 */
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {
  type ControlledEvaluateInputItem,
  type Llama,
  LlamaLogLevel,
  type LlamaModel,
  type Token,
  getLlama,
  readGgufFileInfo,
} from 'node-llama-cpp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {encodeLoraGguf, exportBaseGguf, exportLoraGguf} from '../../src/lm/gguf.js'
import {permuteForRope} from '../../src/lm/gguf/llama.js'

const BASE = join(import.meta.dirname, '../../assets/lm/openledger-base')
const FIXTURE = join(import.meta.dirname, '../fixtures/lm/gguf-reference')
const F32_TOLERANCE = 1e-4
const F16_TOLERANCE = 5e-3

type Reference = {logprobs: number[]; greedy: number[]; margins: number[]}
const ref: {prompt: string; ids: number[]; base: Reference; adapter: Reference} = JSON.parse(
  readFileSync(join(FIXTURE, 'reference.json'), 'utf8'),
)

let tmp: string
let llama: Llama
const models: LlamaModel[] = []

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ol-gguf-'))
  llama = await getLlama({gpu: false, logLevel: LlamaLogLevel.error})
})
afterAll(async () => {
  for (const m of models) await m.dispose()
  await llama?.dispose()
  rmSync(tmp, {recursive: true, force: true})
})

async function load(path: string): Promise<LlamaModel> {
  const model = await llama.loadModel({modelPath: path})
  models.push(model)
  return model
}

/** Log-probabilities of the token after `ids` and a greedy continuation, as llama.cpp computes them. */
async function run(model: LlamaModel, ids: number[], lora?: string): Promise<{logprobs: Float64Array; greedy: number[]}> {
  // One thread: ggml's worker threads spin while waiting, which starves a shared 2-core machine.
  // An f32 KV cache and no flash attention (llama.cpp's CPU defaults keep K/V in f16 and accumulate
  // attention in f16: 3.6e-3 off with the strong test adapter), so the comparison measures the export.
  const context = await model.createContext({
    contextSize: 128,
    threads: 1,
    flashAttention: false,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    ...(lora ? {lora: {adapters: [{filePath: lora, scale: 1}]}} : {}),
  })
  try {
    const sequence = context.getSequence()
    // Temperature 1 and no truncation: the probabilities are the plain softmax of the logits.
    const next = {generateNext: {probabilities: true, options: {temperature: 1, topK: 0, topP: 1, minP: 0}}}
    const tokens = ids as Token[]
    let input: ControlledEvaluateInputItem[] = tokens.map((t, i) => (i === tokens.length - 1 ? [t, next] : t))
    let logprobs: Float64Array | undefined
    const greedy: number[] = []
    for (let step = 0; step < ref.base.greedy.length; step++) {
      const out = await sequence.controlledEvaluate(input)
      const probs = out[input.length - 1]!.next.probabilities!
      if (!logprobs) {
        logprobs = new Float64Array(ref.base.logprobs.length).fill(Number.NEGATIVE_INFINITY)
        for (const [token, p] of probs) logprobs[token] = Math.log(p)
      }
      const best = probs.keys().next().value as Token
      greedy.push(best)
      input = [[best, next]]
    }
    return {logprobs: logprobs!, greedy}
  } finally {
    await context.dispose()
  }
}

/**
 * Greedy tokens must be identical up to the first step where the reference's top two logits are
 * closer than the numeric tolerance allows to tell apart (after a near-tie the paths may fork).
 */
function expectSameGreedy(got: number[], want: Reference, tolerance: number): void {
  const fork = want.margins.findIndex((m) => m < 2 * tolerance)
  const n = fork === -1 ? want.greedy.length : fork
  expect(n).toBeGreaterThanOrEqual(3)
  expect(got.slice(0, n)).toEqual(want.greedy.slice(0, n))
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('GGUF export of the default base', () => {
  it('writes the llama keys, the gpt2 tokenizer and the tensor names llama.cpp expects', async () => {
    const out = exportBaseGguf(BASE, join(tmp, 'meta.gguf'), {dtype: 'f16'})
    const info = await readGgufFileInfo(out.path)
    const config = JSON.parse(readFileSync(join(BASE, 'config.json'), 'utf8'))
    const md = info.metadata as Record<string, any>
    expect(md.general.architecture).toBe('llama')
    expect(md.llama).toMatchObject({
      embedding_length: config.hidden_size,
      block_count: config.num_hidden_layers,
      feed_forward_length: config.intermediate_size,
      attention: {head_count: config.num_attention_heads, head_count_kv: config.num_key_value_heads},
      rope: {dimension_count: config.hidden_size / config.num_attention_heads},
    })
    expect(md.tokenizer.ggml.model).toBe('gpt2')
    expect(md.tokenizer.ggml.tokens).toHaveLength(config.vocab_size)
    expect(md.tokenizer.ggml.merges.length).toBeGreaterThan(1000)
    expect(md.tokenizer.ggml.eos_token_id).toBe(config.eos_token_id)
    expect(md.tokenizer.chat_template).toContain('<|im_start|>')
    const names = info.tensorInfo!.map((t) => t.name)
    expect(names).toContain('token_embd.weight')
    expect(names).toContain('blk.0.attn_q.weight')
    expect(names).toContain(`blk.${config.num_hidden_layers - 1}.ffn_down.weight`)
    expect(names).toContain('output_norm.weight')
    expect(names).not.toContain('output.weight') // tied: llama.cpp reuses token_embd
    expect(info.tensorInfo!.length).toBe(out.tensors)
  })

  it('tokenizes like transformers.js and the reference', async () => {
    const model = await load(exportBaseGguf(BASE, join(tmp, 'tok.gguf'), {dtype: 'f32'}).path)
    const {AutoTokenizer, env} = await import('@huggingface/transformers')
    env.allowRemoteModels = false
    env.allowLocalModels = true
    const tokenizer = await AutoTokenizer.from_pretrained(BASE)
    const texts = [
      ref.prompt,
      'Mr. O\'Brien paid $1,250.75 in 1961 -- "quite a sum," he said;\n\n  twice.',
      'naïve café über straße 東京 🙂',
    ]
    for (const text of texts) {
      const hf = tokenizer.encode(text, {add_special_tokens: false})
      expect(Array.from(model.tokenize(text)), text).toEqual(hf)
    }
    expect(Array.from(model.tokenize(ref.prompt))).toEqual(ref.ids)
  })

  it('f32: first-token log-probabilities and the greedy continuation match PyTorch', async () => {
    const model = await load(exportBaseGguf(BASE, join(tmp, 'base-f32.gguf'), {dtype: 'f32'}).path)
    const got = await run(model, ref.ids)
    expect(maxDiff(got.logprobs, ref.base.logprobs)).toBeLessThan(F32_TOLERANCE)
    expectSameGreedy(got.greedy, ref.base, F32_TOLERANCE)
  })

  it('f16: agrees within the f16 tolerance', async () => {
    const model = await load(exportBaseGguf(BASE, join(tmp, 'base-f16.gguf'), {dtype: 'f16'}).path)
    const got = await run(model, ref.ids)
    const diff = maxDiff(got.logprobs, ref.base.logprobs)
    expect(diff).toBeLessThan(F16_TOLERANCE)
    expect(diff).toBeGreaterThan(0) // it really ran in f16
    expectSameGreedy(got.greedy, ref.base, F16_TOLERANCE)
  })
})

describe('GGUF export of a PEFT LoRA adapter', () => {
  it('writes llama.cpp adapter keys and <tensor>.lora_a / .lora_b', async () => {
    const out = exportLoraGguf(join(FIXTURE, 'adapter'), BASE, join(tmp, 'meta-lora.gguf'))
    const info = await readGgufFileInfo(out.path)
    const md = info.metadata as Record<string, any>
    expect(md.general).toMatchObject({architecture: 'llama', type: 'adapter'})
    expect(md.adapter).toEqual({type: 'lora', lora: {alpha: 8}})
    const byName = new Map(info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number)]))
    // GGUF lists dimensions innermost first: A is [r, in] → [in, r]; B is [out, r] → [r, out].
    expect(byName.get('blk.0.attn_q.weight.lora_a')).toEqual([256, 4])
    expect(byName.get('blk.0.attn_k.weight.lora_b')).toEqual([4, 64])
    expect(byName.get('blk.3.ffn_down.weight.lora_a')).toEqual([512, 4])
    expect(byName.has('blk.0.ffn_up.weight.lora_a')).toBe(false)
  })

  it('base + adapter in llama.cpp matches PyTorch with the adapter applied', async () => {
    const model = await load(exportBaseGguf(BASE, join(tmp, 'with-lora.gguf'), {dtype: 'f32'}).path)
    const lora = exportLoraGguf(join(FIXTURE, 'adapter'), BASE, join(tmp, 'lora.gguf')).path
    const got = await run(model, ref.ids, lora)
    // The adapter must matter, or this comparison would prove nothing.
    expect(maxDiff(ref.adapter.logprobs, ref.base.logprobs)).toBeGreaterThan(100 * F32_TOLERANCE)
    expect(maxDiff(got.logprobs, ref.adapter.logprobs)).toBeLessThan(F32_TOLERANCE)
    expectSameGreedy(got.greedy, ref.adapter, F32_TOLERANCE)
    expect(ref.adapter.greedy).not.toEqual(ref.base.greedy)
  })

  it('refuses an adapter whose shapes do not fit the base, naming the file', () => {
    const dir = join(tmp, 'bad-adapter')
    cpSync(join(FIXTURE, 'adapter'), dir, {recursive: true})
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({...config, r: 8}))
    expect(() => encodeLoraGguf(dir, BASE)).toThrow(/adapter_model\.safetensors: .*q_proj has rank 4\/4 .* but r is 8/)
  })
})

describe('rotary row order', () => {
  it('interleaves the two halves of each head as llama.cpp rotates adjacent pairs', () => {
    // 2 heads of dimension 4, one column: rows [a0 a1 b0 b1 | c0 c1 d0 d1] → [a0 b0 a1 b1 | c0 d0 c1 d1].
    const out = permuteForRope(Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]), 8, 1, 2)
    expect(Array.from(out)).toEqual([0, 10, 1, 11, 20, 30, 21, 31])
  })
})

describe('our engine against llama.cpp on the same exports', () => {
  /** Log-probabilities of the token after `ids` as our TF.js engine computes them (wasm, f32). */
  async function engineRun(ids: number[], withAdapter: boolean) {
    const tf = await import('@tensorflow/tfjs')
    const {selectLmDevice} = await import('../../src/lm/device.js')
    const {loadLlamaBase} = await import('../../src/lm/load.js')
    const {bindLora, disposeLlama, forward} = await import('../../src/lm/model.js')
    const {disposeLora} = await import('../../src/lm/lora.js')
    const {generateTokens} = await import('../../src/lm/generate.js')
    const {loadAdapter} = await import('../../src/lm/artifact.js')
    await selectLmDevice('cpu')
    const base = await loadLlamaBase(BASE)
    const adapter = withAdapter ? loadAdapter(join(FIXTURE, 'adapter'), base) : undefined
    try {
      const logits = tf.tidy(() => {
        const out = forward(base.model, tf.tensor2d(Int32Array.from(ids), [1, ids.length], 'int32'), {
          lora: adapter ? bindLora(adapter) : undefined,
          inference: true,
        })
        return tf.slice(out.logits, [0, ids.length - 1, 0], [1, 1, -1])
      })
      const row = Float64Array.from(await logits.data())
      logits.dispose()
      let max = Number.NEGATIVE_INFINITY
      for (const v of row) max = Math.max(max, v)
      let sum = 0
      for (const v of row) sum += Math.exp(v - max)
      const logprobs = row.map((v) => v - max - Math.log(sum))
      const n = ref.base.greedy.length
      const greedy = (await generateTokens(base.model, ids, {maxTokens: n, temperature: 0, lora: adapter, stopTokenIds: []})).tokens
      return {logprobs, greedy}
    } finally {
      if (adapter) disposeLora(adapter)
      disposeLlama(base.model)
    }
  }

  it('base: first-token log-probabilities within 1e-4 and the same greedy continuation as llama.cpp (f32 export)', async () => {
    const model = await load(exportBaseGguf(BASE, join(tmp, 'engine-base.gguf'), {dtype: 'f32'}).path)
    const cpp = await run(model, ref.ids)
    const ours = await engineRun(ref.ids, false)
    expect(maxDiff(ours.logprobs, cpp.logprobs)).toBeLessThan(F32_TOLERANCE)
    expectSameGreedy(ours.greedy, ref.base, F32_TOLERANCE)
    expectSameGreedy(cpp.greedy, ref.base, F32_TOLERANCE)
  })

  it('base + PEFT adapter: our engine and llama.cpp with the GGUF adapter agree within 1e-4', async () => {
    const model = await load(exportBaseGguf(BASE, join(tmp, 'engine-lora-base.gguf'), {dtype: 'f32'}).path)
    const lora = exportLoraGguf(join(FIXTURE, 'adapter'), BASE, join(tmp, 'engine-lora.gguf')).path
    const cpp = await run(model, ref.ids, lora)
    const ours = await engineRun(ref.ids, true)
    expect(maxDiff(ours.logprobs, cpp.logprobs)).toBeLessThan(F32_TOLERANCE)
    expectSameGreedy(ours.greedy, ref.adapter, F32_TOLERANCE)
  })
})
