import {closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'

import {
  buildSpanIndex,
  longestMatch,
  openSpanIndex,
  pagedColumn,
  pagedVocabulary,
  saveSpanIndex,
  shardPath,
  SpanIndexWriter,
  tokenize,
  traceSpans,
} from '../../src/attribution/spans.js'
import {OpenledgerError} from '../../src/errors.js'
import {createRandom, type Random} from '../../src/model/prng.js'
import {SafetensorsFile, writeSafetensorsFile} from '../../src/model/safetensors.js'
import {bruteLongestMatch} from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'olshard-'))
const fds: number[] = []
afterAll(() => {
  for (const fd of fds) closeSync(fd)
  rmSync(dir, {recursive: true, force: true})
})

const g = createRandom(5)
const letters = 'abcdefghijklmnopqrstuvwxyz'
const vocab = [...new Set(Array.from({length: 1500}, () => Array.from({length: 2 + g.int(7)}, () => letters[g.int(26)]).join('')))]
const sentence = (r: Random, n: number) =>
  Array.from({length: n}, () => vocab[Math.floor(vocab.length * r.next() ** 2)]).join(' ') + (r.next() < 0.5 ? '.' : ';')
// A phrase repeated in records spread over every shard: its count and records sum across shards.
const phrase = 'quokka wombat numbat bilby dunnart quoll'
const texts = Array.from({length: 300}, (_, i) => {
  const body = Array.from({length: 2 + g.int(3)}, () => sentence(g, 6 + g.int(10))).join(' ')
  return i % 61 === 7 ? `${body} ${phrase} ${sentence(g, 4)}` : body
})
const records = texts.map((_, i) => ({
  recordHash: `0x${i.toString(16).padStart(64, '0')}`,
  contributor: `0x${(i % 5).toString(16).padStart(40, '0')}`,
}))
const whole = buildSpanIndex(texts, {records})
const sharded = buildSpanIndex(texts, {records, shardTokens: 2000})

/** Outputs: verbatim quotes of 6–20 words (some across sentence ends) in other words, and pure noise. */
function outputs(seed: number, count: number): string[] {
  const r = createRandom(seed)
  return Array.from({length: count}, (_, k) => {
    if (k % 3 === 2) return `${sentence(r, 30)} ${sentence(r, 20)}`
    const src = texts[r.int(texts.length)].split(' ')
    const at = r.int(Math.max(1, src.length - 21))
    return `${sentence(r, 12).slice(0, -1)} ${src.slice(at, at + 6 + r.int(15)).join(' ')} ${sentence(r, 12)}`
  })
}

describe('sharded span index', () => {
  it('splits at whole records, each shard under the limit unless one record is larger', () => {
    expect(whole.shards).toHaveLength(1)
    expect(sharded.shards.length).toBeGreaterThanOrEqual(3)
    let base = 0
    for (const s of sharded.shards) {
      expect(s.recordBase).toBe(base)
      const nr = s.recordStarts.length - 1
      expect(s.tokens.length).toBeLessThanOrEqual(2000)
      // every record ends with its separator inside the shard
      expect(s.tokens.get(s.tokens.length - 1)).toBe(0)
      for (let r = 0; r < nr; r++)
        expect(s.recordStarts.get(r + 1) - s.recordStarts.get(r)).toBe(tokenize(texts[base + r]).tokens.length + 1)
      base += nr
    }
    expect(base).toBe(texts.length)
    expect(sharded.tokenCount).toBe(whole.tokenCount)
    for (let i = 0; i < texts.length; i += 29) expect(sharded.recordMeta?.(i)).toEqual(records[i])
    const big = buildSpanIndex(['a b c', Array.from({length: 50}, (_, i) => `w${i}`).join(' '), 'd e'], {shardTokens: 10})
    expect(big.shards.map((s) => s.recordStarts.length - 1)).toEqual([1, 1, 1])
    expect(big.shards[1].tokens.length).toBe(51)
  })

  it('traces every output to the same spans, counts and records as one shard', () => {
    let withSpans = 0
    for (const out of outputs(11, 60)) {
      const one = traceSpans(whole, out, {minWords: 4, density: 0.2})
      expect(traceSpans(sharded, out, {minWords: 4, density: 0.2})).toEqual(one)
      if (one.spans.length) withSpans++
    }
    expect(withSpans).toBeGreaterThan(30)
  })

  it('takes the longest of the shards’ matches and sums their counts', () => {
    const holders = texts.flatMap((t, i) => (t.includes(phrase) ? [i] : []))
    const shardsHolding = new Set(
      holders.map((i) => sharded.shards.findIndex((s) => i >= s.recordBase && i < s.recordBase + s.recordStarts.length - 1)),
    )
    expect(shardsHolding.size).toBeGreaterThanOrEqual(3)
    const out = `nothing here matches zzzz ${phrase} qqqq`
    const t = traceSpans(sharded, out, {minWords: 4})
    expect(t.spans).toHaveLength(1)
    expect(t.spans[0]).toMatchObject({text: phrase, count: holders.length, records: holders})
    // per shard: the longest match of the phrase is the longest over the shards
    const q = tokenize(phrase).tokens
    const lengths = sharded.shards.map(
      (s) =>
        longestMatch(
          s,
          Int32Array.from(q, (w) => s.vocabulary.idOf(w)),
          0,
          q.length,
        ).length,
    )
    expect(Math.max(...lengths)).toBe(q.length)
    // a maxCount below the summed count drops the span though no single shard holds that many
    expect(traceSpans(sharded, out, {minWords: 4, maxCount: holders.length - 1}).spans).toEqual([])
  })

  it('streams to shard files and a manifest that trace as the index built in memory', () => {
    const path = join(dir, 'streamed.spans.json')
    const w = new SpanIndexWriter(path, {shardTokens: 2000, info: {datanet: 'd'}})
    texts.forEach((t, i) => w.add(t, records[i]))
    const manifest = w.finish()
    expect(manifest.shards.length).toBe(sharded.shards.length)
    expect(manifest).toMatchObject({records: texts.length, tokens: whole.tokenCount, info: {datanet: 'd'}})
    const back = openSpanIndex(path)
    try {
      expect(back.shards.map((s) => s.recordBase)).toEqual(sharded.shards.map((s) => s.recordBase))
      for (const out of outputs(12, 30)) expect(traceSpans(back, out, {minWords: 4})).toEqual(traceSpans(whole, out, {minWords: 4}))
      for (let i = 0; i < texts.length; i += 17) expect(back.recordMeta?.(i)).toEqual(records[i])
      expect(back.recordMeta?.(texts.length)).toBeUndefined()
    } finally {
      back.close()
    }
  })

  it('rebuilt with fewer shards, leaves none of the old ones; an index of no records is one empty shard', () => {
    const path = join(dir, 'rebuilt.spans.json')
    saveSpanIndex(path, sharded)
    expect(existsSync(shardPath(path, 2))).toBe(true)
    const w = new SpanIndexWriter(path)
    texts.slice(0, 10).forEach((t) => w.add(t))
    expect(w.finish().shards).toHaveLength(1)
    expect(existsSync(shardPath(path, 1))).toBe(false)
    const empty = new SpanIndexWriter(path)
    expect(empty.finish()).toMatchObject({records: 0, tokens: 0, shards: [{records: 0, tokens: 0}]})
    const back = openSpanIndex(path)
    try {
      expect(back.recordCount).toBe(0)
      expect(traceSpans(back, phrase).spans).toEqual([])
    } finally {
      back.close()
    }
  })

  it('refuses a missing, damaged, swapped or old-format shard or manifest in one line', () => {
    const fresh = (name: string) => {
      const path = join(dir, `${name}.spans.json`)
      saveSpanIndex(path, sharded)
      return path
    }
    const cases: Array<[string, (path: string) => void, RegExp]> = [
      ['missing', (p) => rmSync(shardPath(p, 1)), /shard .*\.1\.safetensors is missing/],
      ['truncated', (p) => truncateSync(shardPath(p, 2), 100), /shard .*\.2\.safetensors is damaged/],
      ['swapped', (p) => copyFileSync(shardPath(p, 0), shardPath(p, 1)), /is not shard 1 of this index/],
      [
        'old',
        (p) => writeFileSync(p, JSON.stringify({...JSON.parse(readFileSync(p, 'utf8')), version: 2})),
        /has span index format 2, this version reads 3/,
      ],
      ['foreign', (p) => writeFileSync(p, JSON.stringify({format: 'something-else'})), /is not a span index \(format something-else\)/],
      ['garbage', (p) => writeFileSync(p, Buffer.alloc(64)), /is not a span index \(not a JSON manifest\)/],
      [
        'no-shards',
        (p) => writeFileSync(p, JSON.stringify({...JSON.parse(readFileSync(p, 'utf8')), shards: []})),
        /is damaged \(the manifest lacks/,
      ],
      [
        'other-totals',
        (p) => writeFileSync(p, JSON.stringify({...JSON.parse(readFileSync(p, 'utf8')), tokens: 1})),
        /shard totals do not match/,
      ],
    ]
    for (const [name, spoil, re] of cases) {
      const path = fresh(name)
      spoil(path)
      try {
        openSpanIndex(path).close()
        throw new Error(`expected an error for ${name}`)
      } catch (err) {
        expect((err as OpenledgerError).code, name).toBe('E_SPAN_INDEX')
        expect((err as OpenledgerError).shortMessage).toMatch(re)
        expect((err as OpenledgerError).shortMessage).not.toContain('\n')
      }
    }
  })
})

describe('longest match on a repetitive corpus', () => {
  it('equals a brute-force scan where long common prefixes make the block walk read the token array', () => {
    // Three words, long runs: thousands of suffixes share long prefixes, so most blocks of the suffix
    // table are decided by lcp ties and token reads rather than by the sampled keys.
    const r = createRandom(21)
    const rep = Array.from({length: 120}, () => Array.from({length: 40}, () => ['ab', 'ab', 'ab', 'cd', 'ef'][r.int(5)]).join(' '))
    const index = buildSpanIndex(rep)
    const shard = index.shards[0]
    const T = index.arrays.tokens
    fc.assert(
      fc.property(
        fc.integer({min: 0, max: T.length - 30}),
        fc.integer({min: 1, max: 30}),
        fc.integer({min: 0, max: 4}),
        (pos, len, noise) => {
          const q = Int32Array.from(T.subarray(pos, pos + len))
          q[len - 1] = noise === 4 ? -1 : noise
          const m = longestMatch(shard, q, 0, len)
          const {best, count} = bruteLongestMatch(T, q, len)
          expect(m.length).toBe(best)
          if (best > 0) expect(m.hi - m.lo).toBe(count)
        },
      ),
      {numRuns: 200},
    )
  })
})

describe('paged vocabulary', () => {
  it('finds every stored word by binary search over pages and misses absent ones', () => {
    const r = createRandom(8)
    const alphabet = 'aäbcdeéfg日本'
    const words = [
      ...new Set(Array.from({length: 3000}, () => Array.from({length: 1 + r.int(6)}, () => alphabet[r.int(alphabet.length)]).join(''))),
    ]
    const idx = buildSpanIndex([words.join(' ')])
    const path = join(dir, 'vocab.spans.json')
    saveSpanIndex(path, idx)
    const file = SafetensorsFile.open(shardPath(path, 0))
    try {
      // Tiny pages and two cache slots: nearly every probe evicts another page.
      const fd = openSync(shardPath(path, 0), 'r')
      fds.push(fd)
      const col = (name: string, shift: number) => pagedColumn({fd, info: file.info(name)}, shift, 2)
      const v = pagedVocabulary(col('vocab', 4), col('vocab_offsets', 3), col('counts', 3))
      const stored = idx.shards[0].words
      expect(v.size).toBe(words.length + 1)
      for (const w of words) {
        const id = v.idOf(w)
        expect(stored[id]).toBe(w)
        expect(v.count(id)).toBe(1)
      }
      for (const w of ['', 'zzz', 'a'.repeat(7), '本本本本本本本', 'äx', 'AB'])
        expect(v.idOf(w)).toBe(words.includes(w) ? stored.indexOf(w) : -1)
      // ids are ranks in UTF-8 byte order
      for (let i = 1; i < stored.length; i++) expect(Buffer.compare(Buffer.from(stored[i - 1]), Buffer.from(stored[i]))).toBe(-1)
    } finally {
      file.close()
    }
  })

  it('rejects a cache size that is not a power of two', () => {
    const path = join(dir, 'cols.safetensors')
    writeSafetensorsFile(path, [{name: 'x', dtype: 'I32', shape: [4], data: Int32Array.of(1, 2, 3, 4)}])
    const file = SafetensorsFile.open(path)
    try {
      const fd = openSync(path, 'r')
      fds.push(fd)
      expect(() => pagedColumn({fd, info: file.info('x')}, 2, 3)).toThrowError(/power of two/)
      const c = pagedColumn({fd, info: file.info('x')}, 1, 1)
      expect([3, 0, 2, 1].map((i) => c.get(i))).toEqual([4, 1, 3, 2])
    } finally {
      file.close()
    }
  })
})
