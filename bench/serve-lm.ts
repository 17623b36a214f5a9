/**
 * `serve` generating text: POST /v1/completions under load from concurrent clients in their own
 * process (bench/serve-lm-load.ts), on the default base assets/lm/openledger-base. Rows, each
 * repeated (interleaved and rotated; min and median of tokens/s, median p50/p99 of request latency),
 * each a ratio to the first, measured in the same run:
 * - baseline: the base alone (`model` naming the base's folder: no adapter);
 * - 1 adapter: every request names the same LoRA adapter;
 * - 50 adapters: requests spread over 50 adapters, all loaded, batched together (LoRA per row);
 * then the time an adapter takes to load: a one-token request naming an adapter not yet loaded,
 * against the same request once it is (baseline).
 * Adapters are written with random LoRA weights in PEFT's layout (r 8 on q_proj and v_proj, the
 * training defaults), as `train --task generate` writes them.
 *
 *   npx tsx bench/serve-lm.ts   (BENCH_SECONDS, default 4)
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {llamaShape, readLlamaConfig} from '../src/lm/config.js'
import {type LoraWeight, baseWeightsSha256, projectionSize, writePeftAdapter} from '../src/lm/peft.js'
import {sfc32} from '../src/model/prng.js'
import {createInferenceServer} from '../src/serve/server.js'
import {median, runBenchScript} from './report.js'
import type {LmLoadParams, LmLoadResult} from './serve-lm-load.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const BASE = resolve(ROOT, 'assets', 'lm', 'openledger-base')

export type ServeLmRow = {
  name: string
  tokensPerSecond: {min: number; median: number}
  p50: number
  p99: number
  ratio: number
  requests: number
  /** Mean completion tokens per answer (fewer than max_tokens when the end token comes first). */
  tokensPerRequest: number
  errors: number
}
export type ServeLmResult = {
  rows: ServeLmRow[]
  largestBatch: number
  adapterLoad: {coldMs: number; warmMs: number; loadMs: number}
}

/** A PEFT adapter on the default base with random, non-zero A and B (so that it changes the output). */
function randomAdapter(dir: string, seed: number, r = 8): string {
  const shape = llamaShape(readLlamaConfig(BASE))
  const rand = sfc32(seed)
  const fill = (n: number, scale: number) => Float32Array.from({length: n}, () => (rand() * 2 - 1) * scale)
  const weights: LoraWeight[] = []
  for (let layer = 0; layer < shape.layers; layer++) {
    for (const module of ['q_proj', 'v_proj'] as const) {
      const size = projectionSize(module, shape)
      weights.push({
        layer,
        module,
        a: {shape: [r, size.in], data: fill(r * size.in, 0.1)},
        b: {shape: [size.out, r], data: fill(size.out * r, 0.1)},
      })
    }
  }
  writePeftAdapter(dir, {
    settings: {
      r,
      alpha: 2 * r,
      dropout: 0,
      targetModules: ['q_proj', 'v_proj'],
      baseModel: 'openledger-base',
      baseSha256: baseWeightsSha256(BASE),
    },
    weights,
  })
  return dir
}

/** One load-generator run in its own process. */
const load = (params: LmLoadParams) => runBenchScript<LmLoadResult>('serve-lm-load.ts', params)

const PROMPTS = [
  'The capital of France is',
  'Once upon a time there was',
  'The river ran past the old mill and',
  'In the morning the farmer',
]

export async function runServeLmBench(
  options: {seconds?: number; clients?: number; adapters?: number; repeats?: number; maxTokens?: number; log?: (s: string) => void} = {},
): Promise<ServeLmResult> {
  const seconds = options.seconds ?? 4
  const clients = options.clients ?? 8
  const many = options.adapters ?? 50
  const repeats = options.repeats ?? 3
  const maxTokens = options.maxTokens ?? 16
  const log = options.log ?? (() => {})
  const dir = mkdtempSync(join(tmpdir(), 'openledger-serve-lm-bench-'))
  const srv = createInferenceServer({stateDir: join(dir, '.openledger'), maxAdapters: many + 8, lmDevice: 'cpu'})
  try {
    const adapters = Array.from({length: many + 5}, (_, i) => randomAdapter(join(dir, `adapter-${i}`), i + 1))
    const url = `${(await srv.listen(0, '127.0.0.1')).url}/v1/completions`
    const body = (model: string, i: number, tokens = maxTokens) =>
      JSON.stringify({model, prompt: PROMPTS[i % PROMPTS.length], max_tokens: tokens, temperature: 0})
    const post = async (b: string) => {
      const t0 = performance.now()
      const res = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json'}, body: b})
      const text = await res.text()
      if (res.status !== 200) throw new Error(`serve answered ${res.status}: ${text}`)
      return performance.now() - t0
    }
    // The base loads with the first request; the engine's first forward passes compile their kernels.
    for (let i = 0; i < 3; i++) await post(body(BASE, i))

    // Adapter load: a one-token request naming a fresh adapter, then the same request again.
    const cold: number[] = []
    const warm: number[] = []
    for (const a of adapters.slice(many)) {
      cold.push(await post(body(a, 0, 1)))
      warm.push(await post(body(a, 0, 1)))
    }

    const targets = [
      {name: 'baseline: the base alone', bodies: PROMPTS.map((_, i) => body(BASE, i))},
      {name: '1 adapter', bodies: PROMPTS.map((_, i) => body(adapters[0], i))},
      {
        name: `${many} adapters, requests spread`,
        bodies: Array.from({length: many * PROMPTS.length}, (_, i) => body(adapters[i % many], i)),
      },
    ]
    const runs: LmLoadResult[][] = targets.map(() => [])
    // Warm-up, not counted: loads the 50 adapters and settles the batch sizes.
    for (const t of targets) await load({url, seconds: 1.5, clients, bodies: t.bodies})
    for (let i = 0; i < repeats; i++) {
      for (let j = 0; j < targets.length; j++) {
        const k = (i + j) % targets.length
        runs[k].push(await load({url, seconds, clients, bodies: targets[k].bodies}))
      }
    }
    const tps = (r: LmLoadResult) => r.tokens / r.seconds
    const baseTps = median(runs[0].map(tps))
    const rows: ServeLmRow[] = targets.map((t, k) => ({
      name: t.name,
      tokensPerSecond: {min: Math.min(...runs[k].map(tps)), median: median(runs[k].map(tps))},
      p50: median(runs[k].map((r) => r.p50)),
      p99: median(runs[k].map((r) => r.p99)),
      ratio: median(runs[k].map(tps)) / baseTps,
      requests: runs[k].reduce((a, r) => a + r.requests, 0),
      tokensPerRequest:
        runs[k].reduce((a, r) => a + r.tokens, 0) /
        Math.max(
          1,
          runs[k].reduce((a, r) => a + r.requests, 0),
        ),
      errors: runs[k].reduce((a, r) => a + r.errors, 0),
    }))
    const stats = srv.stats()
    const adapterLoad = {coldMs: median(cold), warmMs: median(warm), loadMs: median(cold.map((c, i) => c - warm[i]))}
    log(
      `  ${repeats} runs of ${seconds} s each, ${clients} concurrent clients in their own process, max_tokens ${maxTokens}, greedy; base ${BASE.slice(ROOT.length + 1)}, adapters r 8 on q_proj,v_proj`,
    )
    for (const r of rows) {
      log(
        `  ${r.name.padEnd(30)} ${r.tokensPerSecond.median.toFixed(1).padStart(7)} tok/s (min ${r.tokensPerSecond.min.toFixed(1)})  p50 ${r.p50.toFixed(0).padStart(5)} ms  p99 ${r.p99.toFixed(0).padStart(5)} ms  ${r.tokensPerRequest.toFixed(1)} tok/answer  ${r.ratio.toFixed(2)}× baseline${r.errors ? `  errors ${r.errors}` : ''}`,
      )
    }
    log(
      `  generation batches: ${stats.lmBatches} for ${stats.lmRequests} requests (largest ${stats.lmLargestBatch}); adapters evicted ${stats.lmEvictions}`,
    )
    log(
      `  adapter load: a 1-token request naming a new adapter ${adapterLoad.coldMs.toFixed(1)} ms vs ${adapterLoad.warmMs.toFixed(1)} ms once loaded (baseline): ${(adapterLoad.coldMs / adapterLoad.warmMs).toFixed(2)}× baseline, about ${adapterLoad.loadMs.toFixed(1)} ms to load (median of ${cold.length})`,
    )
    return {rows, largestBatch: stats.lmLargestBatch, adapterLoad}
  } finally {
    await srv.close()
    rmSync(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runServeLmBench({seconds: Number(process.env.BENCH_SECONDS ?? 4), log: (s) => process.stdout.write(s + '\n')})
}
