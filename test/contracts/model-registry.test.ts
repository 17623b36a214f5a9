import {type Hex, keccak256, parseEventLogs, toHex, zeroAddress} from 'viem'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {DatanetRegistry, ModelRegistry} from '../../src/contracts/artifacts/index.js'
import {type Protocol, expectRevert, send, startProtocol} from '../helpers/contracts.js'

const DATA_OWNER = 1
const MODEL_OWNER = 2
const STRANGER = 4
const ROOT_1 = keccak256(toHex('datanet 1 v1'))
const ROOT_2 = keccak256(toHex('datanet 2 v1'))
const CONFIG = keccak256(toHex('training config'))
const CID = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'

let p: Protocol
let snap: Hex

/** Two datanets with one published version each, shared by every test. */
beforeAll(async () => {
  p = await startProtocol()
  const registry = {address: p.addresses.DatanetRegistry, abi: DatanetRegistry.abi}
  for (const [name, root] of [
    ['support-tickets', ROOT_1],
    ['faq', ROOT_2],
  ] as const) {
    const receipt = await send(p, DATA_OWNER, {...registry, functionName: 'createDatanet', args: [name, 'ipfs://meta', 0]})
    const [{args}] = parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'DatanetCreated'})
    const fee = await p.publicClient.readContract({...registry, functionName: 'versionFee', args: [args.datanetId]})
    await send(p, DATA_OWNER, {
      ...registry,
      functionName: 'publishVersion',
      args: [args.datanetId, root, 10n, 1000n, 'ipfs://v1'],
      value: fee,
    })
  }
})
afterAll(async () => p?.stop())
beforeEach(async () => {
  snap = await p.snapshot()
})
afterEach(async () => p.revert(snap))

const models = () => ({address: p.addresses.ModelRegistry, abi: ModelRegistry.abi})
const addr = (i: number) => p.accounts[i].address
const register = (name = 'ticket-router', from = MODEL_OWNER) =>
  send(p, from, {...models(), functionName: 'registerModel', args: [name, 'wink-glove-100d']})
const refs = [
  {datanetId: 1n, version: 1, root: ROOT_1},
  {datanetId: 2n, version: 1, root: ROOT_2},
]
const registerVersion = (datanets = refs, from = MODEL_OWNER, modelId = 1n, cid = CID) =>
  send(p, from, {...models(), functionName: 'registerVersion', args: [modelId, cid, CONFIG, datanets]})

describe('ModelRegistry: models', () => {
  it('registers models with ids from 1 and unique names', async () => {
    const receipt = await register()
    expect(parseEventLogs({abi: ModelRegistry.abi, logs: receipt.logs, eventName: 'ModelRegistered'})[0].args).toEqual({
      modelId: 1n,
      owner: addr(MODEL_OWNER),
      name: 'ticket-router',
      baseModel: 'wink-glove-100d',
    })
    await register('second', STRANGER)
    const [owner, name, baseModel, versionCount, registeredAt] = await p.publicClient.readContract({
      ...models(),
      functionName: 'getModel',
      args: [1n],
    })
    expect([owner, name, baseModel, versionCount]).toEqual([addr(MODEL_OWNER), 'ticket-router', 'wink-glove-100d', 0])
    expect(registeredAt).toBeGreaterThan(0n)
    expect(await p.publicClient.readContract({...models(), functionName: 'modelIdByName', args: ['second']})).toBe(2n)
    expect(await p.publicClient.readContract({...models(), functionName: 'modelOwner', args: [2n]})).toBe(addr(STRANGER))
    expect(await p.publicClient.readContract({...models(), functionName: 'modelCount'})).toBe(2n)
  })

  it('refuses a taken name and an empty one', async () => {
    await register()
    await expectRevert(register('ticket-router', STRANGER), 'NameTaken', ['ticket-router', 1n])
    await expectRevert(register(''), 'EmptyName')
  })

  it('answers unknown models: zero from modelOwner and modelIdByName, an error from getModel', async () => {
    expect(await p.publicClient.readContract({...models(), functionName: 'modelOwner', args: [1n]})).toBe(zeroAddress)
    expect(await p.publicClient.readContract({...models(), functionName: 'modelIdByName', args: ['nope']})).toBe(0n)
    await expectRevert(p.publicClient.readContract({...models(), functionName: 'getModel', args: [1n]}), 'UnknownModel', [1n])
  })

  it('transfers ownership only from the owner', async () => {
    await register()
    await expectRevert(
      send(p, STRANGER, {...models(), functionName: 'transferModelOwnership', args: [1n, addr(STRANGER)]}),
      'NotModelOwner',
      [1n, addr(STRANGER)],
    )
    const receipt = await send(p, MODEL_OWNER, {...models(), functionName: 'transferModelOwnership', args: [1n, addr(STRANGER)]})
    expect(parseEventLogs({abi: ModelRegistry.abi, logs: receipt.logs, eventName: 'ModelOwnershipTransferred'})[0].args).toEqual({
      modelId: 1n,
      previousOwner: addr(MODEL_OWNER),
      newOwner: addr(STRANGER),
    })
    expect(await p.publicClient.readContract({...models(), functionName: 'modelOwner', args: [1n]})).toBe(addr(STRANGER))
    await expectRevert(registerVersion(refs, MODEL_OWNER), 'NotModelOwner')
  })
})

describe('ModelRegistry: versions', () => {
  it('records the artifact CID, config hash and the datanet versions, checked against their roots', async () => {
    await register()
    const receipt = await registerVersion()
    expect(parseEventLogs({abi: ModelRegistry.abi, logs: receipt.logs, eventName: 'ModelVersionRegistered'})[0].args).toEqual({
      modelId: 1n,
      version: 1,
      artifactCid: CID,
      configHash: CONFIG,
    })
    const perDatanet = parseEventLogs({abi: ModelRegistry.abi, logs: receipt.logs, eventName: 'ModelVersionDatanet'}).map((e) => e.args)
    expect(perDatanet).toEqual([
      {modelId: 1n, version: 1, datanetId: 1n, datanetVersion: 1, root: ROOT_1},
      {modelId: 1n, version: 1, datanetId: 2n, datanetVersion: 1, root: ROOT_2},
    ])
    const [cid, config, datanets, registeredAt] = await p.publicClient.readContract({
      ...models(),
      functionName: 'getModelVersion',
      args: [1n, 1],
    })
    expect([cid, config, datanets]).toEqual([CID, CONFIG, refs])
    expect(registeredAt).toBeGreaterThan(0n)

    await registerVersion([refs[0]], MODEL_OWNER, 1n, 'bafy-second')
    expect((await p.publicClient.readContract({...models(), functionName: 'getModel', args: [1n]}))[3]).toBe(2)
    expect((await p.publicClient.readContract({...models(), functionName: 'getModelVersion', args: [1n, 2]}))[2]).toEqual([refs[0]])
  })

  it('refuses a root that is not the published one, and an unpublished datanet version', async () => {
    await register()
    await expectRevert(registerVersion([{datanetId: 1n, version: 1, root: ROOT_2}]), 'DatanetRootMismatch', [1n, 1, ROOT_1, ROOT_2])
    await expectRevert(registerVersion([{datanetId: 1n, version: 2, root: ROOT_1}]), 'UnknownDatanetVersion', [1n, 2])
    await expectRevert(registerVersion([{datanetId: 9n, version: 1, root: ROOT_1}]), 'UnknownDatanetVersion', [9n, 1])
  })

  it('refuses a stranger, an unknown model and an empty CID', async () => {
    await register()
    await expectRevert(registerVersion(refs, STRANGER), 'NotModelOwner', [1n, addr(STRANGER)])
    await expectRevert(registerVersion(refs, MODEL_OWNER, 5n), 'UnknownModel', [5n])
    await expectRevert(registerVersion(refs, MODEL_OWNER, 1n, ''), 'EmptyArtifactCid')
    await expectRevert(p.publicClient.readContract({...models(), functionName: 'getModelVersion', args: [1n, 1]}), 'UnknownModelVersion', [
      1n,
      1,
    ])
  })

  it('refuses a version trained on no datanet', async () => {
    await register()
    await expectRevert(registerVersion([]), 'EmptyLineage')
    expect((await p.publicClient.readContract({...models(), functionName: 'getModel', args: [1n]}))[3]).toBe(0)
  })

  it('records whether the model owner might train on each datanet', async () => {
    const registry = {address: p.addresses.DatanetRegistry, abi: DatanetRegistry.abi}
    await register()
    const access = (version: number) => p.publicClient.readContract({...models(), functionName: 'lineageAccess', args: [1n, version]})
    const root = (version: number, index: bigint) =>
      p.publicClient.readContract({...models(), functionName: 'lineageRoot', args: [1n, version, index]})
    // Open datanets: licensed.
    await registerVersion()
    expect(await access(1)).toEqual([[true, true], true])
    expect(await root(1, 1n)).toEqual([ROOT_2, true])
    expect(await root(1, 2n)).toEqual([`0x${'0'.repeat(64)}`, false])
    // Datanet 2 restricted: registered all the same, recorded as not licensed.
    await send(p, DATA_OWNER, {...registry, functionName: 'setTrainingPolicy', args: [2n, true, 0n]})
    const receipt = await registerVersion()
    expect(parseEventLogs({abi: ModelRegistry.abi, logs: receipt.logs, eventName: 'DatanetAccessRecorded'}).map((e) => e.args)).toEqual([
      {modelId: 1n, version: 2, datanetId: 1n, licensed: true},
      {modelId: 1n, version: 2, datanetId: 2n, licensed: false},
    ])
    expect(await access(2)).toEqual([[true, false], false])
    expect(await root(2, 0n)).toEqual([ROOT_1, false])
    // Granted by the datanet's owner: the next version is licensed; the earlier record stays.
    await send(p, DATA_OWNER, {...registry, functionName: 'grantTraining', args: [2n, addr(MODEL_OWNER), true]})
    await registerVersion()
    expect(await access(3)).toEqual([[true, true], true])
    expect(await access(2)).toEqual([[true, false], false])
    await expectRevert(access(4), 'UnknownModelVersion', [1n, 4])
  })
})
