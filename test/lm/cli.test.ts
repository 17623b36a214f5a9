// The generative path end to end through the command classes in child processes (from src/, see
// test/model/helpers/run-cli.ts): a prompt/response datanet, `train --task generate` on the shipped
// base, `infer --prompt`, `export --format gguf`, and publish-free checks of the artifact folder.
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {addToDatanet, createDatanet} from '../../src/datanet/index.js'
import {loadDatanetSource} from '../../src/model/datanet-source.js'
import {readPeftAdapter} from '../../src/lm/peft.js'
import {GRADIENT_STORE_FILE, readGradientStore} from '../../src/attribution/generative/store.js'
import {expectSchema} from '../helpers/json-schema.js'

const run = promisify(execFile)
const TSX = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href
const RUN = resolve('test/model/helpers/run-cli.ts')
const DATA = resolve('templates/chat-agent/data/capitals.jsonl')
let tmp: string
let env: NodeJS.ProcessEnv

async function cli(args: string[]) {
  try {
    const {stdout, stderr} = await run('nice', ['-n', '10', process.execPath, '--import', TSX, RUN, ...args], {
      cwd: tmp,
      env,
      timeout: 300_000,
    })
    return {code: 0, stdout, stderr}
  } catch (err) {
    const e = err as {code: number; stdout: string; stderr: string}
    return {code: e.code, stdout: e.stdout, stderr: e.stderr}
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ol-lm-cli-'))
  env = {
    ...process.env,
    OPENLEDGER_STATE_DIR: join(tmp, '.openledger'),
    OPENLEDGER_CACHE_DIR: join(tmp, 'cache'),
    OPENLEDGER_OFFLINE: '1',
    NO_COLOR: '1',
  }
  const stateDir = join(tmp, '.openledger')
  await createDatanet({name: 'capitals', stateDir})
  await addToDatanet({
    name: 'capitals',
    paths: [DATA],
    textField: 'prompt',
    contributor: '0x1111111111111111111111111111111111111111',
    stateDir,
  })
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

/** One training run's flags: the resume test must repeat exactly what the first run was given. */
const trainArgs = (out: string) => [
  'train',
  '--task',
  'generate',
  '--datanet',
  'capitals',
  '--allow-draft',
  '--epochs',
  '3',
  '--lr',
  '0.003',
  '--batch-size',
  '4',
  '--val-size',
  '6',
  '--cutoff-len',
  '48',
  '--device',
  'cpu',
  '--out',
  out,
]

describe('train --task generate, infer --prompt, export --format gguf', () => {
  let artifact: string

  it("trains a PEFT adapter whose held-out loss is below the base's, with progress lines on stderr", async () => {
    const out = join(tmp, 'adapter')
    const r = await cli([...trainArgs(out), '--json'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const res = JSON.parse(r.stdout)
    expectSchema('train', res)
    expect(res.task).toBe('generate')
    expect(res.device).toBe('cpu')
    expect(res.records).toMatchObject({total: 36, train: 30, val: 6})
    expect(res.metrics.bestValLoss).toBeLessThan(res.metrics.baseValLoss)
    expect(r.stderr).toMatch(/^train: device cpu/m)
    expect(r.stderr).toMatch(/tokens\/s · ETA/)
    expect(r.stderr).toMatch(/validation loss/)
    artifact = res.artifact
    expect(artifact).toBe(out)
    for (const f of ['adapter_config.json', 'adapter_model.safetensors', 'training.json', 'README.md', 'training-curve.svg'])
      expect(existsSync(join(out, f)), f).toBe(true)
    const adapter = readPeftAdapter(out, {baseDir: resolve('assets/lm/openledger-base')})
    expect(adapter.settings.targetModules).toEqual(['q_proj', 'v_proj'])
    const t = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'))
    expect(t).toMatchObject({
      kind: 'generate',
      format: 'prompt-response',
      datanet: {name: 'capitals', version: 'draft'},
      split: {train: 30, val: 6},
    })
    expect(t.base.sha256).toBe(adapter.settings.baseSha256)
    expect(t.records).toHaveLength(36)
    expect(t.records.filter((x: {split: string}) => x.split === 'val')).toHaveLength(6)
    expect(t.metrics.epochs.map((e: {epoch: number}) => e.epoch)).toEqual([1, 2, 3])
    // Per-record gradients for attributing generated text: every record, under every epoch's adapter.
    const store = readGradientStore(join(out, GRADIENT_STORE_FILE))
    expect(store.meta).toMatchObject({
      records: 36,
      answering: `epoch-${t.metrics.bestEpoch}`,
      baseSha256: t.base.sha256,
      projection: {dim: 64, seed: 42},
    })
    expect(store.meta.checkpoints.map((c) => c.name)).toEqual(['epoch-1', 'epoch-2', 'epoch-3'])
    for (const c of store.meta.checkpoints) expect(existsSync(join(out, 'checkpoints', c.name, 'adapter_model.safetensors'))).toBe(true)
  }, 300_000)

  it("--resume picks up the run's checkpoints: with every epoch done it trains nothing and writes the same adapter", async () => {
    const out = join(tmp, 'adapter')
    const r = await cli([...trainArgs(join(tmp, 'again')), '--resume', '--json'])
    expect(r.code, r.stderr).toBe(0)
    // Every epoch came from the checkpoints: nothing trained, so no step line was printed.
    expect(r.stderr).not.toMatch(/step \d+\//)
    const a = readFileSync(join(out, 'adapter_model.safetensors'))
    expect(readFileSync(join(tmp, 'again', 'adapter_model.safetensors')).equals(a)).toBe(true)
  }, 300_000)

  it('infer --prompt --json answers with text, tokens, finishReason and usage', async () => {
    const r = await cli(['infer', '--model', artifact, '--prompt', 'What is the capital of Italy?', '--max-tokens', '12', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const res = JSON.parse(r.stdout)
    expectSchema('infer', res)
    expect(typeof res.text).toBe('string')
    expect(res.tokens.length).toBeGreaterThan(0)
    expect(res.tokens.length).toBeLessThanOrEqual(12)
    expect(['stop', 'length']).toContain(res.finishReason)
    expect(res.usage.completionTokens).toBe(res.tokens.length)
    expect(res.usage.totalTokens).toBe(res.usage.promptTokens + res.usage.completionTokens)
    // Greedy decoding is deterministic, so a stop string cuts the same text just before it.
    const word = res.text.trim().split(/\s+/)[1]
    if (word) {
      const cut = JSON.parse(
        (
          await cli([
            'infer',
            '--model',
            artifact,
            '--prompt',
            'What is the capital of Italy?',
            '--max-tokens',
            '12',
            '--stop',
            word,
            '--json',
          ])
        ).stdout,
      )
      expect(cut.finishReason).toBe('stop')
      expect(cut.text).toBe(res.text.slice(0, res.text.indexOf(word)))
    }
  }, 300_000)

  it('infer --prompt --attribute: the memorised record answering the prompt is in the receipt, weights sum to 1e18', async () => {
    const prompt = 'What is the capital of Italy?'
    const r = await cli(['infer', '--model', artifact, '--prompt', prompt, '--max-tokens', '10', '--attribute', '--top-k', '5', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const res = JSON.parse(r.stdout)
    expectSchema('infer', res)
    const source = await loadDatanetSource({name: 'capitals', stateDir: join(tmp, '.openledger'), allowDraft: true})
    const italy = source.records.find((x) => x.fields.text === prompt)!
    expect(res.receipt.records.map((x: {recordHash: string}) => x.recordHash)).toContain(italy.recordHash)
    expect(res.receipt.contributors.reduce((a: bigint, x: {weight: string}) => a + BigInt(x.weight), 0n)).toBe(10n ** 18n)
    expect(res.receipt.outputHash).toMatch(/^0x[0-9a-f]{64}$/)
  }, 300_000)

  it('attribute self-influence scores every record of the adapter, highest first', async () => {
    const r = await cli(['attribute/self-influence', '--model', artifact, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const res = JSON.parse(r.stdout)
    expectSchema('attribute self-influence', res)
    expect(res).toMatchObject({task: 'generate', method: 'datainf'})
    expect(res.records).toHaveLength(36)
    expect(new Set(res.records.map((x: {index: number}) => x.index)).size).toBe(36)
    const s = res.records.map((x: {selfInfluence: number}) => x.selfInfluence)
    expect(s).toEqual([...s].sort((a: number, b: number) => b - a))
    expect(res.records.filter((x: {inTraining: boolean}) => !x.inTraining)).toHaveLength(6)
  }, 300_000)

  it('infer refuses a bad sampling flag with one line naming it', async () => {
    const r = await cli(['infer', '--model', artifact, '--prompt', 'hi', '--top-p', '1.5'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--top-p/)
  }, 300_000)

  it('export --format gguf writes the base and the adapter', async () => {
    const r = await cli(['export', '--format', 'gguf', '--model', artifact, '--out', join(tmp, 'gguf'), '--json'])
    expect(r.code, r.stderr).toBe(0)
    const res = JSON.parse(r.stdout)
    expectSchema('export', res)
    for (const p of [res.base.path, res.adapter.path]) {
      expect(readFileSync(p).subarray(0, 4).toString('latin1')).toBe('GGUF')
      expect(statSync(p).size).toBeGreaterThan(1000)
    }
  }, 300_000)
})
