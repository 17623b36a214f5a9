import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {configHash, DEFAULT_MODEL_CONFIG, type ModelConfig, resolveModelConfig} from '../../src/model/config.js'
import {loadBuiltinEncoder} from '../../src/model/encoders/builtin.js'
import type {Encoder} from '../../src/model/encoders/types.js'
import {loadModel, predict, predictEmbeddings} from '../../src/model/infer.js'
import {decodeSafetensors} from '../../src/model/safetensors.js'
import {trainModel} from '../../src/model/train.js'
import {topicSource} from './helpers/data.js'
import {type TempDir, tempDir} from '../helpers/env.js'

let tmp: string
let temp: TempDir
let encoder: Encoder
const config: ModelConfig = {...DEFAULT_MODEL_CONFIG, num_train_epochs: 12, learning_rate: 0.01, val_size: 0.2, device: 'cpu'}

beforeAll(async () => {
  temp = tempDir('ol-train-')
  tmp = temp.dir
  process.env.OPENLEDGER_CACHE_DIR = join(tmp, 'cache')
  process.env.OPENLEDGER_OFFLINE = '1'
  encoder = await loadBuiltinEncoder('cpu')
})
afterAll(async () => {
  await encoder.dispose()
  temp?.cleanup()
})

describe('trainModel → artifact → loadModel/predict', () => {
  const source = topicSource(40)
  let out: string
  let result: Awaited<ReturnType<typeof trainModel>>

  beforeAll(async () => {
    out = join(tmp, 'models', 'news')
    const events: string[] = []
    result = await trainModel({source, config, out, encoder, onProgress: (e) => events.push(e.type)})
    expect(events).toContain('encode')
    expect(events).toContain('epoch')
    expect(events.at(-1)).toBe('write')
  })

  it('learns the topics and reports metrics, device and artifact path', () => {
    expect(result.artifact.path).toBe(out)
    expect(result.device).toBe('cpu')
    expect(result.labels).toEqual(['finance', 'sports', 'weather'])
    expect(result.metrics.valAccuracy).toBeGreaterThan(0.85)
    expect(result.records.train + result.records.val).toBe(120)
    expect(result.records.val).toBeGreaterThan(10)
  })

  it('writes config.json, model.safetensors, per-epoch checkpoints, training.json, a model card and a curve', () => {
    const files = readdirSync(out).sort()
    expect(files).toEqual(['README.md', 'checkpoints', 'config.json', 'model.safetensors', 'training-curve.svg', 'training.json'])
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))
    expect(cfg).toMatchObject({
      labels: ['finance', 'sports', 'weather'],
      num_labels: 3,
      hidden_size: 100,
      lora_rank: 8,
      encoder: {hash: encoder.hash, id: encoder.id},
    })
    const {tensors} = decodeSafetensors(readFileSync(join(out, 'model.safetensors')))
    expect(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]))).toEqual({
      'adapter.A': [8, 100],
      'adapter.B': [100, 8],
      'head.W': [3, 101],
      'input.mean': [100],
      'input.scale': [100],
    })
    expect(tensors['adapter.B'].data.some((x) => x !== 0)).toBe(true)
    const t = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'))
    expect(t.datanet).toEqual({name: 'news', id: '1', version: 1, root: source.root})
    expect(t.encoder).toEqual({id: encoder.id, hash: encoder.hash})
    expect(t.configHash).toBe(configHash(config))
    expect(t.config).toEqual(config)
    expect(t.seed).toBe(42)
    expect(t.metrics.epochs).toHaveLength(result.metrics.epochs)
    expect(t.metrics.epochs[0]).toMatchObject({
      epoch: 1,
      trainLoss: expect.any(Number),
      valLoss: expect.any(Number),
      valAccuracy: expect.any(Number),
    })
    expect(t.checkpoints).toHaveLength(t.metrics.epochs.length)
    for (const c of t.checkpoints) {
      expect(c.learningRate).toBeGreaterThan(0)
      expect(Object.keys(decodeSafetensors(readFileSync(join(out, c.path))).tensors)).toContain('head.W')
    }
    expect(t.records).toHaveLength(120)
    expect(t.records[0]).toEqual({
      recordHash: source.records[0].recordHash,
      contributor: source.records[0].contributor,
      label: 1,
      split: expect.stringMatching(/^(train|val)$/),
    })
    const card = readFileSync(join(out, 'README.md'), 'utf8')
    expect(card.startsWith('---\nlibrary_name: openledger\npipeline_tag: text-classification\n')).toBe(true)
    expect(card).toContain(source.root)
    const svg = readFileSync(join(out, 'training-curve.svg'), 'utf8')
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    expect(svg.match(/<polyline/g)).toHaveLength(3)
  })

  it('loads the artifact and predicts in input order, exposing h, h′ and probabilities', async () => {
    const model = await loadModel(out, {encoder})
    const texts = [
      'the goalkeeper was injured during the final match',
      'the mortgage lender raised interest rates',
      'a cold front brought snow to the valleys',
    ]
    const r = await predict(model, texts)
    expect(r.predictions.map((p) => p.label)).toEqual(['sports', 'finance', 'weather'])
    for (const p of r.predictions) expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    const {D, r: rank, A, B} = model.weights
    expect(r.h).toHaveLength(3 * D)
    // h′ = h + B·(A·h), checked directly for one row.
    const h = r.h.subarray(D, 2 * D)
    const z = Array.from({length: rank}, (_, k) => h.reduce((s, v, d) => s + A[k * D + d] * v, 0))
    for (let d = 0; d < D; d++) expect(r.hPrime[D + d]).toBeCloseTo(h[d] + z.reduce((s, zk, k) => s + B[d * rank + k] * zk, 0), 4)
    expect(Array.from(predictEmbeddings(model, r.embeddings).probs)).toEqual(Array.from(r.probs))
  })

  it('loads its own encoder when none is given (built-in, checked by hash)', async () => {
    const model = await loadModel(out, {device: 'cpu'})
    try {
      expect(model.encoder.hash).toBe(encoder.hash)
      expect((await predict(model, ['investors reported quarterly earnings'])).predictions[0].label).toBe('finance')
    } finally {
      await model.dispose()
    }
  })

  it('is deterministic under the seed (byte-identical weights), and different with another seed', async () => {
    const again = join(tmp, 'models', 'news-again')
    await trainModel({source, config, out: again, encoder})
    expect(readFileSync(join(again, 'model.safetensors')).equals(readFileSync(join(out, 'model.safetensors')))).toBe(true)
    const other = join(tmp, 'models', 'news-seed7')
    await trainModel({source, config: {...config, seed: 7}, out: other, encoder})
    expect(readFileSync(join(other, 'model.safetensors')).equals(readFileSync(join(out, 'model.safetensors')))).toBe(false)
  })

  it('reuses cached embeddings and re-encodes only changed records', async () => {
    const cachedRun = await trainModel({source, config, out: join(tmp, 'models', 'c1'), encoder})
    expect(cachedRun.records).toMatchObject({encoded: 0, cached: 120})
    const changed = topicSource(40)
    changed.records[5] = {
      ...changed.records[5],
      recordHash: '0x' + 'cd'.repeat(32),
      fields: {text: 'storm clouds over the stadium', label: 'weather'},
    }
    const partial = await trainModel({source: changed, config, out: join(tmp, 'models', 'c2'), encoder})
    expect(partial.records).toMatchObject({encoded: 1, cached: 119})
  })

  it('leaves out --exclude-records and records which', async () => {
    const drop = source.records.slice(0, 3).map((r) => r.recordHash)
    const dir = join(tmp, 'models', 'loo')
    const r = await trainModel({
      source,
      config,
      out: dir,
      encoder,
      excludeRecords: [drop[0].toUpperCase().replace('0X', '0x'), drop[1], drop[2]],
    })
    expect(r.records.excluded).toBe(3)
    const t = JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8'))
    expect(t.excludedRecords).toEqual([...drop].map((h) => h.toLowerCase()).sort())
    expect(t.records.map((x: {recordHash: string}) => x.recordHash)).not.toContain(drop[0])
    expect(t.records).toHaveLength(117)
  })
})

describe('bad input: one line, nothing written', () => {
  const cases: [string, () => ReturnType<typeof topicSource>, RegExp, Partial<ModelConfig>?][] = [
    ['an empty datanet', () => ({...topicSource(1), records: []}), /^datanet news version 1 has no records$/],
    [
      'a text field missing in some records',
      () => {
        const s = topicSource(5)
        s.records[3] = {...s.records[3], fields: {body: 'x', label: 'sports'}}
        s.records[7] = {...s.records[7], fields: {label: 'sports'}}
        return s
      },
      /^2 of 15 records in datanet news version 1 have no usable "text" field \(e\.g\. record 0x[0-9a-f]{64}\)$/,
    ],
    ['a label field that no record has', () => topicSource(3), /^9 of 9 records .* no usable "topic" field/, {label_field: 'topic'}],
    [
      'one class only',
      () => {
        const s = topicSource(4)
        s.records = s.records.filter((r) => r.fields.label === 'sports')
        return s
      },
      /only one class in "label" \("sports"\): a classifier needs at least two$/,
    ],
  ]
  for (const [name, make, message, extra] of cases) {
    it(name, async () => {
      const out = join(tmp, 'bad', name.replace(/\W+/g, '-'))
      const err = await trainModel({source: make(), config: {...config, ...extra}, out, encoder}).catch((e) => e)
      expect(err.code).toBe('E_TRAINING_DATA')
      expect(err.exitCode).toBe(2)
      expect(err.shortMessage).toMatch(message)
      expect(err.shortMessage).not.toContain('\n')
      expect(existsSync(out)).toBe(false)
      expect(existsSync(join(tmp, 'bad')) ? readdirSync(join(tmp, 'bad')) : []).toEqual([])
    })
  }

  it('every record excluded', async () => {
    const s = topicSource(2)
    await expect(
      trainModel({source: s, config, encoder, out: join(tmp, 'bad', 'all'), excludeRecords: s.records.map((r) => r.recordHash)}),
    ).rejects.toMatchObject({
      shortMessage: 'datanet news version 1: all 6 records are excluded by --exclude-records',
    })
  })

  it('config values are validated naming the flag or key', () => {
    expect(() => resolveModelConfig({cwd: tmp, overrides: {lora_rank: 0}})).toThrow(/^lora_rank must be ≥ 1, got 0$/)
    expect(() => resolveModelConfig({cwd: tmp, overrides: {lora_rank: 0}, overrideNames: {lora_rank: '--adapter-rank'}})).toThrow(
      /^--adapter-rank must be ≥ 1, got 0$/,
    )
    const file = join(tmp, 'openledger.config.json')
    writeFileSync(file, JSON.stringify({model: {learning_rate: 0.02, num_train_epochs: 3, datanet: 'news'}}))
    expect(resolveModelConfig({configFile: file, overrides: {num_train_epochs: 5}})).toMatchObject({
      learning_rate: 0.02,
      num_train_epochs: 5,
    })
    writeFileSync(file, JSON.stringify({model: {lr: 0.02}}))
    expect(() => resolveModelConfig({configFile: file})).toThrow(/unknown key model\.lr/)
    writeFileSync(file, JSON.stringify({models: [{name: 'm', datanet: 'news', text_field: 't', label_field: 'l', device: 'tpu'}]}))
    expect(() => resolveModelConfig({configFile: file})).toThrow(
      /openledger\.config\.json: models\[0\]\.device must be one of "auto", "cpu", "webgpu", "cuda", got "tpu"$/,
    )
  })
})

describe('corrupt artifacts', () => {
  let good: string
  beforeAll(async () => {
    good = join(tmp, 'models', 'good')
    await trainModel({source: topicSource(10), config: {...config, num_train_epochs: 2}, out: good, encoder})
  })
  const copy = (name: string) => {
    const dir = join(tmp, 'corrupt', name)
    for (const f of ['config.json', 'training.json', 'model.safetensors']) {
      const src = readFileSync(join(good, f))
      mkdirSync(dir, {recursive: true})
      writeFileSync(join(dir, f), src)
    }
    return dir
  }

  it('a missing weights file is named', async () => {
    const dir = copy('missing')
    rmSync(join(dir, 'model.safetensors'))
    await expect(loadModel(dir, {encoder})).rejects.toMatchObject({
      code: 'E_ARTIFACT',
      shortMessage: `${join(dir, 'model.safetensors')} is missing: not a complete model artifact (weights)`,
    })
  })

  it('truncated weights, broken JSON and a wrong shape are named', async () => {
    const a = copy('truncated')
    writeFileSync(join(a, 'model.safetensors'), readFileSync(join(a, 'model.safetensors')).subarray(0, 100))
    await expect(loadModel(a, {encoder})).rejects.toMatchObject({shortMessage: expect.stringMatching(/model\.safetensors is corrupt: /)})
    const b = copy('json')
    writeFileSync(join(b, 'config.json'), '{"labels": [')
    await expect(loadModel(b, {encoder})).rejects.toMatchObject({shortMessage: `${join(b, 'config.json')} is corrupt: not valid JSON`})
    const c = copy('shape')
    const cfg = JSON.parse(readFileSync(join(c, 'config.json'), 'utf8'))
    cfg.tensors['head.W'] = [4, 101]
    writeFileSync(join(c, 'config.json'), JSON.stringify(cfg))
    await expect(loadModel(c, {encoder})).rejects.toMatchObject({
      shortMessage: expect.stringMatching(/tensor head\.W has shape \[3,101\], config\.json says \[4,101\]/),
    })
    await expect(loadModel(join(tmp, 'nope'), {encoder})).rejects.toMatchObject({
      shortMessage: `--model ${join(tmp, 'nope')}: no model artifact folder there`,
    })
  })
})
