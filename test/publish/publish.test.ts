import {appendFileSync, cpSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {parseEventLogs} from 'viem'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Chain, run, startChain, trainArtifact} from './helpers.js'
import PublishCommand from '../../src/commands/publish.js'
import VerifyCommand from '../../src/commands/verify.js'
import {resolveSigner} from '../../src/chain/context.js'
import {ModelRegistry} from '../../src/contracts/artifacts/index.js'
import {folderCid} from '../../src/publish/cid.js'
import {journalPath, publishModel} from '../../src/publish/publish.js'
import {expectSchema} from '../helpers/json-schema.js'

let c: Chain
let modelA: string
let modelB: string
const saved = process.env.OPENLEDGER_STATE_DIR

beforeAll(async () => {
  c = await startChain()
  process.env.OPENLEDGER_STATE_DIR = c.stateDir
  modelA = await trainArtifact(join(c.dir, 'models', 'a'), c.source, 1)
  modelB = await trainArtifact(join(c.dir, 'models', 'b'), c.source, 2)
})
afterAll(async () => {
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  await c?.cleanup()
})

async function registryEvents() {
  const logs = await c.p.publicClient.getLogs({address: c.p.addresses.ModelRegistry, fromBlock: 0n})
  return {
    models: parseEventLogs({abi: ModelRegistry.abi, logs, eventName: 'ModelRegistered'}),
    versions: parseEventLogs({abi: ModelRegistry.abi, logs, eventName: 'ModelVersionRegistered'}),
    datanets: parseEventLogs({abi: ModelRegistry.abi, logs, eventName: 'ModelVersionDatanet'}),
  }
}

describe('publish', () => {
  it('refuses a folder that is not an artifact, naming what is missing, and sends nothing', async () => {
    const bad = join(c.dir, 'not-a-model')
    cpSync(modelA, bad, {recursive: true})
    rmSync(join(bad, 'model.safetensors'))
    const r = await run(c.config, PublishCommand, ['--model', bad, '--json'])
    expect(r.exitCode).toBe(2)
    expect(r.json.error.message).toMatch(/not a model artifact: model\.safetensors is missing/)
    expect((await registryEvents()).models).toHaveLength(0)
  })

  it('refuses a model whose datanet root is not on-chain before sending anything', async () => {
    const other = join(c.dir, 'models', 'unpublished')
    // A version 2 whose root was never published (a version is identified by its root).
    await trainArtifact(other, {...c.source, version: 2, root: `0x${'ab'.repeat(32)}`}, 3)
    const r = await run(c.config, PublishCommand, ['--model', other, '--json'])
    expect(r.exitCode).toBe(2)
    expect(r.json.error).toMatchObject({code: 'E_LINEAGE'})
    expect(r.json.error.message).toMatch(/datanet tickets \(id 1\) version 2 is not on-chain/)
    expect((await registryEvents()).models).toHaveLength(0)
  })

  it('stores the folder under its CID and registers model and version with the lineage', async () => {
    const r = await run(c.config, PublishCommand, ['--model', modelA, '--name', 'router', '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const cid = await folderCid(modelA)
    expectSchema('publish', r.json)
    expect(r.json).toMatchObject({cid, modelId: '1', version: 1, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), name: 'router'})
    const training = JSON.parse(readFileSync(join(modelA, 'training.json'), 'utf8'))
    const ev = await registryEvents()
    expect(ev.models.map((e) => e.args)).toEqual([
      {modelId: 1n, owner: c.p.accounts[0].address, name: 'router', baseModel: training.encoder.id},
    ])
    expect(ev.versions.map((e) => e.args)).toEqual([{modelId: 1n, version: 1, artifactCid: cid, configHash: training.configHash}])
    expect(ev.datanets.map((e) => e.args)).toEqual([
      {modelId: 1n, version: 1, datanetId: c.datanetId, datanetVersion: 1, root: c.source.root},
    ])
    expect(ev.versions[0].transactionHash).toBe(r.json.txHash)
  })

  it('running it again registers nothing more: the existing version is found', async () => {
    const r = await run(c.config, PublishCommand, ['--model', modelA, '--name', 'router', '--json'])
    expect(r.exitCode).toBe(0)
    expectSchema('publish', r.json)
    expect(r.json).toMatchObject({modelId: '1', version: 1, alreadyRegistered: true, did: []})
    expect(r.json.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    const ev = await registryEvents()
    expect(ev.models).toHaveLength(1)
    expect(ev.versions).toHaveLength(1)
  })

  it('resumes after an interruption following the model registration, without registering twice', async () => {
    const ctx = await resolveSigner({})
    const cid = await folderCid(modelB)
    await expect(
      publishModel(ctx, {
        folder: modelB,
        name: 'classifier-b',
        onStep: (s) => {
          if (s === 'model') throw new Error('interrupted')
        },
      }),
    ).rejects.toThrow('interrupted')
    const journal = JSON.parse(readFileSync(journalPath(cid, c.stateDir), 'utf8'))
    expect(journal.steps.model.modelId).toBe('2')
    expect(journal.steps.version).toBeUndefined()
    expect((await registryEvents()).versions).toHaveLength(1)

    const r = await run(c.config, PublishCommand, ['--model', modelB, '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.json).toMatchObject({cid, modelId: '2', version: 1, name: 'classifier-b', did: ['version']})
    const ev = await registryEvents()
    expect(ev.models.map((e) => e.args.name)).toEqual(['router', 'classifier-b'])
    expect(ev.versions.filter((e) => e.args.artifactCid === cid)).toHaveLength(1)
  })

  it('finishes from the chain alone when the journal is lost after a transaction', async () => {
    const cid = await folderCid(modelB)
    rmSync(journalPath(cid, c.stateDir))
    const r = await run(c.config, PublishCommand, ['--model', modelB, '--name', 'classifier-b', '--json'])
    expect(r.json).toMatchObject({modelId: '2', version: 1, alreadyRegistered: true})
    expect((await registryEvents()).versions).toHaveLength(2)
  })

  it('does not trust a journal the chain contradicts (a devnet restarted from its genesis)', async () => {
    const cid = await folderCid(modelB)
    const path = journalPath(cid, c.stateDir)
    const journal = JSON.parse(readFileSync(path, 'utf8'))
    // What a restarted devnet looks like to the journal: a model id that the chain does not have.
    journal.steps.model.modelId = '999'
    journal.steps.version.version = 7
    writeFileSync(path, JSON.stringify(journal))
    const r = await run(c.config, PublishCommand, ['--model', modelB, '--name', 'classifier-b', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.json).toMatchObject({modelId: '2', version: 1, alreadyRegistered: true})
    expect((await registryEvents()).models).toHaveLength(2)
  })

  it('a name owned by someone else is refused', async () => {
    const r = await run(c.config, PublishCommand, ['--model', modelA, '--name', 'router', '--account', '1', '--json'])
    expect(r.exitCode).toBe(2)
    expect(r.json.error.message).toMatch(/model name "router" is registered to/)
  })
})

describe('verify', () => {
  const verify = (args: string[]) => run(c.config, VerifyCommand, [...args, '--json'])

  it('passes the intact folder and the CID rebuilt from the store', async () => {
    const r = await verify([modelA])
    expect(r.exitCode, r.stdout).toBe(0)
    expect(r.json.ok).toBe(true)
    expectSchema('verify', r.json)
    expect(r.json.registered).toMatchObject([{modelId: '1', version: 1, name: 'router'}])
    expect(r.json.checks.map((x: {check: string}) => x.check)).toEqual([
      'cid',
      'artifact',
      'registry',
      'config-hash',
      'datanet-root',
      'lineage',
      'base-model',
    ])
    const cid = await folderCid(modelA)
    const s = await verify([cid])
    expect(s.exitCode).toBe(0)
    expect(s.json).toMatchObject({ok: true, cid, source: 'store'})
    expect((await verify([modelA, '--cid', cid])).exitCode).toBe(0)
  })

  function tampered(name: string, change: (dir: string) => void): string {
    const dir = join(c.dir, 'tampered', name)
    cpSync(modelA, dir, {recursive: true})
    change(dir)
    return dir
  }
  const flip = (path: string, at: (len: number) => number) => {
    const b = readFileSync(path)
    b[at(b.length)] ^= 0x01
    writeFileSync(path, b)
  }

  it.each([
    ['a byte in the weights', (d: string) => flip(join(d, 'model.safetensors'), (n) => n - 3), /model\.safetensors differs/],
    [
      'a byte in a checkpoint',
      (d: string) => flip(join(d, 'checkpoints', 'epoch-1.safetensors'), (n) => Math.floor(n / 2)),
      /checkpoints\/epoch-1\.safetensors differs/,
    ],
    ['a byte in training.json', (d: string) => flip(join(d, 'training.json'), (n) => n - 2), /training\.json differs/],
    ['an added file', (d: string) => writeFileSync(join(d, 'extra.txt'), 'x'), /extra\.txt added/],
    ['a removed file', (d: string) => rmSync(join(d, 'training-curve.svg')), /training-curve\.svg removed/],
    ['a byte in README.md', (d: string) => appendFileSync(join(d, 'README.md'), ' '), /README\.md differs/],
  ])('fails a copy with %s, exit 1, naming what differs', async (name, change, files) => {
    const dir = tampered(name.replace(/\W+/g, '-'), change)
    const plain = await verify([dir])
    expect(plain.exitCode).toBe(1)
    expectSchema('verify', plain.json)
    expect(plain.json.error.code).toBe('E_VERIFY_FAILED')
    expect(plain.json.error.message).toMatch(/registry: no ModelVersionRegistered event with CID/)
    const withCid = await verify([dir, '--cid', await folderCid(modelA)])
    expect(withCid.exitCode).toBe(1)
    expect(withCid.json.error.message).toMatch(/cid: CID is \S+, expected /)
    expect(withCid.json.error.message).toMatch(files)
  })

  it('catches a config hash that does not match training.json’s config even when it parses', async () => {
    const dir = tampered('config', (d) => {
      const t = JSON.parse(readFileSync(join(d, 'training.json'), 'utf8'))
      t.config.learning_rate = 0.5
      writeFileSync(join(d, 'training.json'), JSON.stringify(t, null, 2) + '\n')
    })
    const r = await verify([dir])
    expect(r.exitCode).toBe(1)
    expect(r.json.error.message).toMatch(/config-hash: training\.json's configHash 0x[0-9a-f]{64} is not the sha256 of its config/)
  })

  it('an unknown CID is a clear error', async () => {
    const r = await verify(['bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'])
    expect(r.exitCode).toBe(3)
    expect(r.json.error.message).toMatch(/is not in the local content store/)
  })
})
