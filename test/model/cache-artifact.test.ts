import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type ArtifactConfig, type TrainingManifest, writeArtifact} from '../../src/model/artifact.js'
import {EmbeddingCache} from '../../src/model/cache.js'
import {initWeights} from '../../src/model/fit.js'
import {type TempDir, tempDir} from '../helpers/env.js'

let tmp: string
let temp: TempDir
beforeAll(() => {
  temp = tempDir('ol-cache-')
  tmp = temp.dir
})
afterAll(() => temp?.cleanup())

const hash = (i: number) => '0x' + i.toString(16).padStart(64, '0')

describe('embedding cache', () => {
  it('stores and finds vectors by record hash, per encoder and text field', async () => {
    const root = join(tmp, 'c1')
    const cache = new EmbeddingCache('0xenc1', 3, 'text', root)
    const keys = [hash(1), hash(2), hash(0x100)]
    await cache.putMany(keys, Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]))
    const out = new Float32Array(4 * 3)
    expect(cache.getMany([hash(0x100), hash(9), hash(1), hash(2)], out)).toEqual([1])
    expect(Array.from(out)).toEqual([7, 8, 9, 0, 0, 0, 1, 2, 3, 4, 5, 6])
    // Another encoder or another field shares nothing.
    expect(new EmbeddingCache('0xenc2', 3, 'text', root).getMany(keys, new Float32Array(9))).toEqual([0, 1, 2])
    expect(new EmbeddingCache('0xenc1', 3, 'body', root).getMany(keys, new Float32Array(9))).toEqual([0, 1, 2])
    // Later puts add to what is there.
    await cache.putMany([hash(3)], Float32Array.from([0.5, 0.5, 0.5]))
    expect(cache.getMany([hash(1), hash(3)], new Float32Array(6))).toEqual([])
  })

  it('writes one segment per job, however many chunks the job puts', async () => {
    const root = join(tmp, 'c3')
    const cache = new EmbeddingCache('0xenc', 2, 'text', root)
    const keys = Array.from({length: 10}, (_, i) => hash(i + 1))
    const out = new Float32Array(20)
    expect(cache.getMany(keys, out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    // Chunks as training puts them: nothing is written until the last missing vector arrives.
    for (let s = 0; s < 10; s += 3) {
      expect(existsSync(cache.dir) ? readdirSync(cache.dir) : []).toEqual([])
      const part = keys.slice(s, s + 3)
      await cache.putMany(part, Float32Array.from(part.flatMap((_, k) => [s + k, -(s + k)])))
    }
    expect(readdirSync(cache.dir).filter((f) => f.endsWith('.safetensors'))).toHaveLength(1)
    // A second job over some of the same records and some new ones reads the first's rows and adds one segment.
    const again = new EmbeddingCache('0xenc', 2, 'text', root)
    const job2 = [hash(3), hash(50), hash(9)]
    const out2 = new Float32Array(6)
    expect(again.getMany(job2, out2)).toEqual([1])
    await again.putMany([hash(50)], Float32Array.from([7, 7]))
    expect(readdirSync(cache.dir).filter((f) => f.endsWith('.safetensors'))).toHaveLength(2)
    const out3 = new Float32Array(6)
    expect(new EmbeddingCache('0xenc', 2, 'text', root).getMany(job2, out3)).toEqual([])
    expect(Array.from(out3)).toEqual([2, -2, 7, 7, 8, -8])
  })

  it('skips a corrupt or foreign segment as missing, and writes the vectors again', async () => {
    const root = join(tmp, 'c2')
    const cache = new EmbeddingCache('0xenc', 2, 'text', root)
    await cache.putMany([hash(1)], Float32Array.from([1, 2]))
    const [segment] = readdirSync(cache.dir)
    writeFileSync(join(cache.dir, segment), readFileSync(join(cache.dir, segment)).subarray(0, 20))
    const fresh = new EmbeddingCache('0xenc', 2, 'text', root)
    expect(fresh.getMany([hash(1)], new Float32Array(2))).toEqual([0])
    await fresh.putMany([hash(1)], Float32Array.from([3, 4]))
    const out = new Float32Array(2)
    expect(new EmbeddingCache('0xenc', 2, 'text', root).getMany([hash(1)], out)).toEqual([])
    expect(Array.from(out)).toEqual([3, 4])
    // Another dim under the same encoder folder is not read as this one.
    expect(new EmbeddingCache('0xenc', 3, 'text', root).getMany([hash(1)], new Float32Array(3))).toEqual([0])
  })
})

describe('writeArtifact', () => {
  const w = initWeights(4, 2, 2, 1)
  const config = {labels: ['a', 'b'], tensors: {}, encoder: {id: 'x', hash: '0x'}} as unknown as ArtifactConfig
  const training = {
    datanet: {name: 'd', id: null, version: 1, root: '0x'},
    metrics: {
      epochs: [{epoch: 1, trainLoss: 1, valLoss: 1, valAccuracy: 0.5, learningRate: 0.1, seconds: 0}],
      bestEpoch: 1,
      stoppedEarly: false,
      best: {epoch: 1, trainLoss: 1, valLoss: 1, valAccuracy: 0.5, learningRate: 0.1, seconds: 0},
    },
    records: [],
    excludedRecords: [],
  } as unknown as TrainingManifest
  const std = {mean: new Float32Array(4), scale: new Float32Array(4).fill(1)}

  it('leaves nothing behind when writing fails half-way, and an existing artifact untouched', () => {
    const parent = join(tmp, 'models')
    const target = join(parent, 'm')
    mkdirSync(target, {recursive: true})
    writeFileSync(join(target, 'config.json'), '{"old": true}')
    // A checkpoint whose tensors do not match their shapes fails after config.json and the weights are written.
    const broken = {...w, A: new Float32Array(3)}
    expect(() =>
      writeArtifact({path: target, config, training, weights: w, standardizer: std, checkpoints: [{epoch: 1, weights: broken}]}),
    ).toThrow(/shape/)
    expect(readdirSync(parent)).toEqual(['m'])
    expect(readFileSync(join(target, 'config.json'), 'utf8')).toBe('{"old": true}')
  })

  it('replaces an existing artifact whole', () => {
    const target = join(tmp, 'models', 'm')
    writeArtifact({path: target, config, training, weights: w, standardizer: std, checkpoints: [{epoch: 1, weights: w}]})
    expect(readdirSync(join(tmp, 'models'))).toEqual(['m'])
    expect(readdirSync(target).sort()).toEqual([
      'README.md',
      'checkpoints',
      'config.json',
      'model.safetensors',
      'training-curve.svg',
      'training.json',
    ])
    expect(existsSync(join(target, 'checkpoints', 'epoch-1.safetensors'))).toBe(true)
  })
})
