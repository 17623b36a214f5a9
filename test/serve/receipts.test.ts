// `serve` and `infer` run the same flow (src/serve/flow.ts): through the CLI, in two processes, the
// same model and text get byte-identical receipts, alone and in batches of different shapes.
import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {once} from 'node:events'
import {readdirSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/env.js'
import {addToDatanet, createDatanet} from '../../src/datanet/index.js'
import {DEFAULT_MODEL_CONFIG} from '../../src/model/config.js'
import {loadDatanetSource} from '../../src/model/datanet-source.js'
import {loadBuiltinEncoder} from '../../src/model/encoders/builtin.js'
import {trainModel} from '../../src/model/train.js'
import {CONTRIBUTORS, topicSource} from '../model/helpers/data.js'
import {expectSchema} from '../helpers/json-schema.js'

const execFileP = promisify(execFile)
const TSX = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href
const RUN = resolve('test/model/helpers/run-cli.ts')
const TEXTS = [
  'the storm swept across the coastal towns',
  'investors worried about bond yields',
  'the coach celebrated after the final match',
  'thick fog delayed flights over the city',
]

const tmp = tempDir('ol-receipts-')
let model: string
let serve: ChildProcess | undefined
let url: string
// Each process its own cache: neither reuses the other's embeddings or Hessian factor.
const env = (cache: string) => ({
  ...process.env,
  OPENLEDGER_STATE_DIR: join(tmp.dir, '.openledger'),
  OPENLEDGER_CACHE_DIR: join(tmp.dir, cache),
  OPENLEDGER_OFFLINE: '1',
  NO_COLOR: '1',
})

beforeAll(async () => {
  const stateDir = join(tmp.dir, '.openledger')
  await createDatanet({name: 'news', stateDir})
  writeFileSync(
    join(tmp.dir, 'news.jsonl'),
    topicSource(20)
      .records.map((r) => JSON.stringify({...r.fields, contributor: r.contributor}))
      .join('\n') + '\n',
  )
  await addToDatanet({name: 'news', paths: [join(tmp.dir, 'news.jsonl')], contributor: CONTRIBUTORS[0] as `0x${string}`, stateDir})
  const source = await loadDatanetSource({name: 'news', allowDraft: true, stateDir})
  const encoder = await loadBuiltinEncoder('cpu')
  model = join(tmp.dir, 'model')
  try {
    await trainModel({
      source,
      config: {...DEFAULT_MODEL_CONFIG, num_train_epochs: 4, learning_rate: 0.01, device: 'cpu'},
      out: model,
      encoder,
    })
  } finally {
    await encoder.dispose()
  }
  serve = spawn(process.execPath, ['--import', TSX, RUN, 'serve', '--port', '0', '--device', 'cpu', '--models', model], {
    cwd: tmp.dir,
    env: env('serve-cache'),
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  url = await new Promise<string>((resolveUrl, reject) => {
    serve!.stderr!.on('data', (c: Buffer) => {
      err += c.toString()
      const m = /Serving on (\S+)/.exec(err)
      if (m) resolveUrl(m[1])
    })
    serve!.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)))
  })
})

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    serve.kill('SIGTERM')
    await once(serve, 'exit')
  }
  tmp.cleanup()
})

async function infer(args: string[], opts: {cache?: string; env?: Record<string, string>} = {}) {
  const {stdout} = await execFileP(
    process.execPath,
    ['--import', TSX, RUN, 'infer', '--model', model, '--device', 'cpu', '--attribute', '--json', ...args],
    {cwd: tmp.dir, env: {...env(opts.cache ?? 'infer-cache'), ...opts.env}, timeout: 120_000},
  )
  const json = JSON.parse(stdout)
  expectSchema('infer', json)
  return json
}

async function post(text: string) {
  const res = await fetch(`${url}/v1/infer`, {method: 'POST', body: JSON.stringify({model, text, attribute: true})})
  expect(res.status).toBe(200)
  return (await res.json()) as {prediction: {receipt: unknown}}
}

describe('serve and infer give one receipt per text', () => {
  it('one text: the same prediction, attribution and receipt, byte for byte', async () => {
    const served = await post(TEXTS[0])
    const cli = await infer(['--text', TEXTS[0]])
    expect(JSON.stringify(served.prediction.receipt)).toBe(JSON.stringify(cli.prediction.receipt))
    expect(JSON.stringify(served.prediction)).toBe(JSON.stringify(cli.prediction))
    expect(cli.prediction.attribution.method).toBe('if')
    // Weights split over several contributors, so their low digits are tested.
    expect(cli.prediction.attribution.contributors.length).toBeGreaterThan(1)
  })

  it('each text alone and all at once (batches of other shapes) match infer --input over all texts', async () => {
    const input = join(tmp.dir, 'texts.jsonl')
    writeFileSync(input, TEXTS.map((t) => JSON.stringify(t)).join('\n') + '\n')
    const cli = (await infer(['--input', input])).predictions.map((p: {receipt: unknown}) => JSON.stringify(p.receipt))
    const alone = []
    for (const text of TEXTS) alone.push(await post(text))
    expect(alone.map((s) => JSON.stringify(s.prediction.receipt))).toEqual(cli)
    const together = await Promise.all(TEXTS.map(post))
    expect(together.map((s) => JSON.stringify(s.prediction.receipt))).toEqual(cli)
  })

  it('infer streaming the model state from its file (threshold forced to 0) gives the served receipts', async () => {
    const input = join(tmp.dir, 'texts-streamed.jsonl')
    writeFileSync(input, TEXTS.map((t) => JSON.stringify(t)).join('\n') + '\n')
    // A cache of its own: the first query builds the state file, then streams it.
    const streamed = {cache: 'stream-cache', env: {OPENLEDGER_STREAM_STATE_BYTES: '0'}}
    const cli = (await infer(['--input', input], streamed)).predictions.map((p: {receipt: unknown}) => JSON.stringify(p.receipt))
    const served = await Promise.all(TEXTS.map(post))
    expect(cli).toEqual(served.map((s) => JSON.stringify(s.prediction.receipt)))
    const one = await infer(['--text', TEXTS[1]], streamed)
    expect(JSON.stringify(one.prediction)).toBe(JSON.stringify((await post(TEXTS[1])).prediction))
    // The factor a streamed query makes, beside the state file: it did stream.
    expect(readdirSync(join(tmp.dir, 'stream-cache', 'attribution')).some((f) => f.endsWith('.streamed.hessian.safetensors'))).toBe(true)
    // TracIn cannot stream: one line naming it, the method that can, a usage exit code.
    const refused = await execFileP(
      process.execPath,
      ['--import', TSX, RUN, 'infer', '--model', model, '--device', 'cpu', '--attribute', '--method', 'tracin', '--text', TEXTS[0]],
      {cwd: tmp.dir, env: {...env('stream-cache'), ...streamed.env}, timeout: 120_000},
    ).then(
      () => undefined,
      (e: {code: number; stderr: string}) => e,
    )
    expect(refused?.code).toBe(2)
    const [line, hint] = refused!.stderr.trim().split('\n')
    expect(line).toMatch(/^Error: method tracin cannot stream this model's state \(\d+ records\)/)
    expect(hint).toContain('`--method if`')
  })
})
