/**
 * Influence queries at a million records, the state kept on disk: a synthetic model state written
 * in the model-state cache's own format (what `attribute` and `serve` read; no training run), then
 * the exact head IF query streamed from that file in fixed-size chunks, against baselines measured
 * in the same run: one plain memory pass over the same bytes already resident, and the in-memory
 * IF query (the JS pass and the ONNX Runtime MatMul pass `infer --attribute` uses). The streamed
 * queries run in a child process (bench/influence-streamed.ts) so that its resident memory is its
 * own, not this process's 1M×100 matrix.
 *
 *   npm run bench -- influence
 *   npx tsx bench/influence.ts [--records 1000000] [--repeats 7] [--keep]
 */
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {
  createAttributor,
  factorHeadHessian,
  headInfluenceScores,
  headInfluenceScoresBatch,
  saveHeadHessian,
} from '../src/attribution/influence.js'
import {prepareWeights} from '../src/attribution/model.js'
import {saveModelState} from '../src/attribution/model-state-cache.js'
import {RowMatmul} from '../src/attribution/row-matmul.js'
import {topKByScore} from '../src/attribution/top-k.js'
import type {AttributionInput, HeadAdapterWeights} from '../src/attribution/types.js'
import {createRandom} from '../src/model/prng.js'
import {median, printTable, runBenchScript, type Row, type Timings, timeRepeated, unrolledSum} from './report.js'

export type InfluenceBenchOptions = {
  /** Records (N). */
  N: number
  /** The built-in encoder's width. */
  D: number
  C: number
  /** The adapter rank `train` uses by default (lora_rank). */
  r: number
  /** Rows the head Hessian is factored from (a per-model cost, cached; not part of a query). */
  hessianRows: number
  repeats: number
  /** Chunk sizes of the streamed pass, in MiB; the first is the default one. */
  chunkMiB: number[]
  /** Keep the generated files (their folder is printed). */
  keep: boolean
}

export const defaultInfluenceBench: InfluenceBenchOptions = {
  N: 1_000_000,
  D: 100,
  C: 6,
  r: 8,
  hessianRows: 20_000,
  repeats: 7,
  chunkMiB: [8, 1, 32],
  keep: false,
}

/** The final weights of the synthetic model: small adapter, unit-scale head (as a trained one). */
export function syntheticWeights(D: number, C: number, r: number): HeadAdapterWeights {
  const rand = createRandom(7).next
  const sym = (n: number, scale: number) => Float32Array.from({length: n}, () => (rand() - 0.5) * scale)
  return {A: sym(r * D, 0.2), B: sym(D * r, 0.2), W: sym(C * (D + 1), 1)}
}

/** Query vectors: standardised encoder outputs, so about unit variance. */
export function syntheticQueries(n: number, D: number): Float32Array[] {
  const rand = createRandom(11).next
  return Array.from({length: n}, () => Float32Array.from({length: D}, () => (rand() - 0.5) * 3.46))
}

export const L2 = 1e-3
const STATE_KEY = 'bench-influence'

export type StreamedParams = {
  statePath: string
  stateKey: string
  hessianPath: string
  hessianKey: string
  D: number
  C: number
  r: number
  repeats: number
  chunkBytes: number[]
}

export type StreamedResult = {
  /** Per chunk size: the IF query (ONNX Runtime MatMul; the JS pass at the first size) and a read of the same bytes with no arithmetic (ms). */
  byChunk: Array<{chunkBytes: number; chunks: number; bytesRead: number; ifQuery?: Timings; ifQueryOrt: Timings; readOnly: Timings}>
  /** Eight queries in one streamed pass (ONNX Runtime), per query (ms). */
  batch8PerQuery: number
  gradDot: Timings
  representer: Timings
  /** The first query's IF top-20 (indices), for the agreement check. */
  top: number[]
  /** The same through the ONNX Runtime streamed pass. */
  topOrt: number[]
  /** The IF query as a query of the product answers it over a streamed model (streamedCandidates), and its top-20. */
  productQuery: Timings
  topProduct: number[]
  /** Resident memory: before the first query (runtime, modules, ONNX Runtime), the process's peak, and after the queries (MiB). */
  rssBeforeMiB: number
  /** The peak once the queries at the first (default) chunk size have run, before the other sizes'. */
  peakDefaultChunkMiB: number
  maxRssMiB: number
  rssAfterMiB: number
}

const mib = (bytes: number) => bytes / (1 << 20)

export async function runInfluenceBench(
  partial: Partial<InfluenceBenchOptions> = {},
  log: (line: string) => void = console.log,
): Promise<Record<string, number>> {
  const o = {...defaultInfluenceBench, ...partial}
  const {N, D, C, r} = o
  const dir = mkdtempSync(join(tmpdir(), 'ol-bench-influence-'))
  try {
    log(`# head IF at N = ${N.toLocaleString('en')} records, D = ${D}, C = ${C}, adapter rank ${r}`)
    let t0 = performance.now()
    const rand = createRandom(42).next
    // Standardised encoder outputs: unit variance per column, as the cache holds them.
    const H = new Float32Array(N * D)
    for (let i = 0; i < H.length; i++) H[i] = (rand() - 0.5) * 3.46
    const labels = Int32Array.from({length: N}, () => Math.floor(rand() * C))
    const w = syntheticWeights(D, C, r)
    const input: AttributionInput = {N, D, C, r, H, labels, ...w, checkpoints: [], l2: L2}
    const prepared = prepareWeights(input, w)
    const statePath = join(dir, `${STATE_KEY}.state.safetensors`)
    const {Ah, Bu, Bth, Pr, Res, G} = prepared
    saveModelState(statePath, STATE_KEY, {
      N,
      D,
      C,
      r,
      H,
      labels,
      final: {Ah, Bu, Bth, Pr, Res, G},
      Hval: new Float32Array(0),
      labelsVal: new Int32Array(0),
    })
    const fileBytes = statSync(statePath).size
    log(
      `synthetic state written in the cache format: ${mib(fileBytes).toFixed(0)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )

    t0 = performance.now()
    const sub = createAttributor({
      ...input,
      N: o.hessianRows,
      H: H.subarray(0, o.hessianRows * D),
      labels: labels.subarray(0, o.hessianRows),
    })
    const Hf = factorHeadHessian(sub, {damping: L2})
    const hessianPath = join(dir, 'bench.hessian.safetensors')
    saveHeadHessian(hessianPath, Hf, 'bench-hessian')
    log(
      `head Hessian (${C * (D + 1)}² dense, Cholesky) from ${o.hessianRows.toLocaleString('en')} rows: ${(performance.now() - t0).toFixed(0)} ms (once per model, cached; not part of a query)`,
    )

    const att = createAttributor(input, {prepared})
    const queries = syntheticQueries(o.repeats, D).map((h) => ({h}))
    // The baseline: one pass over the bytes the streamed IF reads (H, A h, residuals), resident.
    const sameBytes = [H, Ah, Res]
    const passBytes = sameBytes.reduce((s, a) => s + a.byteLength, 0)
    let sink = 0
    const pass = timeRepeated(o.repeats, () => {
      for (const a of sameBytes) sink += unrolledSum(a)
    })
    let k = 0
    const memIf = timeRepeated(o.repeats, () => {
      sink += headInfluenceScores(att, Hf, queries[k++ % queries.length])[0]
    })
    const memTop = topKByScore(headInfluenceScores(att, Hf, queries[0]), 20)
    const mm = await RowMatmul.create(H, N, D)
    const ortRuns: number[] = []
    for (let q = 0; q < o.repeats; q++) {
      const t = performance.now()
      const [s] = await headInfluenceScoresBatch(att, Hf, [queries[q % queries.length]], mm)
      ortRuns.push(performance.now() - t)
      sink += s[0]
    }
    await mm.dispose()
    const memOrt = {min: Math.min(...ortRuns), median: median(ortRuns)}
    const parentRss = mib(process.memoryUsage().rss)

    const child = await runBenchScript<StreamedResult>('influence-streamed.ts', {
      statePath,
      stateKey: STATE_KEY,
      hessianPath,
      hessianKey: 'bench-hessian',
      D,
      C,
      r,
      repeats: o.repeats,
      chunkBytes: o.chunkMiB.map((m) => m << 20),
    } satisfies StreamedParams)
    if (sink === 0.123456789) log('')

    const rate = (bytes: number, ms: number) => `${((mib(bytes) / ms) * 1000).toFixed(0)} MiB/s`
    const rows: Row[] = [
      {
        name: `memory pass over the same bytes (H, A h, residuals: ${mib(passBytes).toFixed(0)} MiB resident)`,
        ms: pass.median,
        note: `min ${pass.min.toFixed(1)} ms, ${rate(passBytes, pass.median)}`,
      },
      {name: 'in-memory IF query, JS pass', ms: memIf.median, baseline: pass.median, note: `min ${memIf.min.toFixed(1)} ms`},
      {name: 'in-memory IF query, ONNX Runtime MatMul', ms: memOrt.median, baseline: pass.median, note: `min ${memOrt.min.toFixed(1)} ms`},
    ]
    for (const c of child.byChunk) {
      const label = `${mib(c.chunkBytes)} MiB chunks`
      rows.push({
        name: `streamed read alone, ${label} (page cache, no arithmetic)`,
        ms: c.readOnly.median,
        baseline: pass.median,
        note: `${rate(c.bytesRead, c.readOnly.median)}, ${c.chunks} chunks`,
      })
      const js = c.ifQuery
      if (js)
        rows.push({
          name: `streamed IF query, ${label}, JS pass`,
          ms: js.median,
          baseline: pass.median,
          note: `min ${js.min.toFixed(1)} ms, ${rate(c.bytesRead, js.median)}, ${(js.median / memIf.median).toFixed(2)}× in-memory JS`,
        })
      rows.push({
        name: `streamed IF query, ${label}, ONNX Runtime MatMul`,
        ms: c.ifQueryOrt.median,
        baseline: pass.median,
        note: `min ${c.ifQueryOrt.min.toFixed(1)} ms, ${rate(c.bytesRead, c.ifQueryOrt.median)}, ${(c.ifQueryOrt.median / memOrt.median).toFixed(2)}× in-memory ONNX Runtime`,
      })
    }
    rows.push({
      name: 'streamed IF as `infer --attribute` runs it over a large model, 8 MiB chunks (receipts exact)',
      ms: child.productQuery.median,
      baseline: pass.median,
      note: `min ${child.productQuery.min.toFixed(1)} ms, ${(child.productQuery.median / memOrt.median).toFixed(2)}× in-memory ONNX Runtime`,
    })
    rows.push({
      name: 'streamed IF, 8 queries sharing one pass, per query',
      ms: child.batch8PerQuery,
      baseline: pass.median,
    })
    rows.push({
      name: 'streamed grad-dot query, 8 MiB chunks (H, A h, Bᵀh, Bᵀu, residuals)',
      ms: child.gradDot.median,
      baseline: pass.median,
    })
    rows.push({name: 'streamed representer query, 8 MiB chunks', ms: child.representer.median, baseline: pass.median})
    printTable(`influence: one query over ${N.toLocaleString('en')} records, median of ${o.repeats}; ratios against the memory pass`, rows)
    const agree = [child.top, child.topOrt, child.topProduct].every((t) => JSON.stringify(t) === JSON.stringify(memTop))
    log(
      `  resident memory (peak, VmHWM): streamed process ${child.rssBeforeMiB.toFixed(0)} MiB before the first query (runtime, modules, ONNX Runtime), ${child.peakDefaultChunkMiB.toFixed(0)} MiB after the ${o.chunkMiB[0]} MiB-chunk queries, ${child.maxRssMiB.toFixed(0)} MiB after every chunk size and the batch of 8; the in-memory process ${parentRss.toFixed(0)} MiB (resident now); state file ${mib(fileBytes).toFixed(0)} MiB`,
    )
    log(`  streamed top-20 (JS, ONNX Runtime and product passes) equals the in-memory top-20: ${agree ? 'yes' : 'NO'}`)
    if (!agree) throw new Error('the streamed IF query disagrees with the in-memory pass')
    const main = child.byChunk[0]
    return {
      passMs: pass.median,
      memIfMs: memIf.median,
      memOrtMs: memOrt.median,
      streamedIfJsMs: main.ifQuery?.median ?? Number.NaN,
      streamedIfMs: main.ifQueryOrt.median,
      streamedProductIfMs: child.productQuery.median,
      streamedReadMs: main.readOnly.median,
      streamedMiBps: (mib(main.bytesRead) / main.ifQueryOrt.median) * 1000,
      streamedRatio: main.ifQueryOrt.median / pass.median,
      streamedPeakRssMiB: child.peakDefaultChunkMiB,
      streamedMaxRssMiB: child.maxRssMiB,
      parentRssMiB: parentRss,
    }
  } finally {
    if (o.keep) log(`  files kept in ${dir}`)
    else rmSync(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const num = (flag: string) => {
    const i = args.indexOf(flag)
    return i >= 0 ? Number(args[i + 1]) : undefined
  }
  await runInfluenceBench({
    ...(num('--records') ? {N: num('--records')} : {}),
    ...(num('--repeats') ? {repeats: num('--repeats')} : {}),
    keep: args.includes('--keep'),
  })
}
