import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {probeDevice, resolveDevice} from '../../src/model/backend.js'
import {BuiltinTokenizer, builtinEncoderDir, encoderFilesHash, loadBuiltinEncoder, loadEncoder} from '../../src/model/encoders/index.js'
import type {Encoder} from '../../src/model/encoders/types.js'
import {expectedEmbedding, writeTinyBert} from './helpers/tiny-bert.js'
import {type TempDir, tempDir} from '../helpers/env.js'

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0)
const row = (m: Float32Array, i: number, D: number) => m.subarray(i * D, (i + 1) * D)

let tmp: string
let temp: TempDir
beforeAll(() => {
  temp = tempDir('ol-enc-')
  tmp = temp.dir
  process.env.OPENLEDGER_CACHE_DIR = join(tmp, 'cache')
  process.env.OPENLEDGER_OFFLINE = '1'
})
afterAll(() => temp?.cleanup())

const cudaAvailable = (await probeDevice('cuda')).ok

describe('devices', () => {
  it('auto falls back to a provider that actually runs, and reports what it tried', async () => {
    const r = await resolveDevice('auto')
    expect(r.tried.at(-1)).toEqual({device: r.device, ok: true})
    // Everything tried before the winner failed, with a reason.
    for (const t of r.tried.slice(0, -1)) expect(t.ok === false && typeof t.reason === 'string').toBe(true)
    const cuda = await probeDevice('cuda')
    const webgpu = await probeDevice('webgpu')
    // A software WebGPU adapter (Mesa's lavapipe in CI) is passed over: slower than the CPU provider.
    expect(r.device).toBe(cuda.ok ? 'cuda' : webgpu.ok && !webgpu.software ? 'webgpu' : 'cpu')
  })

  it('cpu always works', async () => {
    expect((await resolveDevice('cpu')).device).toBe('cpu')
  })

  // Only where the CUDA provider is missing: on a machine with it, --device cuda is not an error.
  it.skipIf(cudaAvailable)('an explicit device that is not there is a usage error naming --device', async () => {
    await expect(resolveDevice('cuda')).rejects.toMatchObject({
      code: 'E_USAGE',
      exitCode: 2,
      shortMessage: expect.stringMatching(/^--device cuda is not available/),
    })
  })
})

describe('built-in encoder (ONNX Runtime, assets/encoder)', () => {
  let enc: Encoder
  beforeAll(async () => {
    enc = await loadBuiltinEncoder('cpu')
  })
  afterAll(() => enc.dispose())

  it('gives unit vectors whose geometry follows meaning', async () => {
    const texts = [
      'The striker scored twice in the football match.',
      'The goalkeeper saved a penalty in the final game.',
      'The central bank raised interest rates again.',
      'Investors sold bonds as inflation climbed.',
    ]
    const v = await enc.encode(texts)
    const D = enc.dim
    expect(D).toBe(100)
    for (let i = 0; i < 4; i++) expect(Math.hypot(...row(v, i, D))).toBeCloseTo(1, 4)
    const same = dot(row(v, 0, D), row(v, 1, D))
    const cross = dot(row(v, 0, D), row(v, 2, D))
    expect(same).toBeGreaterThan(cross + 0.1)
    expect(dot(row(v, 2, D), row(v, 3, D))).toBeGreaterThan(dot(row(v, 3, D), row(v, 1, D)) + 0.1)
  })

  it('is batch-independent, order-invariant in words, and zero for text with no known word', async () => {
    const many = await enc.encode(['money market funds', 'x', 'funds market money', 'qzxv wqpl'])
    const one = await enc.encode(['money market funds'])
    const D = enc.dim
    for (let d = 0; d < D; d++) expect(many[d]).toBeCloseTo(one[d], 5)
    for (let d = 0; d < D; d++) expect(many[2 * D + d]).toBeCloseTo(one[d], 5)
    expect(row(many, 3, D).every((x) => x === 0)).toBe(true)
  })

  it('tokenises case, punctuation, clitics and compounds onto the vocabulary', () => {
    const tok = new BuiltinTokenizer(['the', 'dog', "dog's", 'well', 'known', 'atlanta'], 5)
    expect(tok.tokenize("The DOG's well-known, Atlanta's!")).toEqual([1, 3, 4, 5, 6])
    expect(tok.tokenize('the the the the the the the')).toHaveLength(5)
  })

  it('has a stable hash over its files that is part of its identity', () => {
    expect(enc.hash).toBe(encoderFilesHash(builtinEncoderDir()))
    expect(enc.hash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(enc.id).toMatch(/^builtin:/)
  })
})

describe('transformers.js encoder from a local folder (tiny generated BERT)', () => {
  it('loads like a hub model, mean-pools with the attention mask and normalises', async () => {
    const model = writeTinyBert(join(tmp, 'tiny-bert'))
    const {encoder, device} = await loadEncoder({encoder: model.dir, device: 'cpu'})
    try {
      expect(device.device).toBe('cpu')
      expect(encoder.kind).toBe('transformers')
      expect(encoder.dim).toBe(model.hidden)
      expect(encoder.hash).toBe(encoderFilesHash(model.dir))
      const texts = ['The cat sat on the mat.', 'bank loan', 'a dog won the game , the team lost']
      const out = await encoder.encode(texts)
      texts.forEach((t, i) => {
        const want = expectedEmbedding(model, t)
        const got = row(out, i, model.hidden)
        for (let d = 0; d < model.hidden; d++) expect(got[d]).toBeCloseTo(want[d], 4)
      })
    } finally {
      await encoder.dispose()
    }
  })

  it('a hub id that cannot be fetched is one line naming the model and the ways out', async () => {
    await expect(loadEncoder({encoder: 'sentence-transformers/all-MiniLM-L6-v2', device: 'cpu', allowRemote: false})).rejects.toMatchObject(
      {
        code: 'E_ENCODER',
        shortMessage: expect.stringMatching(/^cannot fetch the hub model sentence-transformers\/all-MiniLM-L6-v2/),
        metaMessages: expect.arrayContaining([expect.stringMatching(/--encoder builtin/)]),
      },
    )
  })

  it('a local folder without the model files names the missing file', async () => {
    const model = writeTinyBert(join(tmp, 'broken-bert'))
    rmSync(join(model.dir, 'onnx'), {recursive: true})
    await expect(loadEncoder({encoder: model.dir, device: 'cpu'})).rejects.toMatchObject({
      shortMessage: expect.stringMatching(/onnx\/model\.onnx is missing/),
    })
  })
})
