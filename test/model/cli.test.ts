// End to end through the command classes in a child process (helpers/run-cli.ts, from src/):
// a real datanet (local draft, via src/datanet), `train`, `infer`, their output and exit codes.
import {execFile} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {addToDatanet, createDatanet} from '../../src/datanet/index.js'
import {loadDatanetSource} from '../../src/model/datanet-source.js'
import {CONTRIBUTORS, topicSource} from './helpers/data.js'
import {type TempDir, tempDir} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'

const run = promisify(execFile)
const TSX = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href
const RUN = resolve('test/model/helpers/run-cli.ts')
let tmp: string
let temp: TempDir
let env: NodeJS.ProcessEnv

async function cli(args: string[]) {
  try {
    const {stdout, stderr} = await run(process.execPath, ['--import', TSX, RUN, ...args], {cwd: tmp, env, timeout: 60_000})
    return {code: 0, stdout, stderr}
  } catch (err) {
    const e = err as {code: number; stdout: string; stderr: string}
    return {code: e.code, stdout: e.stdout, stderr: e.stderr}
  }
}

beforeAll(async () => {
  temp = tempDir('ol-cli-')
  tmp = temp.dir
  env = {
    ...process.env,
    OPENLEDGER_STATE_DIR: join(tmp, '.openledger'),
    OPENLEDGER_CACHE_DIR: join(tmp, 'cache'),
    OPENLEDGER_OFFLINE: '1',
    NO_COLOR: '1',
  }
  const stateDir = join(tmp, '.openledger')
  await createDatanet({name: 'news', stateDir})
  const rows = topicSource(30).records.map((r) => JSON.stringify(r.fields))
  writeFileSync(join(tmp, 'news.jsonl'), rows.join('\n') + '\n')
  await addToDatanet({name: 'news', paths: [join(tmp, 'news.jsonl')], contributor: CONTRIBUTORS[0] as `0x${string}`, stateDir})
})
afterAll(() => temp?.cleanup())

describe('train and infer commands', () => {
  let artifact: string

  it('refuses a draft datanet unless --allow-draft', async () => {
    await expect(loadDatanetSource({name: 'news', stateDir: join(tmp, '.openledger')})).rejects.toMatchObject({
      exitCode: expect.any(Number),
    })
    const r = await cli(['train', '--datanet', 'news', '--json'])
    expect(r.code).toBe(3)
    expectSchema('train', JSON.parse(r.stdout))
    const error = JSON.parse(r.stdout).error
    expect(error.message).toBe('datanet "news" has no published version to train on')
    expect(error.hints.join(' ')).toMatch(/--allow-draft/)
  })

  it('train --allow-draft --json prints artifact, metrics and device', async () => {
    const r = await cli([
      'train',
      '--datanet',
      'news',
      '--allow-draft',
      '--text-field',
      'text',
      '--label-field',
      'label',
      '--epochs',
      '8',
      '--lr',
      '0.01',
      '--device',
      'cpu',
      '--json',
      '--quiet',
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expectSchema('train', out)
    expect(out.device).toBe('cpu')
    expect(out.metrics.valAccuracy).toBeGreaterThan(0.7)
    expect(out.datanet).toMatchObject({name: 'news', version: 'draft', root: expect.stringMatching(/^0x[0-9a-f]{64}$/)})
    artifact = out.artifact
    expect(artifact.startsWith(join(tmp, '.openledger', 'models', 'news-vdraft-'))).toBe(true)
  })

  it('infer --text and --input give labels with probabilities, in input order', async () => {
    const one = await cli(['infer', '--model', artifact, '--text', 'the storm swept across the coastal towns', '--json'])
    expect(one.code).toBe(0)
    expectSchema('infer', JSON.parse(one.stdout))
    const p = JSON.parse(one.stdout).prediction
    expect(p.label).toBe('weather')
    expect(Object.keys(p.probabilities).sort()).toEqual(['finance', 'sports', 'weather'])
    const input = join(tmp, 'held-out.jsonl')
    writeFileSync(
      input,
      [
        {text: 'investors worried about bond yields'},
        'the coach celebrated after the final match',
        {text: 'thick fog delayed flights over the city'},
      ]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    )
    const many = await cli(['infer', '--model', artifact, '--input', input, '--json'])
    expect(many.code).toBe(0)
    expectSchema('infer', JSON.parse(many.stdout))
    expect(JSON.parse(many.stdout).predictions.map((x: {label: string}) => x.label)).toEqual(['finance', 'sports', 'weather'])
  })

  it('errors are one line with a non-zero exit: unknown datanet, missing device, corrupt artifact', async () => {
    const none = await cli(['train', '--datanet', 'nosuch', '--allow-draft'])
    expect(none.code).not.toBe(0)
    expect(none.stderr.trim().split('\n')[0]).toMatch(/^Error: .*nosuch/)
    const cuda = await cli(['train', '--datanet', 'news', '--allow-draft', '--device', 'cuda', '--out', join(tmp, 'cuda-model'), '--json'])
    expect(cuda.code).toBe(2)
    expect(JSON.parse(cuda.stdout).error.message).toMatch(/^--device cuda is not available on this machine/)
    const bad = join(tmp, 'not-a-model')
    rmSync(bad, {recursive: true, force: true})
    mkdirSync(bad)
    writeFileSync(join(bad, 'config.json'), 'nope')
    const corrupt = await cli(['infer', '--model', bad, '--text', 'x'])
    expect(corrupt.code).toBe(3)
    expect(corrupt.stderr.split('\n')[0]).toBe(`Error: ${join(bad, 'config.json')} is corrupt: not valid JSON`)
  })
})
