/**
 * Language-model benchmarks, each a ratio against a baseline measured in the same run:
 *  - LoRA training tokens/s of our engine (tfjs wasm, one thread) against PyTorch on the same model
 *    and batch (scripts/lm/bench_torch.py, one thread; needs python3 with torch, e.g. Debian's
 *    python3-torch; the bench says when it is missing, and which BLAS library PyTorch loaded);
 *  - generation tokens/s with the KV cache against without it;
 *  - webgpu against the CPU when a hardware GPU adapter answers.
 * The model is the default base under assets/lm/ when there is one, else a random Llama of ~4M
 * parameters (the default base's shape class).
 *
 *   npx tsx bench/lm.ts [--steps 6] [--batch 4] [--seq 128] [--gen 64]
 */
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {parseArgs} from 'node:util'

import * as tf from '@tensorflow/tfjs'

import {expectedTensorShapes, parseLlamaConfig} from '../src/lm/config.js'
import {describeLmDevice, probeWebgpu, selectLmDevice} from '../src/lm/device.js'
import {generateTokens} from '../src/lm/generate.js'
import {loadLlamaModel} from '../src/lm/load.js'
import {type LlamaModel, disposeLlama} from '../src/lm/model.js'
import {trainLora} from '../src/lm/train.js'
import {sfc32} from '../src/model/prng.js'
import {encodeSafetensors} from '../src/model/safetensors.js'
import {median} from './report.js'

type Log = (line: string) => void

const RANDOM_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 256,
  intermediate_size: 688,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  vocab_size: 4096,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 512,
  tie_word_embeddings: true,
  bos_token_id: 1,
  eos_token_id: 2,
  torch_dtype: 'float32',
}

/** The default base when the repository ships one, else a random model written to `tmp`. */
function benchModelDir(tmp: string): {dir: string; what: string} {
  const assets = join(import.meta.dirname, '..', 'assets', 'lm')
  if (existsSync(assets)) {
    for (const name of readdirSync(assets))
      if (existsSync(join(assets, name, 'config.json'))) return {dir: join(assets, name), what: `default base assets/lm/${name}`}
  }
  const dir = join(tmp, 'random-llama')
  const rand = sfc32(1)
  const tensors = Object.fromEntries(
    Object.entries(expectedTensorShapes(parseLlamaConfig(RANDOM_CONFIG))).map(([name, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1)
      const norm = name.endsWith('norm.weight')
      return [name, {shape, data: Float32Array.from({length: n}, () => (norm ? 1 : (2 * rand() - 1) * 0.05))}]
    }),
  )
  execFileSync('mkdir', ['-p', dir])
  writeFileSync(join(dir, 'config.json'), JSON.stringify(RANDOM_CONFIG))
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors))
  return {dir, what: 'random Llama (no default base under assets/lm yet)'}
}

function parameterCount(m: LlamaModel): number {
  return Object.values(expectedTensorShapes(m.config)).reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0)
}

const fmt = (xs: number[]) => `min ${Math.min(...xs).toFixed(0)}, median ${median(xs).toFixed(0)} tok/s`

/** Per-step training tokens/s (the first, warm-up step dropped). */
async function ourTraining(model: LlamaModel, batch: number[][], steps: number): Promise<number[]> {
  const examples = Array.from({length: steps + 1}, () => batch)
    .flat()
    .map((ids) => ({ids, lossMask: ids.map((_, i) => (i ? 1 : 0))}))
  const tokensPerStep = batch.length * batch[0].length
  const rates: number[] = []
  let last = performance.now()
  await trainLora({
    model,
    examples,
    hyperparameters: {
      num_train_epochs: 1,
      per_device_train_batch_size: batch.length,
      val_size: 0,
      lora_rank: 8,
      lora_alpha: 16,
      lora_target: 'q_proj,v_proj',
      cutoff_len: batch[0].length,
      seed: 1,
    },
    onProgress: (p) => {
      if (p.phase !== 'train') return
      const now = performance.now()
      rates.push(tokensPerStep / ((now - last) / 1000))
      last = now
    },
  })
  // trainLora shuffles records; every row has the same length, so every step has the same cost.
  return rates.slice(1)
}

function torchTraining(
  dir: string,
  batch: number[][],
  steps: number,
  tmp: string,
): {rates: number[]; version: string; blas: string} | {missing: string} {
  const python = ['/usr/bin/python3', 'python3'].find((p) => {
    try {
      execFileSync(p, ['-c', 'import torch'], {stdio: 'ignore'})
      return true
    } catch {
      return false
    }
  })
  if (!python) return {missing: 'python3 with torch is not installed (Debian: apt-get install python3-torch); PyTorch row skipped'}
  const file = join(tmp, 'batch.json')
  writeFileSync(file, JSON.stringify({input_ids: batch, r: 8, alpha: 16, targets: ['q_proj', 'v_proj'], lr: 1e-4}))
  const out = execFileSync(python, [join(import.meta.dirname, '..', 'scripts', 'lm', 'bench_torch.py'), dir, file, String(steps), '1'], {
    encoding: 'utf8',
  })
  const res = JSON.parse(out.trim().split('\n').at(-1)!)
  return {rates: res.tokensPerSecond, version: res.torch, blas: res.blas}
}

async function generation(model: LlamaModel, prompt: number[], n: number, useCache: boolean): Promise<number> {
  const t0 = performance.now()
  const r = await generateTokens(model, prompt, {maxTokens: n, useCache})
  return r.tokens.length / ((performance.now() - t0) / 1000)
}

export async function runLmBench(options: {steps?: number; batch?: number; seq?: number; gen?: number; log?: Log} = {}): Promise<void> {
  const log = options.log ?? ((l: string) => process.stdout.write(l + '\n'))
  const steps = options.steps ?? 6
  const B = options.batch ?? 4
  const T = options.seq ?? 128
  const gen = options.gen ?? 64
  const tmp = mkdtempSync(join(tmpdir(), 'bench-lm-'))
  try {
    const device = await selectLmDevice('cpu')
    const {dir, what} = benchModelDir(tmp)
    const model = loadLlamaModel(dir)
    const rand = sfc32(7)
    const batch = Array.from({length: B}, () => Array.from({length: T}, () => 3 + Math.floor(rand() * (model.config.vocabSize - 3))))
    log(
      `model: ${what}, ${(parameterCount(model) / 1e6).toFixed(2)}M parameters; LoRA q_proj,v_proj r=8; batch ${B}×${T} tokens; ${describeLmDevice(device)}, ${tf.getBackend()} threads 1`,
    )

    const ours = await ourTraining(model, batch, steps)
    const torch = torchTraining(dir, batch, steps, tmp)
    log(`training, ours (tfjs ${tf.version_core}, wasm):  ${fmt(ours)}`)
    if ('missing' in torch) log(`training, PyTorch: ${torch.missing}`)
    else {
      // Which BLAS PyTorch runs on decides its speed (Debian's default is the reference BLAS, ~14× slower than OpenBLAS here).
      log(`training, PyTorch ${torch.version} (1 thread; BLAS ${torch.blas}): ${fmt(torch.rates)}`)
      log(
        `  ratio ours / PyTorch: ${(median(ours) / median(torch.rates)).toFixed(2)}× (median), ${(Math.min(...ours) / Math.min(...torch.rates)).toFixed(2)}× (min); target ≥ 0.5×`,
      )
    }

    const prompt = batch[0].slice(0, 32)
    const cached: number[] = []
    const uncached: number[] = []
    for (let i = 0; i < 3; i++) {
      cached.push(await generation(model, prompt, gen, true))
      uncached.push(await generation(model, prompt, gen, false))
    }
    log(`generation, ${gen} tokens after a ${prompt.length}-token prompt, greedy:`)
    log(`  with KV cache:    ${fmt(cached)}`)
    log(`  without (baseline): ${fmt(uncached)}`)
    log(`  ratio: ${(median(cached) / median(uncached)).toFixed(2)}× (median)`)

    const probe = await probeWebgpu()
    if (!probe.ok) log(`webgpu: not measured (${probe.reason})`)
    else if (probe.software) log(`webgpu: not measured (only a software adapter answered: ${probe.adapter})`)
    else {
      disposeLlama(model)
      await selectLmDevice('webgpu')
      const gpuModel = loadLlamaModel(dir)
      const gpu = await ourTraining(gpuModel, batch, steps)
      const gpuGen = [await generation(gpuModel, prompt, gen, true), await generation(gpuModel, prompt, gen, true)]
      log(
        `webgpu (${probe.adapter}): training ${fmt(gpu)}, ${(median(gpu) / median(ours)).toFixed(2)}× cpu; generation with cache ${fmt(gpuGen)}, ${(median(gpuGen) / median(cached)).toFixed(2)}× cpu`,
      )
      disposeLlama(gpuModel)
      await selectLmDevice('cpu')
    }
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const {values} = parseArgs({options: {steps: {type: 'string'}, batch: {type: 'string'}, seq: {type: 'string'}, gen: {type: 'string'}}})
  await runLmBench({
    steps: values.steps ? Number(values.steps) : undefined,
    batch: values.batch ? Number(values.batch) : undefined,
    seq: values.seq ? Number(values.seq) : undefined,
    gen: values.gen ? Number(values.gen) : undefined,
  })
}
