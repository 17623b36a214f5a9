/**
 * A span index over a large corpus: generates it deterministically (Brown-like text from a word-bigram
 * chain over the Brown corpus, records of 3–12 sentences, each with record metadata), streams it
 * into a sharded index and reports build time, MB/s and peak RSS; then a fresh process opens the
 * index and traces outputs of 100–200 words (half quoting 8–20 words of a record verbatim),
 * reporting per-output latency and RSS. Targets at 1 GB: under 50 ms per output, RSS under 300 MB.
 *
 *   nice -n 10 npx tsx scripts/span-scale.ts [--gb 1] [--outputs 100] [--shard-tokens N] [--dir /tmp/…] [--keep] [--reuse]
 *   nice -n 10 npx tsx scripts/span-scale.ts --corpus your.jsonl [--text-field text]   (your records instead)
 *
 * With --corpus, the records are yours: a JSONL file (one record per line, its text in --text-field)
 * or any other text file (one record per non-empty line), indexed whole; the quoting outputs quote
 * records drawn from it (a seeded reservoir sample), the rest of each output is chain text.
 *
 * The index goes under the system temp folder (about 13 bytes per token on disk) and is deleted
 * afterwards unless --keep.
 */
import {createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {createInterface} from 'node:readline'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {type BrownChain, brownChain, corpusRecord, quantile, queryInFreshProcess, spanOutputs} from '../bench/spans.js'
import {median, peakRssMiB} from '../bench/report.js'
import {DEFAULT_SHARD_TOKENS, type SpanIndexManifest, SpanIndexWriter} from '../src/attribution/spans.js'
import {mix32, sfc32} from '../src/model/prng.js'

const {values} = parseArgs({
  options: {
    gb: {type: 'string', default: '1'},
    outputs: {type: 'string', default: '100'},
    'shard-tokens': {type: 'string', default: String(DEFAULT_SHARD_TOKENS)},
    dir: {type: 'string'},
    keep: {type: 'boolean', default: false},
    /** Query an index that --keep left in --dir (same --gb) instead of building it again. */
    reuse: {type: 'boolean', default: false},
    corpus: {type: 'string'},
    'text-field': {type: 'string', default: 'text'},
  },
})
const targetBytes = Number(values.gb) * 1e9
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'ol-span-scale-'))
const path = join(dir, 'corpus.spans.json')
const hex = (i: number, width: number) =>
  Array.from({length: width / 8}, (_, k) =>
    mix32(i * 31 + k)
      .toString(16)
      .padStart(8, '0'),
  ).join('')

type Built = {
  megabytes: number
  records: number
  tokens: number
  shards: number
  diskBytes: number
  indexSeconds: number
  buildMBps: number
  buildPeakRssMiB: number
}

/** The generated corpus: Brown-like records until the target size. */
function* generated(chain: BrownChain): Generator<string> {
  let bytes = 0
  for (let i = 0; bytes < targetBytes; i++) {
    const text = corpusRecord(chain, i)
    bytes += Buffer.byteLength(text) + 1
    yield text
  }
}

/** Bad input: one line, exit code 2. */
class CorpusError extends Error {}

/** The user's corpus, a record per line: JSONL (the text in --text-field) or plain text. */
async function* fromFile(file: string, textField: string): AsyncGenerator<string> {
  const jsonl = /\.jsonl?$/i.test(file)
  let line = 0
  for await (const raw of createInterface({input: createReadStream(file), crlfDelay: Infinity})) {
    line++
    if (!raw.trim()) continue
    if (!jsonl) {
      yield raw
      continue
    }
    let text: unknown
    try {
      text = (JSON.parse(raw) as Record<string, unknown>)[textField]
    } catch {
      throw new CorpusError(`${file}:${line}: not a JSON object`)
    }
    if (typeof text !== 'string') throw new CorpusError(`${file}:${line}: no text in field "${textField}"`)
    yield text
  }
}

/** A seeded reservoir of record texts for the quoting outputs (Vitter's algorithm R). */
class Reservoir {
  readonly items: Array<{index: number; text: string}> = []
  private readonly rand = sfc32(7)
  constructor(private readonly size: number) {}
  offer(index: number, text: string) {
    if (this.items.length < this.size) this.items.push({index, text})
    else {
      const j = Math.floor(this.rand() * (index + 1))
      if (j < this.size) this.items[j] = {index, text}
    }
  }
}

async function build(records: Iterable<string> | AsyncIterable<string>, sample: Reservoir): Promise<Built> {
  const writer = new SpanIndexWriter(path, {shardTokens: Number(values['shard-tokens']), info: {datanet: 'span-scale'}})
  let bytes = 0
  let count = 0
  let readMs = 0
  let indexMs = 0
  let nextReport = 1e8
  const t0 = performance.now()
  let tRead = performance.now()
  for await (const text of records) {
    readMs += performance.now() - tRead
    const t = performance.now()
    writer.add(text, {recordHash: `0x${hex(count, 64)}`, contributor: `0x${hex(count % 5000, 40)}`})
    indexMs += performance.now() - t
    sample.offer(count, text)
    bytes += Buffer.byteLength(text) + 1
    count++
    if (bytes >= nextReport) {
      const s = ((performance.now() - t0) / 1000).toFixed(0)
      console.log(`  ${(bytes / 1e6).toFixed(0)} MB, ${count} records, ${s} s, peak RSS ${peakRssMiB().toFixed(0)} MiB`)
      nextReport += 1e8
    }
    tRead = performance.now()
  }
  const t = performance.now()
  const manifest = writer.finish()
  indexMs += performance.now() - t
  const built: Built = {
    megabytes: Math.round(bytes / 1e6),
    records: count,
    tokens: manifest.tokens,
    shards: manifest.shards.length,
    diskBytes: readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0),
    indexSeconds: indexMs / 1000,
    buildMBps: bytes / 1e6 / (indexMs / 1000),
    buildPeakRssMiB: Math.round(peakRssMiB()),
  }
  console.log(
    `build: ${built.megabytes} MB of text, ${count} records, ${(built.tokens / 1e6).toFixed(1)} M tokens, ${built.shards} shards ` +
      `(${(built.diskBytes / 1e9).toFixed(2)} GB on disk); indexing ${built.indexSeconds.toFixed(0)} s = ${built.buildMBps.toFixed(1)} MB/s ` +
      `(+ ${(readMs / 1000).toFixed(0)} s ${values.corpus ? 'reading' : 'generating'} the text); peak RSS ${built.buildPeakRssMiB} MiB`,
  )
  return built
}

try {
  const chain = brownChain()
  const sample = new Reservoir(Number(values.outputs))
  if (values.corpus && !existsSync(values.corpus)) throw new CorpusError(`--corpus ${values.corpus}: no such file`)
  if (values.corpus && values.reuse)
    throw new CorpusError('--reuse queries a generated index; with --corpus the index is built from the file')
  const reuse = values.reuse && existsSync(path)
  const built = reuse ? undefined : await build(values.corpus ? fromFile(values.corpus, values['text-field']!) : generated(chain), sample)
  const records = built?.records ?? (JSON.parse(readFileSync(path, 'utf8')) as SpanIndexManifest).records
  const quoteFrom = values.corpus ? (rand: () => number) => sample.items[Math.floor(rand() * sample.items.length)] : undefined
  const outputs = spanOutputs(chain, Number(values.outputs), records, 99, quoteFrom)
  const q = await queryInFreshProcess(path, outputs, dir)
  const lat = q.latenciesMs
  const f = (x: number) => x.toFixed(1)
  console.log(
    `query (fresh process, ${lat.length} outputs of 100–200 words): open ${f(q.openMs)} ms; per output median ${f(median(lat))} ms, ` +
      `p95 ${f(quantile(lat, 0.95))} ms, max ${f(Math.max(...lat))} ms, first ${f(lat[0])} ms; CPU per output median ${f(median(q.cpuMs))} ms, ` +
      `p95 ${f(quantile(q.cpuMs, 0.95))} ms; RSS ${q.rssMiB.toFixed(0)} MiB (${q.rssBeforeMiB.toFixed(0)} MiB before opening), ` +
      `peak ${q.peakRssMiB.toFixed(0)} MiB; quoted record found in ${q.quotesFound}/${q.quotes}`,
  )
  console.log(
    JSON.stringify({
      ...built,
      queryOpenMs: q.openMs,
      queryMedianMs: median(lat),
      queryP95Ms: quantile(lat, 0.95),
      queryMaxMs: Math.max(...lat),
      queryCpuMedianMs: median(q.cpuMs),
      queryCpuP95Ms: quantile(q.cpuMs, 0.95),
      queryRssMiB: Math.round(q.rssMiB),
      queryPeakRssMiB: Math.round(q.peakRssMiB),
      quotesFound: q.quotesFound,
      quotes: q.quotes,
    }),
  )
} catch (err) {
  if (!(err instanceof CorpusError)) throw err
  console.error(err.message)
  process.exitCode = 2
} finally {
  if (!values.keep) rmSync(dir, {recursive: true, force: true})
}
