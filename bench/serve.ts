/**
 * `serve` under load: autocannon in-process against the server on 127.0.0.1, requests/s and
 * p50/p99 latency with 1 and with 100 models loaded (requests spread over all of them), and the
 * memory each extra loaded model costs. Baseline in the same run: a handler answering a constant
 * JSON body on the same node:http stack.
 */
import {cpSync, mkdtempSync, rmSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon'

import {DEFAULT_MODEL_CONFIG} from '../src/model/config.js'
import type {TrainSource} from '../src/model/datanet-source.js'
import {loadBuiltinEncoder} from '../src/model/encoders/builtin.js'
import {trainModel} from '../src/model/train.js'
import {createInferenceServer} from '../src/serve/server.js'

export type ServeBenchRow = {name: string; rps: number; p50: number; p99: number; errors: number; non2xx: number}
export type ServeBenchResult = {rows: ServeBenchRow[]; bytesPerExtraModel: number; batches: {texts: number; batches: number; maxBatch: number}}

function source(): TrainSource {
  const topics: Record<string, string[]> = {
    billing: ['card charged twice', 'invoice wrong amount', 'refund missing', 'subscription fee too high'],
    shipping: ['parcel is late', 'order lost in transit', 'package arrived damaged', 'courier wrong address'],
    login: ['password does not work', 'account is locked', 'login keeps timing out', 'two factor code invalid'],
  }
  const records: TrainSource['records'] = []
  for (const [label, texts] of Object.entries(topics)) {
    for (let i = 0; i < 40; i++) {
      const hex = (label + i).split('').map((ch) => ch.charCodeAt(0).toString(16)).join('').padEnd(64, '0').slice(0, 64)
      records.push({recordHash: '0x' + hex, contributor: '0x' + '1'.repeat(40), fields: {text: `${texts[i % 4]} (${i})`, label}})
    }
  }
  return {name: 'bench', datanetId: null, version: 1, root: '0x' + '00'.repeat(32), records}
}

async function load(url: string, seconds: number, connections: number, bodies: () => string): Promise<ServeBenchRow & {raw: unknown}> {
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: {'content-type': 'application/json'},
    requests: [{method: 'POST', setupRequest: (req: Record<string, unknown>) => ({...req, body: bodies()})}],
  })
  return {name: '', rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, raw: r}
}

function footprint(): number {
  ;(globalThis as {gc?: () => void}).gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

export async function runServeBench(options: {seconds?: number; connections?: number; models?: number; log?: (s: string) => void} = {}): Promise<ServeBenchResult> {
  const seconds = options.seconds ?? 5
  const connections = options.connections ?? 32
  const many = options.models ?? 100
  const log = options.log ?? (() => {})
  const dir = mkdtempSync(join(tmpdir(), 'openledger-serve-bench-'))
  const prevCache = process.env.OPENLEDGER_CACHE_DIR
  process.env.OPENLEDGER_CACHE_DIR ??= join(dir, 'cache')
  const rows: ServeBenchRow[] = []
  try {
    const encoder = await loadBuiltinEncoder('cpu')
    const first = join(dir, 'models', 'm0')
    await trainModel({source: source(), config: {...DEFAULT_MODEL_CONFIG, num_train_epochs: 3, device: 'cpu'}, out: first, encoder})
    await encoder.dispose()
    const folders = [first]
    for (let i = 1; i < many; i++) {
      const f = join(dir, 'models', `m${i}`)
      cpSync(first, f, {recursive: true})
      folders.push(f)
    }
    const texts = ['my card was charged twice', 'the parcel is late', 'my password does not work', 'refund missing for my order']
    let k = 0

    const constant = JSON.stringify({prediction: {label: 'billing', probabilities: {billing: 0.9, login: 0.05, shipping: 0.05}}, model: first, device: 'cpu'})
    const base = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, {'content-type': 'application/json', 'content-length': Buffer.byteLength(constant)})
        res.end(constant)
      })
    })
    await new Promise<void>((r) => base.listen(0, '127.0.0.1', r))
    const baseUrl = `http://127.0.0.1:${(base.address() as AddressInfo).port}/v1/infer`
    const b = await load(baseUrl, seconds, connections, () => JSON.stringify({model: first, text: texts[k++ % 4]}))
    rows.push({...b, name: 'baseline: constant handler'})
    await new Promise<void>((r) => base.close(() => r()))

    const srv = createInferenceServer({maxModels: many + 1})
    const {url} = await srv.listen(0, '127.0.0.1')
    await srv.preload([first])
    const before = footprint()
    const one = await load(`${url}/v1/infer`, seconds, connections, () => JSON.stringify({model: first, text: texts[k++ % 4]}))
    rows.push({...one, name: '1 model loaded'})
    const mem0 = footprint()
    await srv.preload(folders)
    const mem1 = footprint()
    const hundred = await load(`${url}/v1/infer`, seconds, connections, () => JSON.stringify({model: folders[k++ % folders.length], text: texts[k % 4]}))
    rows.push({...hundred, name: `${many} models loaded, requests spread over all`})
    const stats = srv.stats()
    await srv.close()
    void before
    const bytesPerExtraModel = (mem1 - mem0) / (many - 1)
    for (const r of rows) {
      log(
        `${r.name.padEnd(44)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  ${(r.rps / rows[0].rps).toFixed(2)}× baseline${r.errors || r.non2xx ? `  errors ${r.errors} non-2xx ${r.non2xx}` : ''}`,
      )
    }
    log(`memory per extra loaded model: ${(bytesPerExtraModel / 1024).toFixed(1)} KiB (heap + array buffers)`)
    log(`encoder batches: ${stats.batches} for ${stats.texts} texts (largest ${stats.maxBatch})`)
    return {rows, bytesPerExtraModel, batches: {texts: stats.texts, batches: stats.batches, maxBatch: stats.maxBatch}}
  } finally {
    if (prevCache === undefined) delete process.env.OPENLEDGER_CACHE_DIR
    else process.env.OPENLEDGER_CACHE_DIR = prevCache
    rmSync(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 5)
  await runServeBench({seconds, log: (s) => process.stdout.write(s + '\n')})
}
