import {closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import '../helpers/env.js'
import {tempDir} from '../helpers/env.js'
import {type ModelAttribution, attributeTexts, headHessian, loadModelAttribution} from '../../src/attribution/from-model.js'
import {type Model, predict} from '../../src/model/infer.js'
import {trainBrownModel} from '../helpers/brown-model.js'

import {
  type Attributor,
  createAttributor,
  factorHeadHessian,
  factorHeadHessianStreamed,
  gradDotScores,
  headInfluenceScores,
  representerScores,
  streamedGradDot,
  streamedHeadInfluence,
  streamedHeadInfluenceBatch,
  streamedRepresenter,
  type StreamedModel,
} from '../../src/attribution/influence.js'
import {loadModelState, ModelStateRows, modelStateKey, modelStatePath, saveModelState} from '../../src/attribution/model-state-cache.js'
import {topKByScore} from '../../src/attribution/top-k.js'
import {OpenledgerError} from '../../src/errors.js'
import {CorruptFileError} from '../../src/store/atomic.js'
import {randomArray, randomInput} from './helpers.js'
import {createRandom} from '../../src/model/prng.js'

const dir = mkdtempSync(join(tmpdir(), 'ol-streamed-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** A model's state written as the cache writes it, and the attributor the in-memory path uses. */
function stateFile(name: string, seed: number, N: number, D: number, C: number, r: number): {path: string; att: Attributor} {
  const input = randomInput(seed, N, D, C, r, 0)
  const att = createAttributor(input)
  const {Ah, Bu, Bth, Pr, Res, G} = att.final
  const path = join(dir, `${name}.state.safetensors`)
  saveModelState(path, 'k1', {
    N,
    D,
    C,
    r,
    H: input.H,
    labels: input.labels,
    final: {Ah, Bu, Bth, Pr, Res, G},
    Hval: new Float32Array(0),
    labelsVal: new Int32Array(0),
  })
  return {path, att}
}

function opened(path: string, att: Attributor): StreamedModel {
  const rows = ModelStateRows.open(path, 'k1')
  if (!rows) throw new Error(`${path} did not open`)
  return {rows, weights: {A: att.input.A, B: att.input.B, W: att.input.W}, l2: att.input.l2}
}

describe('streamed queries over the state file', () => {
  const N = 1003
  const {path, att} = stateFile('small', 5, N, 12, 4, 3)
  const g = createRandom(9)
  const queries = [{h: randomArray(g, 12, 0.7)}, {h: randomArray(g, 12, 0.7), label: 2}]

  it('equal the in-memory scores bit for bit, over many small chunks, and select the same top-k', () => {
    const m = opened(path, att)
    try {
      const Hf = factorHeadHessian(att)
      // 4·(12 + 3 + 4) = 76 bytes a row for the IF: 3 rows a chunk, 335 chunks, the last one short.
      for (const q of queries) {
        const st = streamedHeadInfluence(m, Hf, q, {chunkBytes: 256, k: 25, keepScores: true})
        const mem = headInfluenceScores(att, Hf, q)
        expect(st.scores).toEqual(mem)
        expect(st.chunks).toBe(Math.ceil(N / 3))
        expect(st.bytesRead).toBe(N * 76)
        expect(st.top.map((t) => t.index)).toEqual(topKByScore(mem, 25))
        expect(st.top.map((t) => t.score)).toEqual(topKByScore(mem, 25).map((i) => mem[i]))
        // Without the N-sized array the selection is the same.
        const lean = streamedHeadInfluence(m, Hf, q, {chunkBytes: 1000, k: 25})
        expect(lean.scores).toBeUndefined()
        expect(lean.top).toEqual(st.top)

        const rep = streamedRepresenter(m, q, undefined, {chunkBytes: 256, k: 10, keepScores: true})
        expect(rep.scores).toEqual(representerScores(att, q))
        expect(rep.top.map((t) => t.index)).toEqual(topKByScore(representerScores(att, q), 10))
        for (const blocks of ['head', 'all'] as const) {
          const gd = streamedGradDot(m, q, {chunkBytes: 200, k: 10, keepScores: true, blocks})
          expect(gd.scores).toEqual(gradDotScores(att, q, {blocks}))
          expect(gd.top.map((t) => t.index)).toEqual(topKByScore(gradDotScores(att, q, {blocks}), 10))
        }
      }
      // One chunk holding every row gives the same answer as many.
      const whole = streamedHeadInfluence(m, Hf, queries[0], {chunkBytes: 1 << 30, k: 25})
      expect(whole.chunks).toBe(1)
      expect(whole.top).toEqual(streamedHeadInfluence(m, Hf, queries[0], {chunkBytes: 1, k: 25}).top)
    } finally {
      m.rows.close()
    }
  })

  it('keep every record tied at the k-th score, so a receipt can break ties by hash', () => {
    // Records 0..9 are copies of one record: identical rows, identical scores.
    const input = randomInput(7, 60, 6, 3, 2, 0)
    for (let i = 1; i < 10; i++) {
      input.H.copyWithin(i * 6, 0, 6)
      input.labels[i] = input.labels[0]
    }
    const copyAtt = createAttributor(input)
    const {Ah, Bu, Bth, Pr, Res, G} = copyAtt.final
    const p = join(dir, 'ties.state.safetensors')
    saveModelState(p, 'k1', {
      ...{N: 60, D: 6, C: 3, r: 2, H: input.H, labels: input.labels},
      final: {Ah, Bu, Bth, Pr, Res, G},
      Hval: new Float32Array(0),
      labelsVal: new Int32Array(0),
    })
    const m = opened(p, copyAtt)
    try {
      const q = {h: input.H.slice(0, 6)}
      const mem = gradDotScores(copyAtt, q)
      const rank = topKByScore(mem, 60).indexOf(0)
      // Cut the list inside the group of copies: every copy must still be a candidate.
      const st = streamedGradDot(m, q, {k: rank + 3, chunkBytes: 64})
      const copies = st.candidates.filter((c) => c.index < 10)
      expect(copies).toHaveLength(10)
      expect(new Set(copies.map((c) => c.score)).size).toBe(1)
    } finally {
      m.rows.close()
    }
  })

  it('factor the head Hessian from the file to the same bits as from memory', () => {
    const m = opened(path, att)
    try {
      const mem = factorHeadHessian(att)
      // 256 bytes is 3 rows: rounded up to one 64-row block of the Gram accumulation, 16 chunks.
      for (const chunkBytes of [256, 64 * 76 * 3, 1 << 30]) {
        const st = factorHeadHessianStreamed(m, {chunkBytes})
        expect(st.kind).toBe('dense')
        expect(st.kind === 'dense' && mem.kind === 'dense' && Buffer.from(st.L.buffer).equals(Buffer.from(mem.L.buffer))).toBe(true)
      }
      expect(() => factorHeadHessianStreamed(m, {maxDenseDim: 10})).toThrow(/exceeds maxDenseDim 10/)
      expect(() => factorHeadHessianStreamed(m, {damping: 0})).toThrow(/damping must be positive/)
    } finally {
      m.rows.close()
    }
  })

  it('refuse the conjugate-gradient Hessian, a Hessian or weights of another shape with one line', async () => {
    const m = opened(path, att)
    try {
      const cg = factorHeadHessian(att, {mode: 'cg'})
      expect(() => streamedHeadInfluence(m, cg, queries[0])).toThrow(/needs the dense head Hessian/)
      const other = factorHeadHessian(createAttributor(randomInput(1, 50, 7, 4, 3, 0)))
      expect(() => streamedHeadInfluence(m, other, queries[0])).toThrow(
        /the head Hessian is for C = 4, D \+ 1 = 8; the model state has C = 4, D \+ 1 = 13/,
      )
      await expect(streamedHeadInfluenceBatch(m, other, queries)).rejects.toThrow(/the head Hessian is for/)
      const wrong = {...m, weights: {...m.weights, W: new Float32Array(3)}}
      expect(() => streamedGradDot(wrong, queries[0])).toThrow(OpenledgerError)
      expect(() => streamedGradDot(m, {h: new Float32Array(5)})).toThrow(/query vector has 5 values, expected D = 12/)
    } finally {
      m.rows.close()
    }
  })
})

describe('a damaged state file', () => {
  it('is a miss when cut short, damaged or keyed for another model (the cache rebuilds it)', () => {
    const {path} = stateFile('cut', 3, 300, 8, 3, 2)
    expect(ModelStateRows.open(path, 'other-key')).toBeUndefined()
    const bytes = readFileSync(path)
    writeFileSync(path, bytes.subarray(0, bytes.length - 100))
    expect(ModelStateRows.open(path, 'k1')).toBeUndefined()
    expect(loadModelState(path, 'k1')).toBeUndefined()
    writeFileSync(path, Buffer.from('not a safetensors file'))
    expect(ModelStateRows.open(path, 'k1')).toBeUndefined()
    expect(ModelStateRows.open(join(dir, 'missing.state.safetensors'), 'k1')).toBeUndefined()
  })

  it('cut short during a pass is one line naming the file', async () => {
    const {path, att} = stateFile('cut-later', 4, 400, 8, 3, 2)
    const m = opened(path, att)
    try {
      // Cut the file's tail (G, Res, Pr and part of Bth) after opening: H and Ah read, Res is gone.
      const fd = openSync(path, 'r+')
      ftruncateSync(fd, statSync(path).size - 400 * 2 * 4 * 4)
      closeSync(fd)
      const Hf = factorHeadHessian(att)
      let err: unknown
      try {
        streamedHeadInfluence(m, Hf, {h: att.input.H.slice(0, 8)}, {chunkBytes: 512})
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(CorruptFileError)
      const message = (err as Error).message
      expect(message).toContain(path)
      expect(message).toMatch(/is corrupt: reading rows \d+\.\.\d+ of (Ah|Res): unexpected end of file/)
      expect(message).not.toContain('\n')
      // The same through the read-ahead pass (reads in the thread pool).
      await expect(streamedHeadInfluenceBatch(m, Hf, [{h: att.input.H.slice(0, 8)}], {chunkBytes: 512})).rejects.toThrow(
        /is corrupt: reading rows \d+\.\.\d+ of (Ah|Res): unexpected end of file/,
      )
    } finally {
      m.rows.close()
    }
  })
})

describe('streamed IF through ONNX Runtime', () => {
  const N = 2001
  const {path, att} = stateFile('ort', 6, N, 16, 5, 4)
  const Hf = factorHeadHessian(att)
  const g = createRandom(10)
  const queries = Array.from({length: 3}, (_, k) => ({h: randomArray(g, 16, 0.7), ...(k === 1 ? {label: 3} : {})}))

  it('agrees with the JS pass to float32 rounding, one query or several sharing a pass', async () => {
    const m = opened(path, att)
    try {
      const batch = await streamedHeadInfluenceBatch(m, Hf, queries, {chunkBytes: 4096, k: 30, keepScores: true})
      expect(batch).toHaveLength(3)
      for (const [k, q] of queries.entries()) {
        const mem = headInfluenceScores(att, Hf, q)
        const scale = Math.max(...mem.map(Math.abs))
        const got = batch[k].scores!
        for (let i = 0; i < N; i++) expect(Math.abs(got[i] - mem[i])).toBeLessThan(1e-4 * scale)
        // The selection is the top-k of the scores the pass computed.
        expect(batch[k].top.map((t) => t.index)).toEqual(topKByScore(got, 30))
        const single = await streamedHeadInfluenceBatch(m, Hf, [q], {chunkBytes: 4096, k: 30, keepScores: true})
        expect(single[0].scores).toEqual(got)
        expect(batch[k].bytesRead).toBe(N * 4 * (16 + 4 + 5))
      }
      expect(await streamedHeadInfluenceBatch(m, Hf, [])).toEqual([])
    } finally {
      m.rows.close()
    }
  })

  it('handle a head-only model (adapter rank 0)', async () => {
    const plain = stateFile('rank0', 8, 300, 10, 3, 0)
    const m = opened(plain.path, plain.att)
    try {
      const HfPlain = factorHeadHessian(plain.att)
      const q = {h: randomArray(g, 10, 0.7)}
      const mem = headInfluenceScores(plain.att, HfPlain, q)
      expect(streamedHeadInfluence(m, HfPlain, q, {chunkBytes: 100, keepScores: true}).scores).toEqual(mem)
      const [viaOrt] = await streamedHeadInfluenceBatch(m, HfPlain, [q], {chunkBytes: 100, k: 10})
      expect(viaOrt.top.map((t) => t.index)).toEqual(topKByScore(mem, 10))
    } finally {
      m.rows.close()
    }
  })

  it('gives each of two passes in flight on one file its own chunk buffers', async () => {
    const m = opened(path, att)
    try {
      const alone = await Promise.all(queries.map((q) => streamedHeadInfluenceBatch(m, Hf, [q], {chunkBytes: 2048, keepScores: true})))
      // Interleaved: each pass awaits ONNX Runtime between chunks, so the others read theirs meanwhile.
      const together = await Promise.all(
        [...queries, ...queries].map((q) => streamedHeadInfluenceBatch(m, Hf, [q], {chunkBytes: 2048, keepScores: true})),
      )
      together.forEach(([r], k) => expect(r.scores).toEqual(alone[k % queries.length][0].scores))
      for (const [k, q] of queries.entries()) {
        expect(streamedHeadInfluence(m, Hf, q, {chunkBytes: 2048}).top.map((t) => t.index)).toEqual(alone[k][0].top.map((t) => t.index))
      }
    } finally {
      m.rows.close()
    }
  })
})

describe("a trained model's cached state, streamed (real trainer, built-in encoder, real Brown sentences)", () => {
  const tmp = tempDir()
  const stateDir = join(tmp.dir, '.openledger')
  let model: Model
  let ma: ModelAttribution

  beforeAll(async () => {
    ;({model} = await trainBrownModel({dir: tmp.dir, stateDir, perClass: 40, epochs: 4}))
    // Builds and caches the state file the streamed queries read.
    ma = await loadModelAttribution(model, {stateDir})
  }, 120_000)
  afterAll(async () => {
    await model?.dispose()
    tmp.cleanup()
  })

  it("answers from the state file as the loaded model does: the same scores, and the receipt's records on top", async () => {
    const key = modelStateKey(model.path)
    const rows = ModelStateRows.open(modelStatePath(key), key)
    expect(rows).toBeDefined()
    const m: StreamedModel = {rows: rows!, weights: model.weights, l2: ma.attributor.input.l2}
    try {
      expect(rows!.N).toBe(ma.attributor.input.N)
      const text = 'The committee voted on the new budget for the state government'
      const [p] = await attributeTexts(ma, [text], {topK: 10})
      const {h} = await predict(model, [text])
      const q = {h: h.subarray(0, model.weights.D), label: model.config.labels.indexOf(p.label)}
      const Hf = headHessian(ma)
      // The exact JS pass: the same bits as the loaded model's.
      const st = streamedHeadInfluence(m, Hf, q, {chunkBytes: 64 << 10, k: 10, keepScores: true})
      expect(st.chunks).toBeGreaterThan(1)
      expect(st.scores).toEqual(headInfluenceScores(ma.attributor, Hf, q))
      // Through ONNX Runtime as `infer --attribute` is: the receipt's records are the streamed top 10.
      const [viaOrt] = await streamedHeadInfluenceBatch(m, Hf, [q], {chunkBytes: 64 << 10, k: 10})
      const hashes = ma.records.access((at) => viaOrt.top.map((t) => at.hash(t.index)))
      expect(hashes).toEqual(p.attribution.records.map((r) => r.recordHash))
    } finally {
      rows?.close()
    }
  })
})
