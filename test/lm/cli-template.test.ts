// The chat-agent template end to end with the built CLI: init, dev --once (devnet, datanet
// published, LoRA adapter fine-tuned and published), then the published name answers --prompt.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Project, expectSummaryShape, initProject} from '../dev/helpers.js'

describe('template chat-agent: init, then dev --once', () => {
  let p: Project
  beforeAll(async () => {
    p = await initProject('chat-agent')
  })
  afterAll(() => p.cleanup())

  it('publishes the prompt/response datanet, fine-tunes and publishes the adapter, which answers by name', async () => {
    const r = await p.run(['dev', '--once', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    const s = r.json
    expectSummaryShape(s)
    expect(s.datanets).toEqual([expect.objectContaining({name: 'capitals-qa', version: 1, records: 36, changed: true})])
    expect(s.models).toEqual([expect.objectContaining({name: 'capitals-chat', datanet: 'capitals-qa', trained: true, published: true})])
    const training = JSON.parse(readFileSync(join(s.models[0].artifact, 'training.json'), 'utf8'))
    expect(training).toMatchObject({
      kind: 'generate',
      format: 'prompt-response',
      configHash: s.models[0].configHash,
      datanet: {root: s.datanets[0].root},
    })
    expect(training.metrics.bestValLoss).toBeLessThan(training.metrics.baseValLoss)

    const again = await p.run(['dev', '--once', '--json'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.json.models).toEqual([expect.objectContaining({name: 'capitals-chat', trained: false, published: false})])

    const answer = await p.run([
      'infer',
      '--model',
      'capitals-chat',
      '--prompt',
      'What is the capital of Peru?',
      '--max-tokens',
      '8',
      '--json',
    ])
    expect(answer.exitCode, answer.stderr).toBe(0)
    expect(answer.json).toMatchObject({finishReason: expect.stringMatching(/^(stop|length)$/), cid: s.models[0].cid})
    expect(answer.json.usage.completionTokens).toBe(answer.json.tokens.length)
  }, 600_000)
})
