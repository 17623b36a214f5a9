import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Chain, run, startChain, trainArtifact} from './helpers.js'
import InferCommand from '../../src/commands/infer.js'
import Rewards from '../../src/commands/rewards/index.js'
import RewardsClaim from '../../src/commands/rewards/claim.js'
import {resolveSigner} from '../../src/chain/context.js'
import {publishModel} from '../../src/publish/publish.js'
import {resolveModel} from '../../src/publish/resolve.js'
import {rewardBalances} from '../../src/protocol/rewards.js'
import {readContract} from '../../src/chain/contract.js'
import {expectSchema} from '../helpers/json-schema.js'

let c: Chain
let cid: string
let folder: string
const saved = process.env.OPENLEDGER_STATE_DIR

beforeAll(async () => {
  c = await startChain()
  process.env.OPENLEDGER_STATE_DIR = c.stateDir
  folder = await trainArtifact(join(c.dir, 'models', 'paid'), c.source, 7)
  cid = (await publishModel(await resolveSigner({}), {folder, name: 'paid-router'})).cid
})
afterAll(async () => {
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  await c?.cleanup()
})

describe('model references and paid inference', () => {
  it('resolves a folder, a CID and a registered name to the same artifact', async () => {
    expect((await resolveModel(folder)).via).toBe('folder')
    const byCid = await resolveModel(cid)
    expect(byCid).toMatchObject({via: 'cid', cid})
    expect(await resolveModel('paid-router')).toMatchObject({via: 'name', cid, path: byCid.path})
    await expect(resolveModel('nothing-here', {chain: false})).rejects.toMatchObject({code: 'E_CONTENT_NOT_FOUND'})
  })

  it('infer --pay settles the fee: the split adds up to it to the wei, the top contributor can claim', async () => {
    const fee = '0.123456789012345678'
    const r = await run(c.config, InferCommand, [
      '--model',
      'paid-router',
      '--text',
      'my card was charged twice',
      '--pay',
      '--fee',
      fee,
      '--method',
      'representer',
      '--json',
    ])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const wei = 123456789012345678n
    expectSchema('infer', r.json)
    const s = r.json.prediction.receipt.split
    // Once, in the receipt: not repeated at the top level.
    expect([r.json.split, r.json.txHash]).toEqual([undefined, undefined])
    expect(BigInt(s.platform) + BigInt(s.model) + BigInt(s.stakers) + BigInt(s.contributors)).toBe(wei)
    expect(r.json.prediction.receipt.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    const top = r.json.prediction.attribution.contributors[0].address
    const ctx = await resolveSigner({})
    const bal = await rewardBalances(ctx, {address: top})
    expect(bal.contributor).toBeGreaterThan(0n)
    const trail = await run(c.config, Rewards, ['--address', top, '--json'])
    expect(trail.exitCode, trail.stdout).toBe(0)
    expectSchema('rewards', trail.json)
    expect(BigInt(trail.json.contributor)).toBe(bal.contributor)
    expect(BigInt(trail.json.trail.earned)).toBe(bal.contributor)
    const recs = trail.json.trail.records
    expect(recs.length).toBeGreaterThan(0)
    expect(recs.reduce((a: bigint, x: {earned: string}) => a + BigInt(x.earned), 0n)).toBe(bal.contributor)
    expect(recs[0]).toMatchObject({
      datanet: 'tickets',
      acceptedIn: {version: 1},
      inferences: [{receiptId: '1', txHash: r.json.prediction.receipt.txHash, model: expect.stringMatching(/^bafy/)}],
    })
    // Checksummed, as every address printed: the same string as the account's.
    const idx = c.p.accounts.findIndex((a) => a.address === top)
    expect(idx).toBeGreaterThanOrEqual(0)
    const claim = await run(c.config, RewardsClaim, ['--account', String(idx), '--json'])
    expect(claim.exitCode, claim.stdout).toBe(0)
    expectSchema('rewards claim', claim.json)
    expect(BigInt(claim.json.total)).toBe(bal.contributor)
  })

  it('--pay with too little balance is a clear error and pays nothing', async () => {
    const ctx = await resolveSigner({})
    const before = await readContract(ctx, 'InferenceSettlement', 'receiptCount')
    const r = await run(c.config, InferCommand, [
      '--model',
      cid,
      '--text',
      'the parcel is late',
      '--pay',
      '--fee',
      '1000000',
      '--method',
      'representer',
      '--json',
    ])
    expect(r.exitCode).toBe(1)
    expectSchema('infer', r.json)
    expect(r.json.error).toMatchObject({code: 'E_PAYMENT'})
    expect(r.json.error.message).toMatch(/less than the fee 1000000 OPEN plus gas: nothing was paid/)
    expect(await readContract(ctx, 'InferenceSettlement', 'receiptCount')).toBe(before)
  })
})
