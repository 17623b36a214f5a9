import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type ArtifactConfig, type TrainingManifest, writeArtifact} from '../../src/model/artifact.js'
import {EmbeddingCache} from '../../src/model/cache.js'
import {initWeights} from '../../src/model/fit.js'

let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ol-cache-'))
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

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
    // Later puts merge into the shard instead of replacing it.
    await cache.putMany([hash(3)], Float32Array.from([0.5, 0.5, 0.5]))
    expect(cache.getMany([hash(1), hash(3)], new Float32Array(6))).toEqual([])
  })

  it('treats a corrupt shard as empty and rewrites it', async () => {
    const root = join(tmp, 'c2')
    const cache = new EmbeddingCache('0xenc', 2, 'text', root)
    await cache.putMany([hash(1)], Float32Array.from([1, 2]))
    const shard = join(cache.dir, '00.bin')
    writeFileSync(shard, readFileSync(shard).subarray(0, 20))
    expect(cache.getMany([hash(1)], new Float32Array(2))).toEqual([0])
    await cache.putMany([hash(1)], Float32Array.from([3, 4]))
    const out = new Float32Array(2)
    expect(cache.getMany([hash(1)], out)).toEqual([])
    expect(Array.from(out)).toEqual([3, 4])
  })
})

describe('writeArtifact', () => {
  const w = initWeights(4, 2, 2, 1)
  const config = {labels: ['a', 'b'], tensors: {}, encoder: {id: 'x', hash: '0x'}} as unknown as ArtifactConfig
  const training = {
    datanet: {name: 'd', id: null, version: 1, root: '0x'},
    metrics: {epochs: [{epoch: 1, trainLoss: 1, valLoss: 1, valAccuracy: 0.5, learningRate: 0.1, seconds: 0}], bestEpoch: 1, stoppedEarly: false, best: {epoch: 1, trainLoss: 1, valLoss: 1, valAccuracy: 0.5, learningRate: 0.1, seconds: 0}},
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
    expect(() => writeArtifact({path: target, config, training, weights: w, standardizer: std, checkpoints: [{epoch: 1, weights: broken}]})).toThrow(/shape/)
    expect(readdirSync(parent)).toEqual(['m'])
    expect(readFileSync(join(target, 'config.json'), 'utf8')).toBe('{"old": true}')
  })

  it('replaces an existing artifact whole', () => {
    const target = join(tmp, 'models', 'm')
    writeArtifact({path: target, config, training, weights: w, standardizer: std, checkpoints: [{epoch: 1, weights: w}]})
    expect(readdirSync(join(tmp, 'models'))).toEqual(['m'])
    expect(readdirSync(target).sort()).toEqual(['README.md', 'checkpoints', 'config.json', 'model.safetensors', 'training-curve.svg', 'training.json'])
    expect(existsSync(join(target, 'checkpoints', 'epoch-1.safetensors'))).toBe(true)
  })
})
