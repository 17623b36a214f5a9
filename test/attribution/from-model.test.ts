import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import '../helpers/env.js'
import {tempDir} from '../helpers/env.js'
import {traceOutput} from '../../src/attribution/datanet-trace.js'
import {type ModelAttribution, attributeTexts, loadModelAttribution, selfInfluenceRecords} from '../../src/attribution/from-model.js'
import {modelStateKey, saveModelState} from '../../src/attribution/model-state-cache.js'
import {receiptJson} from '../../src/attribution/receipt.js'
import {FileRecords, PackedRecords} from '../../src/attribution/record-table.js'
import {cacheDir} from '../../src/store/paths.js'
import {loadDatanetSource} from '../../src/model/datanet-source.js'
import type {Model} from '../../src/model/infer.js'
import {trainBrownModel} from '../helpers/brown-model.js'

const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const B = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

describe('attribution of a trained model (real trainer, built-in encoder, real Brown sentences)', () => {
  const tmp = tempDir()
  const stateDir = join(tmp.dir, '.openledger')
  let model: Model
  let ma: ModelAttribution
  let texts: string[]

  beforeAll(async () => {
    const trained = await trainBrownModel({dir: tmp.dir, stateDir, perClass: 60, epochs: 8, contributorOf: (i) => (i % 3 ? A : B)})
    texts = trained.train.map((e) => e.text)
    model = trained.model
    ma = await loadModelAttribution(model, {stateDir})
  }, 120_000)
  afterAll(async () => {
    await model?.dispose()
    tmp.cleanup()
  })

  it('attributes a prediction: records sorted proponents first, weights summing exactly to 1e18', async () => {
    const [p] = await attributeTexts(ma, ['The committee voted on the new budget for the state government'], {topK: 10})
    expect(p.attribution.records).toHaveLength(10)
    const scores = p.attribution.records.map((r) => r.score)
    expect([...scores].sort((a, b) => b - a)).toEqual(scores)
    const sum = p.attribution.contributors.reduce((s, c) => s + BigInt(c.weight), 0n)
    expect(sum).toBe(10n ** 18n)
    // Checksummed, as every address printed.
    for (const c of p.attribution.contributors) expect([A, B]).toContain(c.address)
    expect(p.receipt.inputHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(p.receipt.model).toBe(ma.modelId)
  })

  it('scores every record of the version for self-influence, highest first, saying which split it was in', async () => {
    const recs = await selfInfluenceRecords(ma)
    // Every record of the version: the training split and the held-out validation split.
    expect(recs).toHaveLength(model.training.records.length)
    const split = new Map(model.training.records.map((r) => [r.recordHash, r.split]))
    expect(recs.filter((r) => !r.inTraining).length).toBeGreaterThan(0)
    for (const r of recs) expect(r.inTraining).toBe(split.get(r.recordHash) === 'train')
    for (let i = 1; i < recs.length; i++) expect(recs[i - 1].selfInfluence).toBeGreaterThanOrEqual(recs[i].selfInfluence)
    // The estimate adds the memorisation term to the loss: never below the training loss.
    for (const r of recs) expect(r.selfInfluence).toBeGreaterThanOrEqual(r.loss - 1e-9)
  })

  it('traces a 15-word verbatim quote inside other words to its record first, and builds the index once', async () => {
    const source = texts.find((t) => t.split(/\s+/).length >= 22)!
    const quote = source.split(/\s+/).slice(3, 18).join(' ')
    const out = `Here is what the model wrote: ${quote}, and nothing else matters here.`
    const first = await traceOutput({datanet: 'brown', text: out, stateDir, allowDraft: true})
    expect(first.index.built).toBe(true)
    const recs = await loadDatanetSource({name: 'brown', allowDraft: true, stateDir})
    const expected = recs.records.find((r) => r.fields.text === source)!.recordHash
    expect(first.records[0].recordHash).toBe(expected)
    expect(first.spans[0].text).toContain(quote.split(' ').slice(0, 5).join(' '))
    const again = await traceOutput({datanet: 'brown', text: out, stateDir, allowDraft: true, method: 'hybrid'})
    expect(again.index.built).toBe(false)
    expect(again.records.map((r) => r.recordHash)).toContain(expected)
  })

  it('keeps the per-model state in a cache keyed by the artifact: the next load reads neither datanet nor encoder', async () => {
    const key = modelStateKey(model.path)
    expect(existsSync(join(cacheDir(), 'attribution', `${key}.state.safetensors`))).toBe(true)
    // The datanet is not where the second load looks: only the cache can answer.
    const again = await loadModelAttribution(model, {stateDir: join(tmp.dir, 'elsewhere')})
    expect(Array.from(again.attributor.input.H)).toEqual(Array.from(ma.attributor.input.H))
    const text = ['The committee voted on the new budget for the state government']
    const [a] = await attributeTexts(ma, text)
    const [b] = await attributeTexts(again, text)
    expect(receiptJson(b.receipt)).toBe(receiptJson(a.receipt))
    expect(await selfInfluenceRecords(again)).toEqual(await selfInfluenceRecords(ma))
  })

  it('keeps no object per record: hashes and contributors are read from the state file, top k per receipt', async () => {
    const key = modelStateKey(model.path)
    const again = await loadModelAttribution(model, {stateDir: join(tmp.dir, 'elsewhere')})
    expect(again.records).toBeInstanceOf(FileRecords)
    // Every row reads back as training.json spells it.
    const train = model.training.records.filter((r) => r.split === 'train')
    expect(again.records.length).toBe(train.length)
    again.records.access((at) => {
      for (let i = 0; i < train.length; i++)
        expect(at.meta(i)).toEqual({recordHash: train[i].recordHash, contributor: train[i].contributor, datanet: 'brown'})
    })
    const text = ['The committee voted on the new budget for the state government']
    const [before] = await attributeTexts(again, text)
    // The cache cleared under a running server: the records are rebuilt from the artifact, the same.
    const state = join(cacheDir(), 'attribution', `${key}.state.safetensors`)
    const saved = readFileSync(state)
    rmSync(state)
    try {
      const [after] = await attributeTexts(again, text)
      expect(receiptJson(after.receipt)).toBe(receiptJson(before.receipt))
      expect(again.records.get(3)).toEqual({recordHash: train[3].recordHash, contributor: train[3].contributor, datanet: 'brown'})
    } finally {
      writeFileSync(state, saved)
    }
  })

  it('reads a state file written before records were kept: the records are packed in memory, the receipts the same', async () => {
    const key = modelStateKey(model.path)
    const state = join(cacheDir(), 'attribution', `${key}.state.safetensors`)
    const saved = readFileSync(state)
    const {N, D, C, r, H, labels} = ma.attributor.input
    const {Ah, Bu, Bth, Pr, Res, G} = ma.attributor.final
    const v = await ma.validation!.matrix()
    saveModelState(state, key, {N, D, C, r, H, labels, final: {Ah, Bu, Bth, Pr, Res, G}, Hval: v.H, labelsVal: v.labels})
    try {
      const old = await loadModelAttribution(model, {stateDir: join(tmp.dir, 'elsewhere')})
      expect(old.records).toBeInstanceOf(PackedRecords)
      const text = ['The committee voted on the new budget for the state government']
      const [a] = await attributeTexts(ma, text)
      const [b] = await attributeTexts(old, text)
      expect(receiptJson(b.receipt)).toBe(receiptJson(a.receipt))
      expect(await selfInfluenceRecords(old)).toEqual(await selfInfluenceRecords(ma))
    } finally {
      writeFileSync(state, saved)
    }
  })

  it('refuses an empty text and, with no cached state, a model whose datanet is not here', async () => {
    await expect(traceOutput({datanet: 'brown', text: '  ', stateDir, allowDraft: true})).rejects.toMatchObject({exitCode: 2})
    const saved = process.env.OPENLEDGER_CACHE_DIR
    process.env.OPENLEDGER_CACHE_DIR = join(tmp.dir, 'empty-cache')
    try {
      await expect(loadModelAttribution(model, {stateDir: join(tmp.dir, 'elsewhere')})).rejects.toThrow(/not available here/)
    } finally {
      process.env.OPENLEDGER_CACHE_DIR = saved
    }
  })
})
