import {renameSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Chain, run, startChain, trainArtifact} from '../publish/helpers.js'
import AttributeSelfInfluence from '../../src/commands/attribute/self-influence.js'
import AttributeSpans from '../../src/commands/attribute/spans.js'
import {DatanetStore, datanetsDir} from '../../src/datanet/store.js'
import {expectSchema} from '../helpers/json-schema.js'

let c: Chain
const saved = process.env.OPENLEDGER_STATE_DIR

beforeAll(async () => {
  c = await startChain()
  process.env.OPENLEDGER_STATE_DIR = c.stateDir
})
afterAll(async () => {
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  await c?.cleanup()
})

describe('attribute spans', () => {
  it('builds the index of a published version once, then traces from the index alone', async () => {
    const record = c.source.records[5]
    const quote = String(record.fields.text)
    const argv = ['--datanet', 'tickets', '--text', `The answer was: ${quote}. That is all.`, '--json']
    const first = await run(c.config, AttributeSpans, argv)
    expect(first.exitCode).toBe(0)
    expectSchema('attribute spans', first.json)
    expect(first.json).toMatchObject({datanet: 'tickets', version: 1, method: 'spans', index: {built: true}})
    expect(first.json.records[0]).toMatchObject({recordHash: record.recordHash, contributor: record.contributor})
    expect(first.json.index.path).toMatch(/\.spans\.json$/)
    // The records themselves are gone: only the manifest and the index can answer now.
    const store = new DatanetStore('tickets', c.stateDir)
    const info = store.versionInfo(store.readManifest(), 1)
    const file = join(datanetsDir(c.stateDir), 'tickets', info.file)
    renameSync(file, `${file}.away`)
    try {
      const again = await run(c.config, AttributeSpans, argv)
      expect(again.exitCode).toBe(0)
      expect(again.json).toEqual({...first.json, index: {...first.json.index, built: false}})
    } finally {
      renameSync(`${file}.away`, file)
    }
  })
})

describe('attribute self-influence', () => {
  it('scores every training record, highest first', async () => {
    const model = await trainArtifact(join(c.dir, 'models', 'audit'), c.source)
    const r = await run(c.config, AttributeSelfInfluence, ['--model', model, '--json'])
    expect(r.json.error).toBeUndefined()
    expect(r.exitCode).toBe(0)
    expectSchema('attribute self-influence', r.json)
    expect(r.json.method).toBe('if')
    const scores = r.json.records.map((x: {selfInfluence: number}) => x.selfInfluence)
    expect(scores.length).toBeGreaterThan(0)
    expect([...scores].sort((a, b) => b - a)).toEqual(scores)
  })
})
