import {mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {selectLmDevice} from '../../src/lm/device.js'
import {loadLlamaBase} from '../../src/lm/load.js'
import {encodeSafetensors} from '../../src/model/safetensors.js'
import {SPECIALS, WORDS, tinyLlamaConfig, tinyLlamaTensors, writeTinyLlama} from './helpers/tiny-llama.js'

await selectLmDevice('cpu')
const root = mkdtempSync(join(tmpdir(), 'lm-load-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

let n = 0
const fresh = (o = {}) => {
  const dir = join(root, `m${n++}`)
  writeTinyLlama(dir, o)
  return dir
}

/** Rewrites config.json with `patch` applied. */
const patchConfig = (dir: string, patch: Record<string, unknown>) => {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
  writeFileSync(join(dir, 'config.json'), JSON.stringify({...c, ...patch}))
}

describe('loading a Hugging Face Llama folder', () => {
  it('loads config, weights and tokenizer; the tokenizer round-trips words', async () => {
    const dir = fresh({tied: false})
    const base = await loadLlamaBase(dir)
    expect(base.config).toMatchObject({
      hiddenSize: 32,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 8,
      tieWordEmbeddings: false,
      vocabSize: SPECIALS.length + WORDS.length,
    })
    const ids = base.tokenizer.encode('the cat sat')
    expect(ids).toEqual([
      1,
      SPECIALS.length + WORDS.indexOf('the'),
      SPECIALS.length + WORDS.indexOf('cat'),
      SPECIALS.length + WORDS.indexOf('sat'),
    ])
    expect(base.tokenizer.decode(ids)).toBe('the cat sat')
    expect(base.tokenizer.eosTokenId).toBe(2)
  })

  it('loads sharded weights through model.safetensors.index.json', async () => {
    const dir = fresh()
    unlinkSync(join(dir, 'model.safetensors'))
    const tensors = tinyLlamaTensors(tinyLlamaConfig())
    const names = Object.keys(tensors)
    const half = Math.ceil(names.length / 2)
    const shards = [names.slice(0, half), names.slice(half)]
    const weightMap: Record<string, string> = {}
    shards.forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`
      writeFileSync(join(dir, file), encodeSafetensors(Object.fromEntries(part.map((k) => [k, tensors[k]]))))
      for (const k of part) weightMap[k] = file
    })
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({metadata: {}, weight_map: weightMap}))
    const base = await loadLlamaBase(dir)
    expect(Array.from(await base.model.norm.data())).toEqual(Array.from(tensors['model.norm.weight'].data))
  })

  it('widens BF16 and F16 tensors to f32', async () => {
    const dir = fresh()
    const tensors = tinyLlamaTensors(tinyLlamaConfig())
    // Re-encode every tensor as BF16 (top 16 bits) except the norm, as F16 of 1.5 (exact in both).
    const header: Record<string, unknown> = {}
    const blobs: Buffer[] = []
    let off = 0
    for (const [name, t] of Object.entries(tensors)) {
      const isNorm = name === 'model.norm.weight'
      const buf = Buffer.alloc(t.data.length * 2)
      const u32 = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)
      for (let i = 0; i < t.data.length; i++) buf.writeUInt16LE(isNorm ? 0x3e00 : u32[i] >>> 16, 2 * i)
      header[name] = {dtype: isNorm ? 'F16' : 'BF16', shape: t.shape, data_offsets: [off, off + buf.length]}
      blobs.push(buf)
      off += buf.length
    }
    const json = Buffer.from(JSON.stringify(header))
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(json.length))
    writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([len, json, ...blobs]))
    const base = await loadLlamaBase(dir)
    expect(Array.from(await base.model.norm.data()).every((v) => v === 1.5)).toBe(true)
    const embed = (await base.model.embed.data()) as Float32Array
    const src = tensors['model.embed_tokens.weight'].data
    expect(Math.abs(embed[5] - src[5])).toBeLessThan(Math.abs(src[5]) * 2 ** -7)
  })

  it.each([
    [
      'wrong architecture',
      (d: string) => patchConfig(d, {architectures: ['GPT2LMHeadModel'], model_type: 'gpt2'}),
      /config\.json: architecture GPT2LMHeadModel .*not supported/,
    ],
    ['missing config.json', (d: string) => unlinkSync(join(d, 'config.json')), /config\.json is missing/],
    ['missing weights', (d: string) => unlinkSync(join(d, 'model.safetensors')), /model\.safetensors is missing/],
    ['missing tokenizer', (d: string) => unlinkSync(join(d, 'tokenizer.json')), /tokenizer\.json is missing/],
    [
      'shape mismatch',
      (d: string) => patchConfig(d, {intermediate_size: 80}),
      /model\.safetensors: tensor model\.layers\.0\.mlp\.down_proj\.weight has shape \[32,64\], but config\.json implies \[32,80\]/,
    ],
    [
      'untied config without lm_head',
      (d: string) => patchConfig(d, {tie_word_embeddings: false}),
      /missing 1 tensor\(s\), first lm_head\.weight \(set tie_word_embeddings/,
    ],
    [
      'unsupported dtype',
      (d: string) => {
        const json = Buffer.from(JSON.stringify({'model.norm.weight': {dtype: 'I64', shape: [32], data_offsets: [0, 256]}}))
        const len = Buffer.alloc(8)
        len.writeBigUInt64LE(BigInt(json.length))
        writeFileSync(join(d, 'model.safetensors'), Buffer.concat([len, json, Buffer.alloc(256)]))
      },
      /model\.safetensors: tensor model\.norm\.weight has dtype I64; supported: F32, F16, BF16/,
    ],
  ])('%s: one line naming the file', async (_name, damage, message) => {
    const dir = fresh()
    damage(dir)
    const err = await loadLlamaBase(dir).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({code: 'E_LM_MODEL', exitCode: 2})
    const text = (err as Error).message
    expect(text).not.toContain('\n')
    expect(text).toMatch(message)
    expect(text).toContain(dir)
  })
})

describe('the shipped default base (assets/lm/openledger-base)', () => {
  it('loads (f16 weights, BPE tokenizer) and continues text the same with and without the KV cache', async () => {
    const {generateTokens} = await import('../../src/lm/generate.js')
    const base = await loadLlamaBase(join(import.meta.dirname, '..', '..', 'assets', 'lm', 'openledger-base'))
    expect(base.config.torchDtype).toBe('float16')
    const text = 'The jury said that the city'
    const ids = base.tokenizer.encode(text, {addSpecialTokens: false})
    expect(base.tokenizer.decode(ids)).toBe(text)
    const cached = await generateTokens(base.model, ids, {maxTokens: 12})
    const uncached = await generateTokens(base.model, ids, {maxTokens: 12, useCache: false})
    expect(cached.tokens).toEqual(uncached.tokens)
    // A pretrained model continues with words, not one repeated token.
    expect(new Set(cached.tokens).size).toBeGreaterThan(4)
  })
})
