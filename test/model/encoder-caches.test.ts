/**
 * What `infer` keeps between processes for the built-in encoder (its files' hash, its vocabulary's
 * index, its optimised ONNX graph) gives exactly what computing them afresh gives.
 */
import {cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/env.js'
import {BUILTIN_WORD_PATTERN, BuiltinTokenizer, builtinEncoderDir, loadBuiltinEncoder} from '../../src/model/encoders/builtin.js'
import {cachedEncoderFilesHash, encoderFilesHash} from '../../src/model/encoders/hash.js'
import {VocabIndex} from '../../src/model/encoders/vocab-index.js'

const temp = tempDir('ol-enc-cache-')
beforeAll(() => {
  process.env.OPENLEDGER_CACHE_DIR = join(temp.dir, 'cache')
})
afterAll(() => temp.cleanup())

const vocabText = () => readFileSync(join(builtinEncoderDir(), 'vocab.txt'))
const vocabWords = () => vocabText().toString('utf8').split('\n').filter(Boolean)

describe('vocabulary index', () => {
  it("gives every word of the built-in vocabulary the Map's id, and nothing to words it lacks", () => {
    const words = vocabWords()
    const index = VocabIndex.fromText(vocabText())
    const map = new Map(words.map((w, i) => [w, i + 1]))
    const wrong = words.filter((w) => index.id(w) !== map.get(w))
    expect(wrong).toEqual([])
    for (const w of ['zzzqqq', 'Storm', 'storm ', 'stor', 'stormm', 'é', '']) expect(index.id(w)).toBe(map.get(w))
  })

  it('keeps split-and-filter semantics: empty lines skipped, a repeated word keeps its last id, UTF-8 compared by bytes', () => {
    const text = Buffer.from('b\n\na\nzebra\nb\nÅngström\nångström\n\n')
    const words = text.toString('utf8').split('\n').filter(Boolean)
    const map = new Map(words.map((w, i) => [w, i + 1]))
    const index = VocabIndex.fromText(text)
    for (const w of ['a', 'b', 'zebra', 'Ångström', 'ångström', 'c', 'Z']) expect([w, index.id(w)]).toEqual([w, map.get(w)])
    expect(index.id('b')).toBe(4)
  })

  it('is read back from its cache file, and a cache for other text is not used', () => {
    const cacheFile = join(temp.dir, 'vocab-index.bin')
    const vocabFile = join(temp.dir, 'vocab.txt')
    writeFileSync(vocabFile, 'the\ndog\ncat\n')
    expect(VocabIndex.open(vocabFile, cacheFile).id('cat')).toBe(3)
    expect(existsSync(cacheFile)).toBe(true)
    const written = statSync(cacheFile).ino
    expect(VocabIndex.open(vocabFile, cacheFile).id('dog')).toBe(2)
    // Read, not rebuilt: a rebuilt index is written anew (renamed into place: another inode).
    expect(statSync(cacheFile).ino).toBe(written)
    // Same cache file, another vocabulary: its length differs, so the cache is rebuilt, not trusted.
    writeFileSync(vocabFile, 'a\nthe\ndog\ncat\n')
    expect(VocabIndex.open(vocabFile, cacheFile).id('cat')).toBe(4)
    expect(statSync(cacheFile).ino).not.toBe(written)
  })

  it('tokenises real text to the same ids as the Map-based tokenizer', () => {
    const words = vocabWords()
    const byMap = new BuiltinTokenizer(words, 256)
    const byIndex = new BuiltinTokenizer(VocabIndex.fromText(vocabText()), 256)
    const texts = [
      "The DOG's well-known, Atlanta's!",
      'heavy rain flooded the streets of the old town',
      'my card was charged twice — refund? ¿Qué pasa? naïve café',
      words.slice(1000, 1300).join(' '),
    ]
    for (const t of texts) expect(byIndex.tokenize(t)).toEqual(byMap.tokenize(t))
    expect(new RegExp(BUILTIN_WORD_PATTERN, 'u').test('storm')).toBe(true)
  })
})

describe('encoder files hash', () => {
  it('is remembered while the files stay as they are, and recomputed when one changes', () => {
    const dir = join(temp.dir, 'enc')
    cpSync(builtinEncoderDir(), dir, {recursive: true})
    const memo = join(temp.dir, 'memo')
    const first = cachedEncoderFilesHash(dir, memo)
    expect(first).toBe(encoderFilesHash(dir))
    expect(readdirSync(memo)).toHaveLength(1)
    expect(cachedEncoderFilesHash(dir, memo)).toBe(first)
    writeFileSync(join(dir, 'encoder.json'), readFileSync(join(dir, 'encoder.json'), 'utf8').replace('"dim"', '"dim" '))
    const changed = cachedEncoderFilesHash(dir, memo)
    expect(changed).not.toBe(first)
    expect(changed).toBe(encoderFilesHash(dir))
  })
})

describe('built-in encoder through its caches', () => {
  it('gives bit-identical embeddings from the cached optimised graph as from model.onnx', async () => {
    const texts = ['the storm hit the coast', 'the team won the final match', 'refund my card', 'zzzz', '']
    const fresh = await loadBuiltinEncoder('cpu')
    const first = await fresh.encode(texts)
    await fresh.dispose()
    const onnxCache = join(temp.dir, 'cache', 'onnx')
    expect(readdirSync(onnxCache).filter((f) => f.endsWith('.ort'))).toHaveLength(1)
    const cached = await loadBuiltinEncoder('cpu')
    const second = await cached.encode(texts)
    expect(cached.hash).toBe(fresh.hash)
    await cached.dispose()
    expect(Buffer.from(second.buffer).equals(Buffer.from(first.buffer))).toBe(true)
  })
})
