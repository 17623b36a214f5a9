// A LoRA adapter artifact goes through publish, verify and paid inference as a classifier does:
// trained on a datanet version published on a real anvil devnet, registered with its lineage,
// verified, then `infer --prompt --pay` settles a fee split by the generation's receipt.
import {rmSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Chain, run, startChain} from '../publish/helpers.js'
import {expectSchema} from '../helpers/json-schema.js'
import InferCommand from '../../src/commands/infer.js'
import {rewardBalances} from '../../src/protocol/rewards.js'
import {resolveSigner} from '../../src/chain/context.js'
import {trainLmArtifact} from '../../src/lm/artifact.js'
import {publishModel} from '../../src/publish/publish.js'
import {verifyModel} from '../../src/publish/verify.js'

let c: Chain
let adapter: string
const saved = process.env.OPENLEDGER_STATE_DIR

beforeAll(async () => {
  c = await startChain(4)
  process.env.OPENLEDGER_STATE_DIR = c.stateDir
  const r = await trainLmArtifact({
    source: c.source,
    hyperparameters: {num_train_epochs: 1, cutoff_len: 32, val_size: 2},
    device: 'cpu',
    out: join(c.dir, 'models', 'lora'),
  })
  adapter = r.artifact.path
})
afterAll(async () => {
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  await c?.cleanup()
})

describe('publish and verify a LoRA adapter artifact', () => {
  it('registers it with its datanet lineage and verifies every check', async () => {
    const ctx = await resolveSigner({})
    const p = await publishModel(ctx, {folder: adapter})
    expect(p.name).toBe(`${c.source.name}-lora`)
    expect(p.baseModel).toBe('openledger-base')
    expect(p.datanets).toEqual([expect.objectContaining({root: c.source.root})])
    const v = await verifyModel(ctx, {target: adapter})
    expect(v.checks.filter((x) => !x.ok)).toEqual([])
    expect(v.ok).toBe(true)
  })

  it("infer --prompt --pay settles the fee with the generation's receipt: the split adds up to it, a contributor is credited", async () => {
    const r = await run(c.config, InferCommand, [
      '--model',
      adapter,
      '--prompt',
      'my card',
      '--max-tokens',
      '6',
      '--device',
      'cpu',
      '--pay',
      '--fee',
      '0.5',
      '--top-k',
      '5',
      '--json',
    ])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expectSchema('infer', r.json)
    const receipt = r.json.receipt
    expect(receipt.contributors.reduce((a: bigint, x: {weight: string}) => a + BigInt(x.weight), 0n)).toBe(10n ** 18n)
    const s = receipt.split
    expect(BigInt(s.platform) + BigInt(s.model) + BigInt(s.stakers) + BigInt(s.contributors)).toBe(5n * 10n ** 17n)
    expect(receipt.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(receipt.model).toBe(r.json.cid)
    const ctx = await resolveSigner({})
    const credited = await rewardBalances(ctx, {address: receipt.contributors[0].address})
    expect(credited.contributor).toBeGreaterThan(0n)
  })

  it('refuses a folder whose adapter weights are gone, naming the file', async () => {
    const ctx = await resolveSigner({})
    rmSync(join(adapter, 'adapter_model.safetensors'))
    await expect(publishModel(ctx, {folder: adapter})).rejects.toThrow(/adapter_model\.safetensors is missing/)
  })
})
