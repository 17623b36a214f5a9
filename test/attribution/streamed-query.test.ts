import {existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import '../helpers/env.js'
import {tempDir} from '../helpers/env.js'
import {
  type GradientMethod,
  type ModelAttribution,
  type QueryAttribution,
  isStreamed,
  loadModelAttribution,
  loadQueryAttribution,
  releaseAttribution,
} from '../../src/attribution/from-model.js'
import {createAttributor} from '../../src/attribution/influence.js'
import {ModelStateRows, modelStateKey, modelStatePath, saveModelState} from '../../src/attribution/model-state-cache.js'
import {arrayRecords} from '../../src/attribution/record-table.js'
import {receiptHash, receiptJson} from '../../src/attribution/receipt.js'
import {
  DEFAULT_STREAM_STATE_BYTES,
  type StreamedAttribution,
  perRecordStateBytes,
  streamStateBytes,
  streamedCandidates,
} from '../../src/attribution/streamed-query.js'
import {OpenledgerError} from '../../src/errors.js'
import {type Model, predict} from '../../src/model/infer.js'
import {attributeRows, predictedRows} from '../../src/serve/flow.js'
import {trainBrownModel} from '../helpers/brown-model.js'
import {randomArray, randomInput} from './helpers.js'
import {createRandom} from '../../src/model/prng.js'

const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const B = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

const TEXTS = [
  'The committee voted on the new budget for the state government',
  'She walked slowly down the hill toward the river and the old mill',
  'The team scored twice in the final minutes of the game',
]

describe("queries over a trained model's state file, streamed (real trainer, built-in encoder, real Brown sentences)", () => {
  const tmp = tempDir()
  const stateDir = join(tmp.dir, '.openledger')
  let model: Model
  let loaded: ModelAttribution
  const opened: QueryAttribution[] = []

  /** The model as a query opens it with the threshold at 0: streamed, in chunks of `chunkBytes`. */
  async function streamed(chunkBytes?: number): Promise<QueryAttribution> {
    const sa = await loadQueryAttribution(model, {stateDir, streamAbove: 0, ...(chunkBytes ? {chunkBytes} : {})})
    opened.push(sa)
    return sa
  }

  async function receipts(ma: QueryAttribution, texts: string[], method: GradientMethod, topK = 10) {
    const rows = predictedRows(await predict(model, texts), texts)
    return (await attributeRows(ma, rows, method, topK)).map((p) => p.receipt)
  }

  beforeAll(async () => {
    ;({model} = await trainBrownModel({dir: tmp.dir, stateDir, perClass: 48, epochs: 3, contributorOf: (i) => (i % 4 ? A : B)}))
    loaded = await loadModelAttribution(model, {stateDir})
  }, 120_000)
  afterAll(async () => {
    for (const ma of opened) await releaseAttribution(ma)
    await releaseAttribution(loaded)
    await model?.dispose()
    tmp.cleanup()
  })

  it('streams above the threshold only: OPENLEDGER_STREAM_STATE_BYTES=0 forces it, the default keeps a small model loaded', async () => {
    const {N, D, C, r} = loaded.attributor.input
    expect(perRecordStateBytes(N, D, C, r)).toBeLessThan(DEFAULT_STREAM_STATE_BYTES)
    expect(isStreamed(await loadQueryAttribution(model, {stateDir}))).toBe(false)
    const before = process.env.OPENLEDGER_STREAM_STATE_BYTES
    process.env.OPENLEDGER_STREAM_STATE_BYTES = '0'
    try {
      const sa = await loadQueryAttribution(model, {stateDir})
      opened.push(sa)
      expect(isStreamed(sa)).toBe(true)
      expect(sa).not.toHaveProperty('attributor')
      expect(sa.records.length).toBe(N)
      expect(sa.modelId).toBe(loaded.modelId)
    } finally {
      if (before === undefined) delete process.env.OPENLEDGER_STREAM_STATE_BYTES
      else process.env.OPENLEDGER_STREAM_STATE_BYTES = before
    }
    expect(() => streamStateBytes({OPENLEDGER_STREAM_STATE_BYTES: '1e3.5'})).toThrowError(
      /OPENLEDGER_STREAM_STATE_BYTES=1e3.5 is not a whole number of bytes/,
    )
  })

  it('gives the loaded model’s receipts with the influence function: records, weights and hash, one text or several', async () => {
    const {N, D, C, r} = loaded.attributor.input
    // Many chunks; then N − 1 rows and a last chunk of one row (the MatMul's smallest shape).
    for (const chunkBytes of [16 << 10, 4 * (N - 1) * (D + r + C)]) {
      const sa = await streamed(chunkBytes)
      for (const texts of [TEXTS.slice(0, 1), TEXTS]) {
        const want = await receipts(loaded, texts, 'if')
        const got = await receipts(sa, texts, 'if')
        expect(got.map(receiptJson)).toEqual(want.map(receiptJson))
        expect(got.map(receiptHash)).toEqual(want.map(receiptHash))
        expect(got[0].records).toHaveLength(10)
        for (const c of got[0].contributors) expect([A, B]).toContain(c.address)
      }
    }
  })

  it('gives the loaded model’s receipts with gradient dot products and the representer decomposition', async () => {
    const sa = await streamed(16 << 10)
    for (const method of ['graddot', 'representer'] as const) {
      const want = await receipts(loaded, TEXTS, method, 7)
      const got = await receipts(sa, TEXTS, method, 7)
      expect(got.map(receiptJson)).toEqual(want.map(receiptJson))
    }
  })

  it('refuses TracIn in one line naming the method, suggesting the influence function', async () => {
    const sa = await streamed()
    const err = await receipts(sa, TEXTS.slice(0, 1), 'tracin').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OpenledgerError)
    const e = err as OpenledgerError
    expect(e.code).toBe('E_ATTRIBUTION_NOT_STREAMABLE')
    expect(e.shortMessage).toMatch(/^method tracin cannot stream this model's state/)
    expect(e.shortMessage).not.toContain('\n')
    expect(e.metaMessages?.join(' ')).toContain('`--method if`')
  })

  it('builds a missing state file on the first query, then streams it: the same receipt', async () => {
    const key = modelStateKey(model.path)
    rmSync(modelStatePath(key))
    const sa = await streamed()
    expect(isStreamed(sa)).toBe(true)
    expect(existsSync(modelStatePath(key))).toBe(true)
    const [want] = await receipts(loaded, TEXTS.slice(1, 2), 'if')
    const [got] = await receipts(sa, TEXTS.slice(1, 2), 'if')
    expect(receiptJson(got)).toBe(receiptJson(want))
  })
})

describe('a streamed model whose head Hessian is solved by conjugate gradients', () => {
  it('refuses the influence function in one line naming the method, suggesting the methods that stream', async () => {
    const tmp = tempDir()
    // C·(D+1) = 9·513 = 4617: over the dense limit, so the loaded model would run CG.
    const [N, D, C, r] = [40, 512, 9, 2]
    const input = randomInput(3, N, D, C, r, 0)
    const {Ah, Bu, Bth, Pr, Res, G} = createAttributor(input).final
    const path = join(tmp.dir, 'cg.state.safetensors')
    const state = {N, D, C, r, H: input.H, labels: input.labels, final: {Ah, Bu, Bth, Pr, Res, G}}
    saveModelState(path, 'k', {...state, Hval: new Float32Array(0), labelsVal: new Int32Array(0)})
    const rows = ModelStateRows.open(path, 'k')!
    const records = arrayRecords(Array.from({length: N}, (_, i) => ({recordHash: `0x${i.toString(16).padStart(64, '0')}`, contributor: A})))
    const sa: StreamedAttribution = {
      model: undefined as never,
      modelId: 'cg-model',
      records,
      state: {rows, weights: {A: input.A, B: input.B, W: input.W}, l2: input.l2},
      stateKey: 'k',
    }
    try {
      const query = {h: randomArray(createRandom(4), D), label: 1}
      const err = await streamedCandidates(sa, [query], 'if', 5).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(OpenledgerError)
      expect((err as OpenledgerError).code).toBe('E_ATTRIBUTION_NOT_STREAMABLE')
      expect((err as OpenledgerError).shortMessage).toMatch(
        /^method if cannot stream this model's state: its head Hessian \(C·\(D\+1\) = 4617/,
      )
      expect((err as OpenledgerError).metaMessages?.join(' ')).toContain('`--method graddot`')
      // The methods that stream still answer.
      const [top] = await streamedCandidates(sa, [query], 'graddot', 5)
      expect(top.length).toBeGreaterThanOrEqual(5)
    } finally {
      rows.close()
      tmp.cleanup()
    }
  })
})
