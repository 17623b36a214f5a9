import {appendFileSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {isProcessAlive} from '../../src/store/process.js'
import {type Project, expectSummaryShape, initProject} from './helpers.js'

describe('template text-classifier: init, then dev --once', () => {
  let p: Project
  beforeAll(async () => {
    p = await initProject('text-classifier')
  })
  afterAll(() => p.cleanup())

  it('a bad config is refused before anything runs: one line naming the JSON path, exit 2', async () => {
    const path = join(p.dir, 'openledger.config.json')
    const good = readFileSync(path, 'utf8')
    const bad = JSON.parse(good)
    bad.models[0].learning_rate = '0.002'
    writeFileSync(path, JSON.stringify(bad, null, 2))
    const r = await p.run(['dev', '--once'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr.trim()).toBe('Error: openledger.config.json: $.models[0].learning_rate must be a number')
    bad.models[0].learning_rate = 0.002
    bad.models[0].epochs = 3
    writeFileSync(path, JSON.stringify(bad, null, 2))
    const j = await p.run(['dev', '--once', '--json'])
    expect(j.exitCode).toBe(2)
    expect(j.json.error.message).toMatch(/^openledger\.config\.json: \$\.models\[0\]\.epochs is not a known key/)
    expect(existsSync(join(p.dir, '.openledger'))).toBe(false)
    writeFileSync(path, good)
  })

  it('first run: starts the devnet, publishes the datanet, trains and publishes the model', async () => {
    const r = await p.run(['dev', '--once', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    const s = r.json
    expectSummaryShape(s)
    expect(s.project).toBe('app')
    expect(s.devnet.started).toBe(true)
    expect(isProcessAlive(s.devnet.supervisorPid)).toBe(true)
    expect(s.datanets).toEqual([expect.objectContaining({name: 'support-tickets', version: 1, records: 320, added: 320, changed: true})])
    expect(s.models).toEqual([expect.objectContaining({name: 'ticket-router', datanet: 'support-tickets', trained: true, published: true})])
    expect(s.models[0].valAccuracy).toBeGreaterThan(0.6)
    expect(s.changed).toBe(true)
    // An absolute path, as in `train --json`.
    expect(s.models[0].artifact.startsWith(join(p.dir, '.openledger', 'models') + '/')).toBe(true)
    const training = JSON.parse(readFileSync(join(s.models[0].artifact, 'training.json'), 'utf8'))
    expect(training.datanet.root).toBe(s.datanets[0].root)
    expect(training.configHash).toBe(s.models[0].configHash)
    const state = JSON.parse(readFileSync(join(p.dir, '.openledger', 'dev-state.json'), 'utf8'))
    expect(state.models['ticket-router']).toMatchObject({
      root: s.datanets[0].root,
      configHash: s.models[0].configHash,
      cid: s.models[0].cid,
    })
  })

  it('second run with nothing changed: reuses the devnet, publishes and trains nothing, and says so', async () => {
    const r = await p.run(['dev', '--once', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    const s = r.json
    expect(s.devnet.started).toBe(false)
    expect(s.datanets).toEqual([expect.objectContaining({name: 'support-tickets', version: 1, added: 0, changed: false})])
    expect(s.models).toEqual([expect.objectContaining({name: 'ticket-router', trained: false, published: false})])
    expect(s.changed).toBe(false)
    const h = await p.run(['dev', '--once'])
    expect(h.exitCode, h.stderr).toBe(0)
    expect(h.stdout).toContain('Nothing changed: no datanet published, no model trained or published')
    expect(h.stderr).toContain('support-tickets: unchanged: version 1, 320 records')
    expect(h.stderr).toContain('ticket-router: unchanged: datanet root and config hash as before, not retrained')
  })

  it('a new row publishes version 2 and retrains; a config change retrains without a new version', async () => {
    appendFileSync(
      join(p.dir, 'data', 'tickets.jsonl'),
      JSON.stringify({text: 'The refund for my cancelled plan never reached my card.', label: 'billing'}) + '\n',
    )
    const a = await p.run(['dev', '--once', '--json'])
    expect(a.exitCode, a.stderr).toBe(0)
    expect(a.json.datanets[0]).toMatchObject({version: 2, records: 321, added: 1, changed: true})
    expect(a.json.models[0]).toMatchObject({trained: true, published: true})

    const path = join(p.dir, 'openledger.config.json')
    const config = JSON.parse(readFileSync(path, 'utf8'))
    config.models[0].seed = 8
    writeFileSync(path, JSON.stringify(config, null, 2))
    const b = await p.run(['dev', '--once', '--json'])
    expect(b.exitCode, b.stderr).toBe(0)
    expect(b.json.datanets[0]).toMatchObject({version: 2, changed: false})
    expect(b.json.models[0]).toMatchObject({trained: true, published: true})
    expect(b.json.models[0].configHash).not.toBe(a.json.models[0].configHash)
    expect(b.json.models[0].cid).not.toBe(a.json.models[0].cid)
  })

  it('after the devnet stops, the next run starts a fresh one and publishes everything again (nothing stale trusted)', async () => {
    expect((await p.run(['devnet', 'stop'])).exitCode).toBe(0)
    const r = await p.run(['dev', '--once', '--json'])
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(r.json.devnet.started).toBe(true)
    expect(r.json.datanets[0]).toMatchObject({changed: true, datanetId: '1'})
    // The artifact is still valid for the same root and config: published again, not retrained.
    expect(r.json.models[0]).toMatchObject({trained: false, published: true, modelId: '1'})
  })
})
