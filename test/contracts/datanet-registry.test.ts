import {type Hex, keccak256, parseEther, parseEventLogs, toHex, zeroAddress} from 'viem'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {DatanetRegistry} from '../../src/contracts/artifacts/index.js'
import {type Protocol, expectRevert, gasCost, send, useProtocol} from '../helpers/contracts.js'

const TREASURY = 8
const ADMIN = 0
const OWNER = 1
const CURATOR = 2
const CONTRIBUTOR = 3
const STRANGER = 4
const TEXT = 0
const ROOT = keccak256(toHex('root v1'))
const CONTENT = keccak256(toHex('contribution'))
const GOVERNANCE_ROLE = keccak256(toHex('GOVERNANCE_ROLE'))

const p = useProtocol({treasuryIndex: TREASURY})

const registry = () => ({address: p.addresses.DatanetRegistry, abi: DatanetRegistry.abi})
const addr = (i: number) => p.accounts[i].address

const create = (from = OWNER, name = 'support-tickets') =>
  send(p, from, {...registry(), functionName: 'createDatanet', args: [name, 'ipfs://meta', TEXT]})
const submit = (datanetId = 1n, from = CONTRIBUTOR) =>
  send(p, from, {...registry(), functionName: 'submitContribution', args: [datanetId, CONTENT, 12n, 'ipfs://contribution']})
const review = (from: number, contributionId: bigint, approve: boolean, datanetId = 1n) =>
  send(p, from, {...registry(), functionName: 'reviewContribution', args: [datanetId, contributionId, approve]})
const fee = (datanetId = 1n) => p.publicClient.readContract({...registry(), functionName: 'versionFee', args: [datanetId]})
const publish = (from: number, value: bigint, root: Hex = ROOT, datanetId = 1n) =>
  send(p, from, {...registry(), functionName: 'publishVersion', args: [datanetId, root, 100n, 4096n, 'ipfs://v'], value})

describe('DatanetRegistry: datanets and curators', () => {
  it('creates datanets with ids from 1, owned by the sender', async () => {
    const receipt = await create()
    const [event] = parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'DatanetCreated'})
    expect(event.args).toEqual({datanetId: 1n, owner: addr(OWNER), name: 'support-tickets', metadataURI: 'ipfs://meta', modality: TEXT})
    await create(STRANGER, 'images')
    expect(await p.publicClient.readContract({...registry(), functionName: 'getDatanet', args: [1n]})).toEqual([
      addr(OWNER),
      'support-tickets',
      'ipfs://meta',
      TEXT,
      0,
    ])
    expect(await p.publicClient.readContract({...registry(), functionName: 'datanetCount'})).toBe(2n)
  })

  it('refuses an empty name, an unknown modality and an unknown datanet', async () => {
    await expectRevert(send(p, OWNER, {...registry(), functionName: 'createDatanet', args: ['', 'm', TEXT]}), 'EmptyName')
    await expectRevert(send(p, OWNER, {...registry(), functionName: 'createDatanet', args: ['x', 'm', 3]}), 'InvalidModality', [3])
    await expectRevert(p.publicClient.readContract({...registry(), functionName: 'getDatanet', args: [9n]}), 'UnknownDatanet', [9n])
  })

  it('lets only the owner set curators', async () => {
    await create()
    const receipt = await send(p, OWNER, {...registry(), functionName: 'setCurator', args: [1n, addr(CURATOR), true]})
    expect(parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'CuratorSet'})[0].args).toEqual({
      datanetId: 1n,
      curator: addr(CURATOR),
      enabled: true,
    })
    expect(await p.publicClient.readContract({...registry(), functionName: 'isCurator', args: [1n, addr(CURATOR)]})).toBe(true)
    await expectRevert(send(p, CURATOR, {...registry(), functionName: 'setCurator', args: [1n, addr(STRANGER), true]}), 'NotDatanetOwner', [
      1n,
      addr(CURATOR),
    ])
    await expectRevert(send(p, OWNER, {...registry(), functionName: 'setCurator', args: [2n, addr(CURATOR), true]}), 'UnknownDatanet')
    await expectRevert(send(p, OWNER, {...registry(), functionName: 'setCurator', args: [1n, zeroAddress, true]}), 'ZeroAddress')
    await send(p, OWNER, {...registry(), functionName: 'setCurator', args: [1n, addr(CURATOR), false]})
    expect(await p.publicClient.readContract({...registry(), functionName: 'isCurator', args: [1n, addr(CURATOR)]})).toBe(false)
  })
})

describe('DatanetRegistry: contributions', () => {
  it('records a contribution from anyone, pending, with ids from 1 per datanet', async () => {
    await create()
    const receipt = await submit()
    const [event] = parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'ContributionSubmitted'})
    expect(event.args).toEqual({
      datanetId: 1n,
      contributionId: 1n,
      contributor: addr(CONTRIBUTOR),
      contentRoot: CONTENT,
      recordCount: 12n,
      uri: 'ipfs://contribution',
    })
    const [contributor, contentRoot, recordCount, uri, status] = await p.publicClient.readContract({
      ...registry(),
      functionName: 'getContribution',
      args: [1n, 1n],
    })
    expect([contributor, contentRoot, recordCount, uri, status]).toEqual([addr(CONTRIBUTOR), CONTENT, 12n, 'ipfs://contribution', 0])
    await submit()
    expect(await p.publicClient.readContract({...registry(), functionName: 'contributionCount', args: [1n]})).toBe(2n)
  })

  it('refuses an empty root, zero records and an unknown datanet', async () => {
    await create()
    await expectRevert(
      send(p, CONTRIBUTOR, {...registry(), functionName: 'submitContribution', args: [1n, `0x${'0'.repeat(64)}`, 1n, 'u']}),
      'EmptyRoot',
    )
    await expectRevert(
      send(p, CONTRIBUTOR, {...registry(), functionName: 'submitContribution', args: [1n, CONTENT, 0n, 'u']}),
      'ZeroRecords',
    )
    await expectRevert(submit(5n), 'UnknownDatanet', [5n])
  })

  it('lets the owner or a curator approve or reject, once', async () => {
    await create()
    await send(p, OWNER, {...registry(), functionName: 'setCurator', args: [1n, addr(CURATOR), true]})
    await submit()
    await submit()
    const approved = await review(OWNER, 1n, true)
    expect(parseEventLogs({abi: DatanetRegistry.abi, logs: approved.logs, eventName: 'ContributionReviewed'})[0].args).toEqual({
      datanetId: 1n,
      contributionId: 1n,
      approved: true,
      reviewer: addr(OWNER),
    })
    await review(CURATOR, 2n, false)
    const status = async (id: bigint) =>
      (await p.publicClient.readContract({...registry(), functionName: 'getContribution', args: [1n, id]}))[4]
    expect([await status(1n), await status(2n)]).toEqual([1, 2])

    await expectRevert(review(CURATOR, 1n, false), 'ContributionAlreadyReviewed', [1n, 1n])
    await expectRevert(review(OWNER, 3n, true), 'UnknownContribution', [1n, 3n])
  })

  it('refuses a reviewer who is neither owner nor curator', async () => {
    await create()
    await submit()
    await expectRevert(review(STRANGER, 1n, true), 'NotOwnerOrCurator', [1n, addr(STRANGER)])
    await expectRevert(review(CONTRIBUTOR, 1n, true), 'NotOwnerOrCurator', [1n, addr(CONTRIBUTOR)])
  })
})

describe('DatanetRegistry: versions and the publish fee', () => {
  it('prices by base and the records of contributions approved since the last version, never by what is declared', async () => {
    await create()
    const [base, perRecord] = await Promise.all(
      (['baseFee', 'feePerRecord'] as const).map((functionName) => p.publicClient.readContract({...registry(), functionName})),
    )
    expect(await fee()).toBe(base)
    // Three contributions of 12 records: two approved (24 records), one rejected.
    for (let i = 0; i < 3; i++) await submit()
    await review(OWNER, 1n, true)
    await review(OWNER, 2n, true)
    await review(OWNER, 3n, false)
    expect(await p.publicClient.readContract({...registry(), functionName: 'unbilledRecords', args: [1n]})).toBe(24n)
    expect(await fee()).toBe(base + 24n * perRecord)
    // The declared record count and size (100 records, 4 KiB here) change nothing.
    await expectRevert(publish(OWNER, base + 24n * perRecord - 1n), 'InsufficientFee', [
      base + 24n * perRecord,
      base + 24n * perRecord - 1n,
    ])
    await publish(OWNER, base + 24n * perRecord)
    // Billed once: the next version pays the base again until more is approved.
    expect(await fee()).toBe(base)
    await submit()
    await review(OWNER, 4n, true)
    expect(await fee()).toBe(base + 12n * perRecord)
    await expectRevert(fee(9n), 'UnknownDatanet', [9n])
  })

  it('publishes immutable versions from 1, pays the treasury and refunds overpayment', async () => {
    await create()
    const price = await fee()
    const treasuryBefore = await p.publicClient.getBalance({address: addr(TREASURY)})
    const ownerBefore = await p.publicClient.getBalance({address: addr(OWNER)})
    const receipt = await publish(OWNER, price + parseEther('1'))
    expect(await p.publicClient.getBalance({address: addr(TREASURY)})).toBe(treasuryBefore + price)
    expect(await p.publicClient.getBalance({address: addr(OWNER)})).toBe(ownerBefore - price - gasCost(receipt))
    expect(await p.publicClient.getBalance({address: p.addresses.DatanetRegistry})).toBe(0n)

    const [published] = parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'VersionPublished'})
    expect(published.args).toEqual({datanetId: 1n, version: 1, root: ROOT, recordCount: 100n, byteSize: 4096n, metadataURI: 'ipfs://v'})
    const [paid] = parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'PublishFeePaid'})
    expect(paid.args).toEqual({datanetId: 1n, version: 1, payer: addr(OWNER), fee: price, treasury: addr(TREASURY)})

    const [root, recordCount, byteSize, uri, publishedAt] = await p.publicClient.readContract({
      ...registry(),
      functionName: 'getVersion',
      args: [1n, 1],
    })
    const block = await p.publicClient.getBlock({blockNumber: receipt.blockNumber})
    expect([root, recordCount, byteSize, uri, publishedAt]).toEqual([ROOT, 100n, 4096n, 'ipfs://v', block.timestamp])

    await send(p, OWNER, {...registry(), functionName: 'setCurator', args: [1n, addr(CURATOR), true]})
    const root2 = keccak256(toHex('root v2'))
    await publish(CURATOR, price, root2)
    expect((await p.publicClient.readContract({...registry(), functionName: 'getDatanet', args: [1n]}))[4]).toBe(2)
    expect(await p.publicClient.readContract({...registry(), functionName: 'versionRoot', args: [1n, 1]})).toBe(ROOT)
    expect(await p.publicClient.readContract({...registry(), functionName: 'versionRoot', args: [1n, 2]})).toBe(root2)
  })

  it('refuses too small a fee, a stranger, an empty root and zero records', async () => {
    await create()
    const price = await fee()
    await expectRevert(publish(OWNER, price - 1n), 'InsufficientFee', [price, price - 1n])
    await expectRevert(publish(STRANGER, price), 'NotOwnerOrCurator', [1n, addr(STRANGER)])
    await expectRevert(publish(OWNER, price, `0x${'0'.repeat(64)}`), 'EmptyRoot')
    await expectRevert(
      send(p, OWNER, {...registry(), functionName: 'publishVersion', args: [1n, ROOT, 0n, 1n, 'u'], value: price}),
      'ZeroRecords',
    )
    await expectRevert(publish(OWNER, price, ROOT, 7n), 'UnknownDatanet', [7n])
  })

  it('answers unknown versions with an error from getVersion and zero from versionRoot', async () => {
    await create()
    await expectRevert(p.publicClient.readContract({...registry(), functionName: 'getVersion', args: [1n, 1]}), 'UnknownVersion', [1n, 1])
    expect(await p.publicClient.readContract({...registry(), functionName: 'versionRoot', args: [1n, 1]})).toBe(`0x${'0'.repeat(64)}`)
  })

  it('lets only governance change the fee parameters and the treasury', async () => {
    const receipt = await send(p, ADMIN, {...registry(), functionName: 'setFeeParams', args: [1n, 3n]})
    expect(parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'FeeParamsUpdated'})[0].args).toEqual({
      baseFee: 1n,
      feePerRecord: 3n,
    })
    await create()
    await submit()
    await review(OWNER, 1n, true)
    expect(await fee()).toBe(1n + 12n * 3n)
    await expectRevert(send(p, OWNER, {...registry(), functionName: 'setFeeParams', args: [0n, 0n]}), 'AccessControlUnauthorizedAccount', [
      addr(OWNER),
      GOVERNANCE_ROLE,
    ])
    await send(p, ADMIN, {...registry(), functionName: 'setTreasury', args: [addr(7)]})
    expect(await p.publicClient.readContract({...registry(), functionName: 'treasury'})).toBe(addr(7))
    await expectRevert(
      send(p, OWNER, {...registry(), functionName: 'setTreasury', args: [addr(OWNER)]}),
      'AccessControlUnauthorizedAccount',
    )
  })

  it('publishes for free when governance sets every fee to zero', async () => {
    await send(p, ADMIN, {...registry(), functionName: 'setFeeParams', args: [0n, 0n]})
    await create()
    const receipt = await publish(OWNER, 0n)
    expect(parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'PublishFeePaid'})[0].args.fee).toBe(0n)
  })
})

describe('DatanetRegistry: training access', () => {
  const mayTrain = (account: number, datanetId = 1n) =>
    p.publicClient.readContract({...registry(), functionName: 'mayTrain', args: [datanetId, addr(account)]})
  const policy = (restricted: boolean, licenceFee: bigint, from = OWNER) =>
    send(p, from, {...registry(), functionName: 'setTrainingPolicy', args: [1n, restricted, licenceFee]})

  it('is open until the owner restricts it; then owner, curators and granted accounts may train', async () => {
    await create()
    expect(await mayTrain(STRANGER)).toBe(true)
    expect(await mayTrain(STRANGER, 5n)).toBe(false)
    await expectRevert(policy(true, 0n, STRANGER), 'NotDatanetOwner', [1n, addr(STRANGER)])
    await policy(true, 0n)
    expect(await p.publicClient.readContract({...registry(), functionName: 'trainingPolicy', args: [1n]})).toEqual([true, 0n])
    expect([await mayTrain(OWNER), await mayTrain(STRANGER), await mayTrain(CURATOR)]).toEqual([true, false, false])
    await send(p, OWNER, {...registry(), functionName: 'setCurator', args: [1n, addr(CURATOR), true]})
    expect(await mayTrain(CURATOR)).toBe(true)
    // No licence for sale at fee 0: only the owner grants.
    await expectRevert(
      send(p, STRANGER, {...registry(), functionName: 'buyTrainingLicence', args: [1n], value: parseEther('1')}),
      'NoLicenceForSale',
      [1n],
    )
    const receipt = await send(p, OWNER, {...registry(), functionName: 'grantTraining', args: [1n, addr(STRANGER), true]})
    expect(parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'TrainingGranted'})[0].args).toEqual({
      datanetId: 1n,
      account: addr(STRANGER),
      granted: true,
      feePaid: 0n,
    })
    expect(await mayTrain(STRANGER)).toBe(true)
    await send(p, OWNER, {...registry(), functionName: 'grantTraining', args: [1n, addr(STRANGER), false]})
    expect(await mayTrain(STRANGER)).toBe(false)
  })

  it('sells a licence at the owner’s fee, paid to the owner, the overpayment refunded', async () => {
    await create()
    const price = parseEther('0.5')
    await policy(true, price)
    await expectRevert(
      send(p, STRANGER, {...registry(), functionName: 'buyTrainingLicence', args: [1n], value: price - 1n}),
      'InsufficientFee',
      [price, price - 1n],
    )
    const [ownerBefore, buyerBefore] = await Promise.all([OWNER, STRANGER].map((i) => p.publicClient.getBalance({address: addr(i)})))
    const receipt = await send(p, STRANGER, {...registry(), functionName: 'buyTrainingLicence', args: [1n], value: parseEther('2')})
    expect(await p.publicClient.getBalance({address: addr(OWNER)})).toBe(ownerBefore + price)
    expect(await p.publicClient.getBalance({address: addr(STRANGER)})).toBe(buyerBefore - price - gasCost(receipt))
    expect(await mayTrain(STRANGER)).toBe(true)
    expect(await p.publicClient.getBalance({address: p.addresses.DatanetRegistry})).toBe(0n)
  })
})
