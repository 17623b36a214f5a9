// A LoRA adapter artifact goes through publish and verify as a classifier does: trained on a
// datanet version published on a real anvil devnet, registered with its lineage, then verified.
import {rmSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Chain, startChain} from '../publish/helpers.js'
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
  const r = await trainLmArtifact({source: c.source, hyperparameters: {num_train_epochs: 1, cutoff_len: 32, val_size: 2}, device: 'cpu', out: join(c.dir, 'models', 'lora')})
  adapter = r.artifact
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

  it('refuses a folder whose adapter weights are gone, naming the file', async () => {
    const ctx = await resolveSigner({})
    rmSync(join(adapter, 'adapter_model.safetensors'))
    await expect(publishModel(ctx, {folder: adapter})).rejects.toThrow(/adapter_model\.safetensors is missing/)
  })
})
