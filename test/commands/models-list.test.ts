/**
 * `models list`, in-process through oclif, against a real anvil with the protocol's contracts that
 * a devnet state file (OPENLEDGER_STATE_DIR) points at. Models are registered with ModelRegistry
 * directly; "published from this project" is read from publish journals, written here in the shape
 * `openledger publish` writes them.
 */
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {type Address, type Hex, getAddress, parseEventLogs} from 'viem'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import ModelsList from '../../src/commands/models/list.js'
import {writeContract} from '../../src/chain/contract.js'
import {DatanetRegistry, ModelRegistry} from '../../src/contracts/artifacts/index.js'
import {writeJsonAtomic} from '../../src/store/atomic.js'
import {type Protocol, startProtocol, writeProtocolDevnetState} from '../helpers/contracts.js'
import {type TempDir, tempDir} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'
import {runCommand} from '../helpers/run-command.js'

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..')
const CID_A = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'
const CID_B = 'bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const CID_C = 'bafybeie5gq4jxvzmsym6hjlwxej4rwdoxt7wadqvmmwbqi7r27fclha2va'
const CONFIG = `0x${'c0'.repeat(32)}` as Hex

let p: Protocol
let config: Config
let temp: TempDir
let stateDir: string
const saved = process.env.OPENLEDGER_STATE_DIR

const ROOT_1 = `0x${'d1'.repeat(32)}` as Hex
/** The lineage every version cites (a lineage may not be empty): datanet 1 version 1, published once. */
const LINEAGE = [{datanetId: 1n, version: 1, root: ROOT_1}]
let datanetPublished = false

/** Registers a model and its versions as `account`; returns its id. */
async function register(account: number, name: string, cids: string[]): Promise<bigint> {
  const ctx = p.signer(account)
  if (!datanetPublished) {
    await writeContract(p.signer(1), {contract: 'DatanetRegistry', functionName: 'createDatanet', args: ['tickets', '', 0]})
    const fee = await p.publicClient.readContract({
      address: p.addresses.DatanetRegistry,
      abi: DatanetRegistry.abi,
      functionName: 'versionFee',
      args: [1n],
    })
    await writeContract(p.signer(1), {
      contract: 'DatanetRegistry',
      functionName: 'publishVersion',
      args: [1n, ROOT_1, 1n, 1n, ''],
      value: fee,
    })
    datanetPublished = true
  }
  const {receipt} = await writeContract(ctx, {contract: 'ModelRegistry', functionName: 'registerModel', args: [name, 'minilm-l6']})
  const [ev] = parseEventLogs({abi: ModelRegistry.abi, logs: receipt.logs, eventName: 'ModelRegistered'})
  for (const cid of cids) {
    await writeContract(ctx, {contract: 'ModelRegistry', functionName: 'registerVersion', args: [ev.args.modelId, cid, CONFIG, LINEAGE]})
  }
  return ev.args.modelId
}

function journal(cid: string, name: string, chainId: number, registry: Address, modelId: bigint, version: number) {
  writeJsonAtomic(join(stateDir, 'publish', `${cid}.json`), {
    version: 1,
    cid,
    folder: join(stateDir, 'models', name),
    name,
    chain: {chainId, registry, account: p.accounts[0].address},
    steps: {
      stored: {at: '2026-01-01T00:00:00.000Z'},
      model: {modelId: modelId.toString(), txHash: null, at: '2026-01-01T00:00:00.000Z'},
      version: {version, txHash: null, at: '2026-01-01T00:00:00.000Z'},
    },
  })
}

beforeAll(async () => {
  p = await startProtocol()
  config = await Config.load({root: ROOT})
  temp = tempDir('openledger-models-')
  stateDir = temp.dir
  process.env.OPENLEDGER_STATE_DIR = stateDir
})
afterAll(async () => {
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  temp?.cleanup()
  await p?.stop()
})

const run = (argv: string[]) => runCommand(config, ModelsList, argv)

describe('models list', () => {
  it("lists this project's journals alone when no devnet runs", async () => {
    journal(CID_C, 'old-devnet-model', 999, p.addresses.ModelRegistry, 4n, 2)
    const r = await run(['--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expectSchema('models list', r.json)
    expect(r.json).toEqual({
      network: null,
      models: [
        {
          chainId: 999,
          registry: getAddress(p.addresses.ModelRegistry),
          modelId: '4',
          name: 'old-devnet-model',
          owner: null,
          baseModel: null,
          versions: [{version: 2, cid: CID_C, configHash: null, datanets: [], registeredAt: null}],
          onChain: false,
          publishedHere: true,
        },
      ],
    })
  })

  it("lists the network's registry, every version, marking what this project published", async () => {
    const a = await register(0, 'support-router', [CID_A, CID_B])
    const b = await register(2, 'someone-elses', [CID_B])
    journal(CID_B, 'support-router', p.chain.id, p.addresses.ModelRegistry, a, 2)
    writeProtocolDevnetState(p, stateDir)

    const r = await run(['--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expectSchema('models list', r.json)
    const registry = getAddress(p.addresses.ModelRegistry)
    expect(r.json.network).toEqual({name: 'devnet', chainId: p.chain.id, registry, modelCount: 2})
    expect(
      r.json.models.map((m: any) => [m.modelId, m.name, m.owner, m.onChain, m.publishedHere, m.versions.map((v: any) => v.cid)]),
    ).toEqual([
      [a.toString(), 'support-router', p.accounts[0].address, true, true, [CID_A, CID_B]],
      [b.toString(), 'someone-elses', p.accounts[2].address, true, false, [CID_B]],
      ['4', 'old-devnet-model', null, false, true, [CID_C]],
    ])
    const block = await p.publicClient.getBlock()
    expect(r.json.models[0].versions[0]).toMatchObject({
      version: 1,
      configHash: CONFIG,
      datanets: [{datanetId: '1', version: 1, root: ROOT_1}],
    })
    expect(BigInt(r.json.models[0].versions[0].registeredAt)).toBeLessThanOrEqual(block.timestamp)

    const human = await run([])
    expect(human.stdout.split('\n')).toEqual([
      `devnet (chain ${p.chain.id}), ModelRegistry ${registry}: 2 models`,
      `* #${a} support-router  base minilm-l6  owner ${p.accounts[0].address}`,
      `    v1  ${CID_A}  trained on datanet 1 v1`,
      `    v2  ${CID_B}  trained on datanet 1 v1`,
      `  #${b} someone-elses  base minilm-l6  owner ${p.accounts[2].address}`,
      `    v1  ${CID_B}  trained on datanet 1 v1`,
      "* #4 old-devnet-model  (chain 999, from this project's journal)",
      `    v2  ${CID_C}`,
      '* published from this project',
      '',
    ])
  })
})
