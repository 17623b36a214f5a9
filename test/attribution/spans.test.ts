import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'

import {createRandom, type Random} from '../../src/model/prng.js'
import {
  buildSpanIndex,
  createEmbeddingIndex,
  fuseRankings,
  longestMatch,
  openSpanIndex,
  recordAt,
  saveSpanIndex,
  shardPath,
  tokenize,
  traceSpans,
  traceText,
} from '../../src/attribution/spans.js'
import {OpenledgerError} from '../../src/errors.js'
import {SafetensorsFile} from '../../src/model/safetensors.js'
import type {IntColumn} from '../../src/attribution/spans/span-index.js'
import {bruteLongestMatch} from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'olsx-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function vocabulary(size: number): string[] {
  const g = createRandom(17)
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  const out = new Set<string>()
  while (out.size < size) out.add(Array.from({length: 3 + g.int(6)}, () => letters[g.int(26)]).join(''))
  return [...out]
}

const words = vocabulary(3000)
const common = ['the', 'of', 'and', 'a', 'to', 'in', 'is', 'it', 'that', 'for']
function sentence(g: Random, n: number): string {
  const w: string[] = []
  for (let i = 0; i < n; i++) w.push(g.next() < 0.35 ? common[g.int(common.length)] : words[Math.floor(words.length * g.next() ** 2)])
  return w.join(' ') + '.'
}
const g = createRandom(1)
const texts = Array.from({length: 400}, () => Array.from({length: 3}, () => sentence(g, 12)).join(' '))
const records = texts.map((_, i) => ({
  recordHash: `0x${i.toString(16).padStart(64, '0')}`,
  contributor: `0x${(i % 7).toString(16).padStart(40, '0')}`,
}))
const idx = buildSpanIndex(texts, {records})

describe('tokenizer', () => {
  it('splits words and punctuation with offsets', () => {
    const t = tokenize("Don't stop: Ünïcode works, 42 times!")
    expect(t.tokens).toEqual(["don't", 'stop', ':', 'ünïcode', 'works', ',', '42', 'times', '!'])
    expect("Don't stop: Ünïcode works, 42 times!".slice(t.starts[3], t.ends[3])).toBe('Ünïcode')
  })
})

describe('span index', () => {
  const shard = idx.shards[0]
  it('maps token offsets to records through the prefix sums', () => {
    expect(idx.shards).toHaveLength(1)
    for (let r = 0; r < texts.length; r += 37) {
      expect(recordAt(shard, shard.recordStarts.get(r))).toBe(r)
      expect(recordAt(shard, shard.recordStarts.get(r + 1) - 1)).toBe(r)
    }
  })

  it('longest match equals a brute-force scan of the corpus', () => {
    const T = idx.arrays.tokens
    fc.assert(
      fc.property(
        fc.integer({min: 0, max: T.length - 20}),
        fc.integer({min: 1, max: 15}),
        fc.integer({min: 0, max: 2999}),
        (pos, len, noise) => {
          // a corpus window with its last token replaced: the match is at least len − 1 long
          const q = Int32Array.from(T.subarray(pos, pos + len))
          q[len - 1] = Math.max(1, shard.vocabulary.idOf(words[noise]))
          const m = longestMatch(shard, q, 0, len)
          const {best, count} = bruteLongestMatch(T, q, len)
          expect(m.length).toBe(best)
          expect(m.hi - m.lo).toBe(count)
        },
      ),
      {numRuns: 60},
    )
  })

  it('round-trips through safetensors and is read by position', () => {
    const path = join(dir, 'index.spans.json')
    saveSpanIndex(path, idx)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({format: 'openledger-span-index', version: 3, shards: [{records: 400}]})
    const file = SafetensorsFile.open(shardPath(path, 0))
    expect(file.metadata).toMatchObject({format: 'openledger-span-shard', version: '3', shard: '0'})
    expect(file.info('sa')).toMatchObject({dtype: 'I32', shape: [idx.arrays.sa.length]})
    file.close()
    const back = openSpanIndex(path)
    try {
      const n = idx.arrays.tokens.length
      const stored = back.shards[0]
      // Read backwards, so pages are fetched out of order (and evict each other from the cache).
      const backwards = (c: IntColumn) => Int32Array.from({length: n}, (_, j) => c.get(n - 1 - j)).reverse()
      expect(backwards(stored.sa)).toEqual(idx.arrays.sa)
      expect(backwards(stored.lcp)).toEqual(idx.arrays.lcp)
      expect(backwards(stored.branch)).toEqual(idx.arrays.branch)
      expect(backwards(stored.tokens)).toEqual(idx.arrays.tokens)
      expect(stored.sample).toEqual(shard.sample)
      for (const [id, w] of idx.shards[0].words.entries()) {
        expect(stored.vocabulary.idOf(w)).toBe(id)
        expect(stored.vocabulary.count(id)).toBe(idx.arrays.counts[id])
      }
      for (let r = 0; r < records.length; r++) expect(back.recordMeta?.(r)).toEqual(records[r])
      const text = 'zzz ' + texts[5].split(' ').slice(2, 20).join(' ')
      const traced = traceSpans(back, text)
      expect(traced.spans.length).toBeGreaterThan(0)
      expect(traced).toEqual(traceSpans(idx, text))
    } finally {
      back.close()
    }
  })

  it('stores an index without record metadata too', () => {
    const bare = buildSpanIndex(texts.slice(0, 50))
    const path = join(dir, 'bare.spans.json')
    saveSpanIndex(path, bare)
    const back = openSpanIndex(path)
    try {
      expect(back.recordMeta).toBeUndefined()
      const text = texts[7].split(' ').slice(1, 15).join(' ')
      expect(traceSpans(back, text)).toEqual(traceSpans(bare, text))
    } finally {
      back.close()
    }
  })

  it('refuses a missing, foreign or damaged file in one line', () => {
    const bad = join(dir, 'bad.olsx')
    writeFileSync(bad, Buffer.alloc(64))
    for (const [p, re] of [
      [join(dir, 'missing.olsx'), /no span index at/],
      [bad, /not a span index/],
    ] as const) {
      try {
        openSpanIndex(p)
        throw new Error('expected an error')
      } catch (err) {
        expect((err as OpenledgerError).code).toBe('E_SPAN_INDEX')
        expect((err as OpenledgerError).shortMessage).toMatch(re)
      }
    }
  })
})

describe('span tracing', () => {
  it('a 15-word verbatim quote embedded in other words traces to its record first', () => {
    const g2 = createRandom(9)
    for (let trial = 0; trial < 10; trial++) {
      const r = g2.int(texts.length)
      const tk = texts[r].split(' ')
      const at = g2.int(tk.length - 16)
      const out = `${sentence(g2, 10).slice(0, -1)} ${tk.slice(at, at + 15).join(' ')} ${sentence(g2, 10)}`
      const t = traceSpans(idx, out)
      expect(t.records[0].index).toBe(r)
      expect(t.records[0].recordHash).toBe(records[r].recordHash)
      expect(t.spans.some((s) => s.records.includes(r))).toBe(true)
    }
  })

  it('keeps spans inside one sentence, whole words, at least minWords long, rare, and within the density cap', () => {
    const r = 3
    const sentences = texts[r]
      .split('.')
      .map((s) => s.trim())
      .filter(Boolean)
    const out = `${sentences[0]}. ${sentences[1]}. Filler words here do not match anything at all in the corpus qqqq.`
    const t = traceSpans(idx, out, {minWords: 4, density: 0.2})
    expect(t.spans.length).toBeGreaterThan(0)
    for (const s of t.spans) {
      expect(s.text).not.toMatch(/[.!?;]/)
      expect(s.words).toBeGreaterThanOrEqual(4)
      expect(s.count).toBeLessThanOrEqual(10)
      expect(out.slice(s.start, s.end)).toBe(s.text)
      expect(/\w/.test(out[s.start]) && /\w/.test(out[s.end - 1])).toBe(true)
      if (s.start > 0) expect(/\w/.test(out[s.start - 1])).toBe(false)
    }
    expect(t.spans.length).toBeLessThanOrEqual(Math.ceil(0.2 * t.outputWords))
    const capped = traceSpans(idx, out, {minWords: 4, density: 0.01})
    expect(capped.spans.length).toBe(1)
    expect(traceSpans(idx, out, {minWords: 40}).spans).toEqual([])
    // a frequent phrase is not a rare span
    expect(traceSpans(idx, 'the of and a to in is it that for', {minWords: 1, maxCount: 0}).spans).toEqual([])
  })

  it('rejects an empty text', () => {
    expect(() => traceSpans(idx, '   ')).toThrowError(/the text to trace is empty/)
  })
})

describe('embedding side and hybrid', () => {
  // A bag-of-words vector stands in for the encoder: a paraphrase (reordered, some words swapped)
  // shares no 5-word span with its source but stays close in the vector space.
  const Dm = 64
  const hashVec = (text: string): Float32Array => {
    const v = new Float32Array(Dm)
    for (const w of tokenize(text).tokens) {
      if (common.includes(w) || !/\w/.test(w)) continue
      let h = 2166136261
      for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619)
      const gg = createRandom(h >>> 0)
      for (let j = 0; j < Dm; j++) v[j] += gg.gauss()
    }
    return v
  }
  const E = new Float32Array(texts.length * Dm)
  texts.forEach((t, i) => E.set(hashVec(t), i * Dm))
  const ei = createEmbeddingIndex(E, texts.length, Dm)

  it('finds the source of a paraphrase that spans miss', () => {
    const r = 42
    const ws = tokenize(texts[r]).tokens.filter((w) => /\w/.test(w))
    const para = ws
      .filter((_, i) => i % 4 !== 0)
      .reverse()
      .join(' ')
    const vector = hashVec(para)
    expect(traceSpans(idx, para).records.map((x) => x.index)).not.toContain(r)
    expect(traceText(idx, para, {method: 'embedding', embeddings: ei, vector}).records[0].index).toBe(r)
    expect(traceText(idx, para, {method: 'hybrid', embeddings: ei, vector}).records[0].index).toBe(r)
  })

  it('hybrid keeps the verbatim source first', () => {
    const r = 7
    const tk = texts[r].split(' ')
    const out = `${sentence(createRandom(3), 8).slice(0, -1)} ${tk.slice(0, 15).join(' ')}`
    const t = traceText(idx, out, {method: 'hybrid', embeddings: ei, vector: hashVec(out)})
    expect(t.records[0].index).toBe(r)
    expect(() => traceText(idx, out, {method: 'hybrid'})).toThrowError(/needs the records' vectors/)
  })

  it('fuses ranks by reciprocal rank', () => {
    const f = fuseRankings([
      [{index: 1}, {index: 2}],
      [{index: 2}, {index: 3}],
    ])
    expect(f[0].index).toBe(2)
    expect(f[0].score).toBeCloseTo(1 / 62 + 1 / 61)
  })
})
