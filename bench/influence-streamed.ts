/**
 * The streamed half of bench/influence.ts, in its own process so that the resident memory it
 * reports is the streamed query's alone: opens the state file (header only), then times the head IF
 * query streamed in chunks of each size given (JS pass and ONNX Runtime MatMul), a read of the same
 * chunks with no arithmetic, eight queries sharing one pass, and the streamed grad-dot and
 * representer queries. Prints one JSON line (StreamedResult).
 *
 *   node --import tsx bench/influence-streamed.ts '{"statePath":…,"stateKey":…,…}'
 */

import {
  loadHeadHessian,
  streamedGradDot,
  streamedHeadInfluence,
  streamedHeadInfluenceBatch,
  streamedRepresenter,
} from '../src/attribution/influence.js'
import {ModelStateRows} from '../src/attribution/model-state-cache.js'
import {arrayRecords} from '../src/attribution/record-table.js'
import {type StreamedAttribution, streamedCandidates} from '../src/attribution/streamed-query.js'
import {loadOrt} from '../src/model/backend.js'
import {L2, type StreamedParams, type StreamedResult, syntheticQueries, syntheticWeights} from './influence.js'
import {median, peakRssMiB, timeRepeated} from './report.js'

const p = JSON.parse(process.argv[2] ?? '{}') as StreamedParams
// Before any query: the runtime, the modules and ONNX Runtime's library, what any process holds.
await loadOrt()
const rssBeforeMiB = process.memoryUsage().rss / (1 << 20)
const rows = ModelStateRows.open(p.statePath, p.stateKey)
if (!rows) throw new Error(`${p.statePath}: no model state for key ${p.stateKey}`)
const Hf = loadHeadHessian(p.hessianPath, p.hessianKey)
if (!Hf) throw new Error(`${p.hessianPath}: no head Hessian for key ${p.hessianKey}`)
const m = {rows, weights: syntheticWeights(p.D, p.C, p.r), l2: L2}
const queries = syntheticQueries(p.repeats, p.D).map((h) => ({h}))
let sink = 0
let k = 0
const next = () => queries[k++ % queries.length]

const byChunk: StreamedResult['byChunk'] = []
let peakDefaultChunkMiB = 0
for (const [n, chunkBytes] of p.chunkBytes.entries()) {
  const first = streamedHeadInfluence(m, Hf, next(), {chunkBytes})
  // The exact JS pass at the default chunk size only: the ONNX Runtime pass is the one that serves.
  const ifQuery =
    n === 0
      ? timeRepeated(p.repeats, () => {
          sink += streamedHeadInfluence(m, Hf, next(), {chunkBytes}).top[0].score
        })
      : undefined
  const readOnly = timeRepeated(p.repeats, () => {
    for (const c of rows.read(['H', 'Ah', 'Res'], chunkBytes)) sink += c.n
  })
  const ortRuns: number[] = []
  for (let q = 0; q < p.repeats; q++) {
    const t = performance.now()
    const [s] = await streamedHeadInfluenceBatch(m, Hf, [next()], {chunkBytes})
    ortRuns.push(performance.now() - t)
    sink += s.top[0].score
  }
  const ifQueryOrt = {min: Math.min(...ortRuns), median: median(ortRuns)}
  // The peak after the default chunk size alone: later sizes keep their own spare buffers.
  if (n === 0) peakDefaultChunkMiB = peakRssMiB()
  byChunk.push({chunkBytes, chunks: first.chunks, bytesRead: first.bytesRead, ...(ifQuery ? {ifQuery} : {}), ifQueryOrt, readOnly})
}
// Eight queries sharing one pass: the reads amortised, the MatMul eight times wider.
const batch = queries.slice(0, 8)
const t8 = performance.now()
const batched = await streamedHeadInfluenceBatch(m, Hf, batch)
const batch8PerQuery = (performance.now() - t8) / batch.length
sink += batched[0].top[0].score
const gradDot = timeRepeated(p.repeats, () => {
  sink += streamedGradDot(m, next()).top[0].score
})
const representer = timeRepeated(p.repeats, () => {
  sink += streamedRepresenter(m, next(), L2).top[0].score
})
// As `infer --attribute` asks it of a model over the threshold (streamed-query.ts): the arithmetic
// of the loaded model's ONNX Runtime pass, so its receipts are the loaded model's.
const sa: StreamedAttribution = {
  model: undefined as never,
  modelId: 'bench',
  records: arrayRecords([]),
  state: m,
  stateKey: p.stateKey,
  hessian: Hf,
}
const productRuns: number[] = []
for (let q = 0; q < p.repeats; q++) {
  const t = performance.now()
  const [c] = await streamedCandidates(sa, [next()], 'if', 20)
  productRuns.push(performance.now() - t)
  sink += c[0].score
}
const productQuery = {min: Math.min(...productRuns), median: median(productRuns)}
const topProduct = (await streamedCandidates(sa, [queries[0]], 'if', 20))[0].slice(0, 20).map((t) => t.index)
const top = streamedHeadInfluence(m, Hf, queries[0]).top.map((t) => t.index)
const topOrt = (await streamedHeadInfluenceBatch(m, Hf, [queries[0]]))[0].top.map((t) => t.index)
rows.close()
if (sink === 0.123456789) process.stderr.write('\n')
const out: StreamedResult = {
  byChunk,
  batch8PerQuery,
  gradDot,
  representer,
  productQuery,
  top,
  topOrt,
  topProduct,
  rssBeforeMiB,
  peakDefaultChunkMiB,
  maxRssMiB: peakRssMiB(),
  rssAfterMiB: process.memoryUsage().rss / (1 << 20),
}
process.stdout.write(JSON.stringify(out) + '\n')
