/**
 * Model benchmarks, ratios from the same run:
 *  - encoder throughput (records/s) of the built-in encoder through ONNX Runtime on the CPU, against
 *    the same computation (tokenise, gather, SIF-weighted sum, normalise) in a plain JS loop;
 *    on a machine where WebGPU (or CUDA) starts, the same encoder on that provider against the CPU;
 *  - the embedding cache exactly as `train` uses it (`encodeRecords`, chunks of 1024): encoding N
 *    records uncached (the baseline), into an empty cache (cold) and from a full one (warm), and a
 *    cold and a warm `train` (that encoding plus the same fit);
 *  - training time from cached embeddings (read the cache, standardise, AdamW epochs) at 10k
 *    and 100k records.
 *
 *   npx tsx bench/model.ts [--texts 20000] [--epochs 10] [--json]
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {parseArgs} from 'node:util'

import onnxProto from 'onnx-proto'

import {type Device, probeDevice} from '../src/model/backend.js'
import {EmbeddingCache} from '../src/model/cache.js'
import {BuiltinTokenizer, builtinEncoderDir, loadBuiltinEncoder} from '../src/model/encoders/builtin.js'
import {DEFAULT_HYPERPARAMETERS, fit, fitStandardizer, standardize} from '../src/model/fit.js'
import {gaussian, sfc32} from '../src/model/prng.js'
import {encodeRecords} from '../src/model/train.js'
import {type Row, median, printTable} from './report.js'
import {widenHalfBits} from '../src/model/half.js'

const {onnx} = onnxProto as unknown as typeof import('onnx-proto')

export type ModelBenchResult = {
  texts: number
  encoder: {device: Device; recordsPerSecond: number; ms: number}[]
  jsBaseline: {recordsPerSecond: number; ms: number}
  maxAbsDiff: number
  training: {records: number; epochs: number; cacheReadMs: number; fitMs: number; msPerEpoch: number; memoryPassMs: number}[]
  cache?: CacheBenchResult
}

type Timings = {min: number; median: number; runs: number[]}
export type CacheBenchResult = {records: number; uncached: Timings; cold: Timings; warm: Timings; fitMs: number}

function timings(runs: number[]): Timings {
  return {min: Math.min(...runs), median: median(runs), runs}
}

/**
 * The embedding cache as `train` drives it: `encodeRecords` with the built-in CPU encoder over N
 * synthetic records, uncached (baseline), cold (an empty cache, filled as it goes) and warm (the
 * cache full), each repeated. A cold and a warm `train` are that encoding plus one fit over the
 * vectors with train's default hyperparameters (measured once: the fit does not depend on where
 * the vectors came from).
 */
export async function runCacheBench(
  options: {records?: number; repeat?: number; epochs?: number; log?: (s: string) => void} = {},
): Promise<CacheBenchResult> {
  const log = options.log ?? ((s: string) => process.stderr.write(s + '\n'))
  const n = options.records ?? 100_000
  const repeat = options.repeat ?? 3
  const dir = builtinEncoderDir()
  const vocab = readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n').filter(Boolean)
  const texts = syntheticTexts(vocab, n, 7)
  const hashes = texts.map((_, i) => '0x' + (i + 1).toString(16).padStart(64, '0'))
  const enc = await loadBuiltinEncoder('cpu')
  const tmp = mkdtempSync(join(tmpdir(), 'ol-bench-cache-'))
  const saved = process.env.OPENLEDGER_CACHE_DIR
  const uncached: number[] = []
  const cold: number[] = []
  const warm: number[] = []
  let vectors: Float32Array = new Float32Array(0)
  try {
    await enc.encode(texts.slice(0, 512))
    for (let r = 0; r < repeat; r++) {
      let t0 = performance.now()
      vectors = (await encodeRecords(enc, hashes, texts, {cache: false})).vectors
      uncached.push(performance.now() - t0)
      // A fresh empty cache for each cold run.
      process.env.OPENLEDGER_CACHE_DIR = join(tmp, `run${r}`)
      t0 = performance.now()
      const c = await encodeRecords(enc, hashes, texts)
      cold.push(performance.now() - t0)
      if (c.encoded !== n) throw new Error(`cold run found ${c.cached} cached`)
      t0 = performance.now()
      const w = await encodeRecords(enc, hashes, texts)
      warm.push(performance.now() - t0)
      if (w.cached !== n) throw new Error(`warm run encoded ${w.encoded}`)
      for (let j = 0; j < vectors.length; j += 997) if (w.vectors[j] !== vectors[j]) throw new Error('the cache gave other vectors')
    }
  } finally {
    if (saved === undefined) delete process.env.OPENLEDGER_CACHE_DIR
    else process.env.OPENLEDGER_CACHE_DIR = saved
    await enc.dispose()
    rmSync(tmp, {recursive: true, force: true})
  }
  const D = enc.dim
  const C = 6
  const rows = Int32Array.from({length: n}, (_, i) => i)
  const trainRows = rows.filter((i) => i % 10 !== 0)
  const valRows = rows.filter((i) => i % 10 === 0)
  const t0 = performance.now()
  const X = standardize(vectors, D, fitStandardizer(vectors, D, trainRows))
  await fit(
    {
      X,
      D,
      y: Int32Array.from(rows, (i) => i % C),
      C,
      rowKeys: Uint32Array.from(rows, (i) => Math.imul(i + 1, 2654435761) >>> 0),
      trainRows,
      valRows,
    },
    // train's own defaults (early stopping included) unless the bench is told a fixed epoch count.
    options.epochs ? {...DEFAULT_HYPERPARAMETERS, num_train_epochs: options.epochs, early_stopping_patience: 0} : DEFAULT_HYPERPARAMETERS,
  )
  const fitMs = performance.now() - t0
  const result = {records: n, uncached: timings(uncached), cold: timings(cold), warm: timings(warm), fitMs}
  log(
    `  embedding cache, ${n} records: uncached ${result.uncached.median.toFixed(0)} ms, cold ${result.cold.median.toFixed(0)} ms, warm ${result.warm.median.toFixed(0)} ms (medians); ` +
      `cold train ${((result.cold.median + fitMs) / (result.warm.median + fitMs)).toFixed(2)}× warm`,
  )
  return result
}

export function cacheBenchRows(r: CacheBenchResult): Row[] {
  const note = (t: Timings) => `min ${t.min.toFixed(0)}, median of ${t.runs.length}`
  return [
    {name: `encode ${r.records}, uncached (baseline)`, ms: r.uncached.median, note: note(r.uncached)},
    {name: `encode ${r.records}, cold cache (fill)`, ms: r.cold.median, baseline: r.uncached.median, note: note(r.cold)},
    {name: `encode ${r.records}, warm cache (read)`, ms: r.warm.median, baseline: r.uncached.median, note: note(r.warm)},
    {name: `train ${r.records}, warm (baseline)`, ms: r.warm.median + r.fitMs, note: `warm encode + fit ${r.fitMs.toFixed(0)} ms`},
    {name: `train ${r.records}, cold`, ms: r.cold.median + r.fitMs, baseline: r.warm.median + r.fitMs, note: 'target ≤ 1.5×'},
  ]
}

function syntheticTexts(vocab: string[], n: number, seed = 1): string[] {
  const rand = sfc32(seed)
  const top = Math.min(8000, vocab.length)
  return Array.from({length: n}, () => {
    const len = 8 + Math.floor(rand() * 24)
    return Array.from({length: len}, () => vocab[Math.floor(rand() ** 2 * top)]).join(' ')
  })
}

/** The built-in encoder's tables, read from its ONNX file, for the plain-JS reference. */
function loadTables(dir: string) {
  const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')))
  const get = (name: string) => model.graph!.initializer!.find((t) => t.name === name)!
  const emb = get('embeddings_f16')
  const raw = emb.rawData!
  const half = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
  const table = widenHalfBits('F16', half)
  const w = get('token_weights').rawData!
  const weights = new Float32Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength))
  return {table, weights, dim: Number(emb.dims![1])}
}

export async function runModelBench(
  options: {texts?: number; epochs?: number; cacheRecords?: number; log?: (s: string) => void} = {},
): Promise<ModelBenchResult> {
  const log = options.log ?? ((s: string) => process.stderr.write(s + '\n'))
  const n = options.texts ?? 20_000
  const epochs = options.epochs ?? 10
  const dir = builtinEncoderDir()
  const vocab = readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n').filter(Boolean)
  const meta = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8'))
  const texts = syntheticTexts(vocab, n)

  // Plain JS: the same tokeniser, then gather + weighted sum + normalise in loops.
  const {table, weights, dim} = loadTables(dir)
  const tok = new BuiltinTokenizer(vocab, meta.maxTokens)
  const jsOut = new Float32Array(n * dim)
  let t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const ids = tok.tokenize(texts[i])
    const off = i * dim
    for (const id of ids) {
      const w = weights[id]
      const row = id * dim
      for (let d = 0; d < dim; d++) jsOut[off + d] += w * table[row + d]
    }
    let s = 0
    for (let d = 0; d < dim; d++) s += jsOut[off + d] * jsOut[off + d]
    const inv = 1 / (Math.sqrt(s) + 1e-12)
    for (let d = 0; d < dim; d++) jsOut[off + d] *= inv
  }
  const jsMs = performance.now() - t0
  log(`  plain JS loop (baseline): ${n} texts in ${jsMs.toFixed(0)} ms, ${Math.round((n / jsMs) * 1000)} records/s`)

  const encoderRows: ModelBenchResult['encoder'] = []
  let maxAbsDiff = 0
  for (const device of ['cpu', 'webgpu', 'cuda'] as Device[]) {
    const probe = await probeDevice(device)
    if (!probe.ok) {
      log(`  ${device}: not available (${probe.reason})`)
      continue
    }
    const enc = await loadBuiltinEncoder(device)
    await enc.encode(texts.slice(0, 512)) // warm-up: kernels compiled, buffers allocated
    t0 = performance.now()
    const out = await enc.encode(texts)
    const ms = performance.now() - t0
    await enc.dispose()
    for (let j = 0; j < out.length; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out[j] - jsOut[j]))
    encoderRows.push({device, ms, recordsPerSecond: (n / ms) * 1000})
    const cpuMs = encoderRows.find((e) => e.device === 'cpu')?.ms
    log(
      `  built-in encoder on ${device}: ${n} texts in ${ms.toFixed(0)} ms, ${Math.round((n / ms) * 1000)} records/s, ${(ms / jsMs).toFixed(2)}× the baseline's time` +
        (device !== 'cpu' && cpuMs ? `, ${(cpuMs / ms).toFixed(1)}× cpu speed` : ''),
    )
  }

  const training: ModelBenchResult['training'] = []
  const tmp = mkdtempSync(join(tmpdir(), 'ol-bench-'))
  try {
    for (const N of [10_000, 100_000]) {
      const D = 100
      const C = 6
      const normal = gaussian(sfc32(N))
      const centers = Float32Array.from({length: C * D}, normal)
      const raw = new Float32Array(N * D)
      const y = new Int32Array(N)
      const hashes: string[] = []
      for (let i = 0; i < N; i++) {
        y[i] = i % C
        for (let d = 0; d < D; d++) raw[i * D + d] = centers[y[i] * D + d] * 0.3 + normal()
        hashes.push('0x' + (i + 1).toString(16).padStart(64, '0'))
      }
      const cache = new EmbeddingCache('0xbench', D, 'text', join(tmp, 'cache'))
      await cache.putMany(hashes, raw)
      t0 = performance.now()
      const read = new Float32Array(N * D)
      const missing = cache.getMany(hashes, read)
      const cacheReadMs = performance.now() - t0
      if (missing.length) throw new Error(`${missing.length} embeddings missing from the cache`)
      t0 = performance.now()
      const rows = Int32Array.from({length: N}, (_, i) => i)
      const trainRows = rows.filter((i) => i % 10 !== 0)
      const valRows = rows.filter((i) => i % 10 === 0)
      const X = standardize(read, D, fitStandardizer(read, D, trainRows))
      const res = await fit(
        {X, D, y, C, rowKeys: Uint32Array.from(rows, (i) => Math.imul(i + 1, 2654435761) >>> 0), trainRows, valRows},
        {...DEFAULT_HYPERPARAMETERS, num_train_epochs: epochs, early_stopping_patience: 0},
      )
      const fitMs = performance.now() - t0
      // Reference: one plain pass over the N × D matrix (a dot product per row).
      const v = Float32Array.from({length: D}, normal)
      t0 = performance.now()
      let acc = 0
      for (let i = 0; i < N; i++) {
        let s = 0
        for (let d = 0; d < D; d++) s += X[i * D + d] * v[d]
        acc += s
      }
      const memoryPassMs = performance.now() - t0
      if (!Number.isFinite(acc)) throw new Error('bad pass')
      training.push({records: N, epochs: res.epochs.length, cacheReadMs, fitMs, msPerEpoch: fitMs / res.epochs.length, memoryPassMs})
      log(
        `  train on ${N} cached embeddings: cache read ${cacheReadMs.toFixed(0)} ms, ${res.epochs.length} epochs in ${fitMs.toFixed(0)} ms (${(fitMs / res.epochs.length).toFixed(0)} ms/epoch)`,
      )
    }
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
  const cache = options.cacheRecords === 0 ? undefined : await runCacheBench({records: options.cacheRecords, log})
  return {texts: n, encoder: encoderRows, jsBaseline: {ms: jsMs, recordsPerSecond: (n / jsMs) * 1000}, maxAbsDiff, training, cache}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const {values} = parseArgs({
    options: {
      texts: {type: 'string', default: '20000'},
      epochs: {type: 'string', default: '10'},
      'cache-records': {type: 'string', default: '100000'},
      json: {type: 'boolean', default: false},
    },
  })
  const r = await runModelBench({texts: Number(values.texts), epochs: Number(values.epochs), cacheRecords: Number(values['cache-records'])})
  if (values.json) {
    console.log(JSON.stringify(r, null, 2))
  } else {
    const cpu = r.encoder.find((e) => e.device === 'cpu')
    const enc: Row[] = [
      {name: 'plain JS loop (baseline)', ms: r.jsBaseline.ms, note: `${Math.round(r.jsBaseline.recordsPerSecond)} records/s`},
    ]
    for (const e of r.encoder) {
      enc.push({
        name: `built-in encoder, ONNX Runtime ${e.device}`,
        ms: e.ms,
        baseline: r.jsBaseline.ms,
        note: `${Math.round(e.recordsPerSecond)} records/s${e.device !== 'cpu' && cpu ? `, ${(cpu.ms / e.ms).toFixed(1)}× cpu speed` : ''}`,
      })
    }
    printTable(`Encoder, ${r.texts} texts of 8–31 words (max |ONNX − JS| = ${r.maxAbsDiff.toExponential(1)})`, enc)
    const tr: Row[] = []
    for (const t of r.training) {
      tr.push({name: `${t.records} records: cache read`, ms: t.cacheReadMs})
      tr.push({
        name: `${t.records} records: ${t.epochs} epochs (standardise + AdamW)`,
        ms: t.fitMs,
        note: `${t.msPerEpoch.toFixed(0)} ms/epoch; one N×D pass ${t.memoryPassMs.toFixed(1)} ms`,
      })
    }
    printTable('Training from cached embeddings (D = 100, 6 classes, rank 8, batch 32)', tr)
    if (r.cache) printTable('Embedding cache as `train` uses it (built-in encoder, CPU)', cacheBenchRows(r.cache))
  }
}
