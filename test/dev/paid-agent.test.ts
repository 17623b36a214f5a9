import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Project, expectSummaryShape, initProject} from './helpers.js'
import {expectSchema} from '../helpers/json-schema.js'

describe('template paid-agent: init, then dev --once stakes for the agent once', () => {
  let p: Project
  beforeAll(async () => {
    p = await initProject('paid-agent')
  })
  afterAll(() => p.cleanup())

  it('first run: datanet, model and a 100 OPEN agent stake', async () => {
    const r = await p.run(['dev', '--once', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expectSummaryShape(r.json)
    expect(r.json.datanets).toEqual([expect.objectContaining({name: 'email-triage', version: 1, records: 280, changed: true})])
    expect(r.json.models).toEqual([expect.objectContaining({name: 'inbox-agent', trained: true, published: true})])
    const stake = 100n * 10n ** 18n
    expect(r.json.agent).toMatchObject({account: 2, staked: stake.toString(), deposited: stake.toString()})
    const status = await p.run(['stake', 'status', '--account', '2', '--json'])
    expect(status.exitCode, status.stderr).toBe(0)
    expectSchema('stake status', status.json)
    expect(status.json).toMatchObject({role: 'agent', staked: stake.toString()})
  })

  it('second run stakes, publishes and trains nothing', async () => {
    const r = await p.run(['dev', '--once', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.json.changed).toBe(false)
    expect(r.json.agent).toMatchObject({deposited: '0', staked: (100n * 10n ** 18n).toString()})
    expect(r.json.models[0]).toMatchObject({trained: false, published: false})
  })
})
