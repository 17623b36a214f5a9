/**
 * `serve` under load. autocannon runs in its own process (bench/serve-load.ts), so the server's
 * process does nothing but serve. Rows, each repeated (min and median of req/s; median p50/p99):
 * - baseline: a node:http handler answering a constant JSON body, in this process like the server;
 * - serve with 1 model loaded;
 * - serve with 100 models loaded, requests spread over all of them;
 * then the memory each extra loaded model costs, and the load time and retained memory of a model
 * whose training.json lists 100k records (baseline: reading that training.json, which loading a
 * model used to do and keep), and what that model's attribution state retains beyond its matrices
 * (baseline: one object per record and the validation matrix, which the state used to hold).
 */
import {cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

import {type ModelAttribution, loadModelAttribution} from '../src/attribution/from-model.js'
import {createAttributor} from '../src/attribution/influence.js'
import {modelStateKey, saveModelState} from '../src/attribution/model-state-cache.js'
import {packRecords} from '../src/attribution/record-table.js'
import type {TrainingManifest} from '../src/model/artifact.js'
import {DEFAULT_MODEL_CONFIG} from '../src/model/config.js'
import type {TrainSource} from '../src/model/datanet-source.js'
import {loadBuiltinEncoder} from '../src/model/encoders/builtin.js'
import type {Encoder} from '../src/model/encoders/index.js'
import {type Model, loadModel, predictEmbeddings, readTraining} from '../src/model/infer.js'
import {sfc32} from '../src/model/prng.js'
import {trainModel} from '../src/model/train.js'
import {attributeRows, predictedRows} from '../src/serve/flow.js'
import {createInferenceServer} from '../src/serve/server.js'
import {cacheDir} from '../src/store/paths.js'
import {median, runBenchScript} from './report.js'
import type {LoadParams, LoadResult} from './serve-load.js'

export type ServeBenchRow = {
  name: string
  rps: {min: number; median: number}
  p50: number
  p99: number
  ratio: number
  /**
   * CPU time the server's process spent per request (µs, median), and requests per CPU-second as a
   * ratio to the baseline's: the load generator is another process, so this is the server's own
   * cost, which moves far less than req/s when other jobs share the machine.
   */
  cpuPerRequestUs: number
  cpuRatio: number
  errors: number
  non2xx: number
}
export type ServeBenchResult = {
  rows: ServeBenchRow[]
  bytesPerExtraModel: number
  bigModel: {
    records: number
    trainingJsonBytes: number
    loadMs: {min: number; median: number}
    retainedBytes: number
    baselineMs: {min: number; median: number}
    baselineRetainedBytes: number
  }
  batches: {texts: number; batches: number; maxBatch: number}
  attributionState: AttributionStateMemory
}

/** What a loaded 100k-record model's attribution state retains, split into its matrices and the rest. */
export type AttributionStateMemory = {
  records: number
  /** Heap + array buffers retained per loaded state, after one influence query (Hessian factor, ONNX Runtime session). */
  retainedBytes: number
  /** The training matrix H and its per-record precompute (A·h, Bᵀu, Bᵀh, p, residual) and labels. */
  matrixBytes: number
  hessianBytes: number
  /** retained − matrix − Hessian: what the records and everything else cost. */
  beyondBytes: number
  /** Baseline from the same run: the records as one object each plus the validation matrix, as the state held them before. */
  baselineBytes: number
  loadMs: {min: number; median: number}
}

function source(): TrainSource {
  const topics: Record<string, string[]> = {
    billing: ['card charged twice', 'invoice wrong amount', 'refund missing', 'subscription fee too high'],
    shipping: ['parcel is late', 'order lost in transit', 'package arrived damaged', 'courier wrong address'],
    login: ['password does not work', 'account is locked', 'login keeps timing out', 'two factor code invalid'],
  }
  const records: TrainSource['records'] = []
  for (const [label, texts] of Object.entries(topics)) {
    for (let i = 0; i < 40; i++) {
      const hex = (label + i)
        .split('')
        .map((ch) => ch.charCodeAt(0).toString(16))
        .join('')
        .padEnd(64, '0')
        .slice(0, 64)
      records.push({recordHash: '0x' + hex, contributor: '0x' + '1'.repeat(40), fields: {text: `${texts[i % 4]} (${i})`, label}})
    }
  }
  return {name: 'bench', datanetId: null, version: 1, root: '0x' + '00'.repeat(32), records}
}

/** One load-generator run in its own process. */
const load = (params: LoadParams) => runBenchScript<LoadResult>('serve-load.ts', params)

// Memory is read after a full collection; the flag is set here so `npm run bench` needs no Node option.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
function footprint(): number {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

const minMedian = (xs: number[]) => ({min: Math.min(...xs), median: median(xs)})

/** A copy of `from` whose training.json lists `n` training records, as a 100k-record training writes. */
function bigArtifact(from: string, to: string, n: number): void {
  cpSync(from, to, {recursive: true})
  const t = JSON.parse(readFileSync(join(from, 'training.json'), 'utf8')) as TrainingManifest
  t.records = Array.from({length: n}, (_, i) => ({
    recordHash: '0x' + i.toString(16).padStart(64, '0'),
    contributor: '0x' + ((i % 97) + 1).toString(16).padStart(40, '0'),
    label: i % 3,
    split: i % 10 === 0 ? 'val' : 'train',
  }))
  writeFileSync(join(to, 'training.json'), JSON.stringify(t, null, 2) + '\n')
}

/**
 * The attribution state of `big` (a 100k-record artifact): a state file with a random standardised
 * matrix written as loadModelAttribution writes it (so no datanet of 100k records is needed), then
 * HELD states loaded from it and queried once, their retained memory measured; the baseline is the
 * part the state used to hold besides its matrices (one object per record, the validation matrix).
 */
async function attributionStateMemory(big: string, encoder: Encoder, repeats: number): Promise<AttributionStateMemory> {
  const model = await loadModel(big, {encoder})
  const t = model.training
  const train = t.records.filter((r) => r.split === 'train')
  const val = t.records.filter((r) => r.split === 'val')
  const {D, C, r} = model.weights
  const random = sfc32(7)
  const H = Float32Array.from({length: train.length * D}, () => random() * 2 - 1)
  const Hval = Float32Array.from({length: val.length * D}, () => random() * 2 - 1)
  const labels = Int32Array.from(train, (e) => e.label)
  const att = createAttributor({
    N: train.length,
    D,
    C,
    r,
    H,
    labels,
    A: model.weights.A,
    B: model.weights.B,
    W: model.weights.W,
    checkpoints: [],
  })
  const {Ah, Bu, Bth, Pr, Res, G} = att.final
  const key = modelStateKey(big)
  saveModelState(join(cacheDir(), 'attribution', `${key}.state.safetensors`), key, {
    N: train.length,
    D,
    C,
    r,
    H,
    labels,
    final: {Ah, Bu, Bth, Pr, Res, G},
    Hval,
    labelsVal: Int32Array.from(val, (e) => e.label),
    records: packRecords([...train, ...val]),
  })
  const matrixBytes = [H, labels, Ah, Bu, Bth, Pr, Res, G].reduce((a, x) => a + x.byteLength, 0)
  const query = async (ma: ModelAttribution) => {
    const [h] = predictedRows(predictEmbeddings(model, await encoder.encode(['my card was charged twice', 'the parcel is late'])), [
      'a',
      'b',
    ])
    await attributeRows(ma, [h], 'if')
  }
  const loadTimes: number[] = []
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now()
    await loadModelAttribution(model)
    loadTimes.push(performance.now() - t0)
  }
  // One state built and queried first, so that lazily loaded modules and the Hessian's cache file are not counted.
  const warm = await loadModelAttribution(model)
  await query(warm)
  await warm.matmul?.dispose()
  const HELD = 4
  let before = footprint()
  const held: ModelAttribution[] = []
  for (let i = 0; i < HELD; i++) {
    const ma = await loadModelAttribution(model)
    await query(ma)
    held.push(ma)
  }
  const retainedBytes = (footprint() - before) / HELD
  const hessian = held[0].hessian
  const hessianBytes = hessian ? (hessian.kind === 'dense' ? hessian.L.byteLength : hessian.diag.byteLength) : 0
  for (const ma of held) await ma.matmul?.dispose()
  held.length = 0
  // The baseline: what the state held besides its matrices before (one object per record, as it
  // built them from training.json, and the validation matrix).
  before = footprint()
  const old: unknown[] = []
  for (let i = 0; i < HELD; i++) {
    const tr = readTraining(big)
    const meta = (e: {recordHash: string; contributor: string}) => ({
      recordHash: e.recordHash,
      contributor: e.contributor,
      datanet: tr.datanet.name,
    })
    old.push({
      records: tr.records.filter((e) => e.split === 'train').map(meta),
      validation: tr.records.filter((e) => e.split === 'val').map(meta),
      Hval: Hval.slice(),
    })
  }
  const baselineBytes = (footprint() - before) / HELD
  old.length = 0
  await model.dispose()
  return {
    records: t.records.length,
    retainedBytes,
    matrixBytes,
    hessianBytes,
    beyondBytes: retainedBytes - matrixBytes - hessianBytes,
    baselineBytes,
    loadMs: minMedian(loadTimes),
  }
}

export async function runServeBench(
  options: {seconds?: number; connections?: number; models?: number; repeats?: number; bigRecords?: number; log?: (s: string) => void} = {},
): Promise<ServeBenchResult> {
  const seconds = options.seconds ?? 2
  const connections = options.connections ?? 32
  const many = options.models ?? 100
  const repeats = options.repeats ?? 5
  const bigRecords = options.bigRecords ?? 100_000
  const log = options.log ?? (() => {})
  const dir = mkdtempSync(join(tmpdir(), 'openledger-serve-bench-'))
  const prevCache = process.env.OPENLEDGER_CACHE_DIR
  process.env.OPENLEDGER_CACHE_DIR ??= join(dir, 'cache')
  const closers: Array<() => Promise<void>> = []
  try {
    const encoder = await loadBuiltinEncoder('cpu')
    const first = join(dir, 'models', 'm0')
    await trainModel({source: source(), config: {...DEFAULT_MODEL_CONFIG, num_train_epochs: 3, device: 'cpu'}, out: first, encoder})
    const folders = [first]
    for (let i = 1; i < many; i++) {
      const f = join(dir, 'models', `m${i}`)
      cpSync(first, f, {recursive: true})
      folders.push(f)
    }
    const texts = ['my card was charged twice', 'the parcel is late', 'my password does not work', 'refund missing for my order']

    // The 100k-record model: load time and retained memory, against reading its training.json.
    const big = join(dir, 'models', 'big')
    bigArtifact(first, big, bigRecords)
    const loadTimes: number[] = []
    const readTimes: number[] = []
    for (let i = 0; i < repeats; i++) {
      let t0 = performance.now()
      await loadModel(big, {encoder})
      loadTimes.push(performance.now() - t0)
      t0 = performance.now()
      readTraining(big)
      readTimes.push(performance.now() - t0)
    }
    const HELD = 5
    let before = footprint()
    const held: Model[] = []
    for (let i = 0; i < HELD; i++) held.push(await loadModel(big, {encoder}))
    const retainedBytes = (footprint() - before) / HELD
    held.length = 0
    before = footprint()
    const manifests: TrainingManifest[] = []
    for (let i = 0; i < HELD; i++) manifests.push(readTraining(big))
    const baselineRetainedBytes = (footprint() - before) / HELD
    manifests.length = 0
    const attributionState = await attributionStateMemory(big, encoder, repeats)
    await encoder.dispose()

    const constant = JSON.stringify({
      prediction: {label: 'billing', probabilities: {billing: 0.9, login: 0.05, shipping: 0.05}},
      model: first,
      device: 'cpu',
    })
    const base = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, {'content-type': 'application/json', 'content-length': Buffer.byteLength(constant)})
        res.end(constant)
      })
    })
    await new Promise<void>((r) => base.listen(0, '127.0.0.1', r))
    closers.push(() => new Promise<void>((r) => base.close(() => r())))
    const baseUrl = `http://127.0.0.1:${(base.address() as AddressInfo).port}/v1/infer`

    const one = createInferenceServer({maxModels: 1, device: 'cpu'})
    closers.push(() => one.close())
    const oneUrl = `${(await one.listen(0, '127.0.0.1')).url}/v1/infer`
    await one.preload([first])
    const all = createInferenceServer({maxModels: many, device: 'cpu'})
    closers.push(() => all.close())
    const allUrl = `${(await all.listen(0, '127.0.0.1')).url}/v1/infer`
    await all.preload([first])
    const mem0 = footprint()
    await all.preload(folders)
    const bytesPerExtraModel = (footprint() - mem0) / Math.max(1, many - 1)

    const oneBodies = texts.map((text) => JSON.stringify({model: first, text}))
    const allBodies = Array.from({length: many * texts.length}, (_, i) =>
      JSON.stringify({model: folders[i % many], text: texts[Math.floor(i / many) % texts.length]}),
    )
    const targets = [
      {name: 'baseline: constant node:http handler', url: baseUrl, bodies: oneBodies},
      {name: 'serve, 1 model loaded', url: oneUrl, bodies: oneBodies},
      {name: `serve, ${many} models loaded, requests spread`, url: allUrl, bodies: allBodies},
    ]
    const runs: Array<Array<LoadResult & {cpuUs: number}>> = targets.map(() => [])
    const measured = async (params: LoadParams) => {
      const c0 = process.cpuUsage()
      const r = await load(params)
      const c = process.cpuUsage(c0)
      return {...r, cpuUs: (c.user + c.system) / Math.max(1, r.rps * params.seconds)}
    }
    // Warm-up (JIT, first batches), not counted.
    for (const t of targets) await load({url: t.url, seconds: 1, connections, bodies: t.bodies})
    // Interleaved, so drift in the machine's load touches every row alike, and rotated, so each row
    // takes each place in the sequence rather than always following the same one.
    for (let i = 0; i < repeats; i++) {
      for (let j = 0; j < targets.length; j++) {
        const k = (i + j) % targets.length
        runs[k].push(await measured({url: targets[k].url, seconds, connections, bodies: targets[k].bodies}))
      }
    }
    const baseRps = median(runs[0].map((r) => r.rps))
    const baseCpu = median(runs[0].map((r) => r.cpuUs))
    const rows: ServeBenchRow[] = targets.map((t, k) => ({
      name: t.name,
      rps: minMedian(runs[k].map((r) => r.rps)),
      p50: median(runs[k].map((r) => r.p50)),
      p99: median(runs[k].map((r) => r.p99)),
      ratio: median(runs[k].map((r) => r.rps)) / baseRps,
      cpuPerRequestUs: median(runs[k].map((r) => r.cpuUs)),
      cpuRatio: baseCpu / median(runs[k].map((r) => r.cpuUs)),
      errors: runs[k].reduce((a, r) => a + r.errors, 0),
      non2xx: runs[k].reduce((a, r) => a + r.non2xx, 0),
    }))
    const stats = all.stats()
    log(`  ${repeats} runs of ${seconds} s each, ${connections} connections, load generator in its own process`)
    for (const r of rows) {
      log(
        `  ${r.name.padEnd(46)} ${r.rps.median.toFixed(0).padStart(6)} req/s (min ${r.rps.min.toFixed(0)})  p50 ${String(r.p50).padStart(3)} ms  p99 ${String(r.p99).padStart(4)} ms  ${r.ratio.toFixed(2)}× baseline;  server CPU ${r.cpuPerRequestUs.toFixed(1)} µs/req, req per CPU-s ${r.cpuRatio.toFixed(2)}× baseline${r.errors || r.non2xx ? `  errors ${r.errors} non-2xx ${r.non2xx}` : ''}`,
      )
    }
    log(`  memory per extra loaded model: ${(bytesPerExtraModel / 1024).toFixed(1)} KiB (heap + array buffers, after GC)`)
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`
    const trainingJsonBytes = statSync(join(big, 'training.json')).size
    const loadMs = minMedian(loadTimes)
    const baselineMs = minMedian(readTimes)
    log(
      `  ${bigRecords}-record model (training.json ${mib(trainingJsonBytes)}): load ${loadMs.median.toFixed(1)} ms (min ${loadMs.min.toFixed(1)}), retains ${mib(retainedBytes)}; ` +
        `baseline, reading its training.json as loading used to: ${baselineMs.median.toFixed(1)} ms (min ${baselineMs.min.toFixed(1)}), retains ${mib(baselineRetainedBytes)}; load ${(loadMs.median / baselineMs.median).toPrecision(2)}× baseline`,
    )
    log(`  encoder batches (${many}-model server): ${stats.batches} for ${stats.texts} texts (largest ${stats.maxBatch})`)
    const a = attributionState
    log(
      `  attribution state of a ${a.records}-record model, after one influence query: retains ${mib(a.retainedBytes)} = matrices ${mib(a.matrixBytes)} (H, per-record precompute, labels) + Hessian factor ${mib(a.hessianBytes)} + ${mib(a.beyondBytes)} beyond them (GC noise about ±0.2 MiB); ` +
        `baseline, records as objects and the validation matrix as the state held them: ${mib(a.baselineBytes)}; beyond ${(a.beyondBytes / a.baselineBytes).toPrecision(2)}× baseline; load ${a.loadMs.median.toFixed(0)} ms (min ${a.loadMs.min.toFixed(0)})`,
    )
    return {
      rows,
      bytesPerExtraModel,
      bigModel: {records: bigRecords, trainingJsonBytes, loadMs, retainedBytes, baselineMs, baselineRetainedBytes},
      batches: {texts: stats.texts, batches: stats.batches, maxBatch: stats.maxBatch},
      attributionState,
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined)
    if (prevCache === undefined) delete process.env.OPENLEDGER_CACHE_DIR
    else process.env.OPENLEDGER_CACHE_DIR = prevCache
    rmSync(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runServeBench({seconds: Number(process.env.BENCH_SECONDS ?? 2), log: (s) => process.stdout.write(s + '\n')})
}
