import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Project, expectSummaryShape, initProject} from './helpers.js'
import {expectSchema} from '../helpers/json-schema.js'

describe('template community-datanet: init, dev --once, contributions, review, dev --once', () => {
  let p: Project
  beforeAll(async () => {
    p = await initProject('community-datanet')
  })
  afterAll(() => p.cleanup())

  it('first run publishes the seed set as version 1 and trains on it', async () => {
    const r = await p.run(['dev', '--once', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expectSummaryShape(r.json)
    expect(r.json.datanets).toEqual([expect.objectContaining({name: 'city-reports', version: 1, records: 160, changed: true})])
    expect(r.json.models).toEqual([expect.objectContaining({name: 'report-triage', trained: true, published: true})])
  })

  it('nothing changed: nothing published or trained', async () => {
    const r = await p.run(['dev', '--once', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.json.changed).toBe(false)
    expect(r.json.datanets[0]).toMatchObject({version: 1, changed: false})
    expect(r.json.models[0]).toMatchObject({trained: false, published: false})
  })

  it('two residents contribute, the owner approves one and rejects one: version 2 holds only the approved records', async () => {
    const c3 = await p.run(['datanet', 'contribute', 'city-reports', 'data/contributions/account-3.jsonl', '--account', '3', '--json'])
    expect(c3.exitCode, c3.stderr).toBe(0)
    const c4 = await p.run(['datanet', 'contribute', 'city-reports', 'data/contributions/account-4.jsonl', '--account', '4', '--json'])
    expect(c4.exitCode, c4.stderr).toBe(0)
    expectSchema('datanet contribute', c3.json)
    const review = await p.run([
      'datanet',
      'review',
      'city-reports',
      '--approve',
      c3.json.contributionId,
      '--reject',
      c4.json.contributionId,
      '--json',
    ])
    expectSchema('datanet review', review.json)
    expect(review.exitCode, review.stderr).toBe(0)

    const r = await p.run(['dev', '--once', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.json.datanets[0]).toMatchObject({
      name: 'city-reports',
      version: 2,
      records: 160 + c3.json.records,
      added: c3.json.records,
      changed: true,
    })
    expect(r.json.models[0]).toMatchObject({trained: true, published: true})

    const records = await p.run(['datanet', 'records', 'city-reports', '--json'])
    const byContributor = new Set(records.json.map((x: {contributor: string}) => x.contributor))
    expect(byContributor.has(c3.json.contributor)).toBe(true)
    expect(byContributor.has(c4.json.contributor)).toBe(false)
  })
})
