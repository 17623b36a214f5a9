/**
 * Proof of Attribution end to end on a real anvil with a real trained and published model: an
 * honest agent's receipt is verified and a challenge of it is dismissed; an agent that settles a
 * forged attribution (all the weight moved to one real contributor: the proofs pass, the
 * attribution is a lie) is flagged by `attribute verify`, challenged with `stake challenge` and
 * slashed by `stake resolve`, part of it to the challenger.
 */
import {join} from 'node:path'

import {getAddress, parseEther} from 'viem'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Chain, run, startChain, trainArtifact} from '../publish/helpers.js'
import {WEIGHT_ONE} from '../../src/attribution/receipt.js'
import type {Receipt} from '../../src/attribution/receipt.js'
import {resolveSigner} from '../../src/chain/context.js'
import AttributeVerify from '../../src/commands/attribute/verify.js'
import StakeChallenge from '../../src/commands/stake/challenge.js'
import StakeResolve from '../../src/commands/stake/resolve.js'
import {loadModel, predict} from '../../src/model/infer.js'
import {deposit, stakeStatus} from '../../src/protocol/stake.js'
import {modelIdForCid, settleInferences} from '../../src/publish/pay.js'
import {publishModel} from '../../src/publish/publish.js'
import {attributeRows, predictedRows} from '../../src/serve/flow.js'
import {expectSchema} from '../helpers/json-schema.js'
import {cacheDir} from '../../src/store/paths.js'
import {existsSync, rmSync, writeFileSync} from 'node:fs'

const HONEST = 6
const FORGER = 7
const CHALLENGER = 8
const STAKE = parseEther('10')
const TEXT = 'my card was charged twice'

let c: Chain
let artifact: string
let cid: string
const receiptIds: {honest?: string; forged?: string} = {}
let forgedFile: string
const saved = process.env.OPENLEDGER_STATE_DIR

async function honestReceipt(): Promise<Receipt> {
  const model = await loadModel(artifact, {allowRemote: false})
  try {
    const {loadModelAttribution} = await import('../../src/attribution/from-model.js')
    const ma = await loadModelAttribution(model, {modelId: cid})
    const [p] = await attributeRows(ma, predictedRows(await predict(model, [TEXT]), [TEXT]), 'if', 20)
    await ma.matmul?.dispose()
    return p.receipt
  } finally {
    await model.dispose()
  }
}

beforeAll(async () => {
  c = await startChain()
  process.env.OPENLEDGER_STATE_DIR = c.stateDir
  const admin = await resolveSigner({})
  artifact = await trainArtifact(join(c.dir, 'models', 'router'), c.source, 7)
  cid = (await publishModel(admin, {folder: artifact, name: 'router'})).cid
  const modelId = await modelIdForCid(admin, cid)
  for (const i of [HONEST, FORGER]) await deposit(c.p.signer(i), {amount: STAKE, role: 'agent'})

  const honest = await honestReceipt()
  const [h] = await settleInferences(c.p.signer(HONEST), [{modelId, receipt: honest, fee: parseEther('0.01'), cid, artifact}], {
    stateDir: c.stateDir,
  })
  receiptIds.honest = h.receiptId
  // Forged: the weakest contributor named for the whole fee. Each contributor still has a record in
  // the datanet, so the contract's proofs pass: only recomputing the attribution shows the lie.
  const weakest = honest.contributors.at(-1)!
  expect(honest.contributors.length).toBeGreaterThan(1)
  const forged: Receipt = {...honest, contributors: [{address: weakest.address, weight: WEIGHT_ONE.toString()}]}
  const [f] = await settleInferences(c.p.signer(FORGER), [{modelId, receipt: forged, fee: parseEther('0.01'), cid, artifact}])
  receiptIds.forged = f.receiptId
  forgedFile = join(c.dir, 'forged-answer.json')
  writeFileSync(forgedFile, JSON.stringify({prediction: {receipt: {...forged, receiptId: f.receiptId, txHash: f.txHash}}}))
})
afterAll(async () => {
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  await c?.cleanup()
})

const staked = async (i: number) => (await stakeStatus(c.p.signer(0), {address: c.p.accounts[i].address})).staked

describe('attribute verify', () => {
  it('agrees with an honest receipt', async () => {
    const r = await run(c.config, AttributeVerify, [receiptIds.honest!, '--text', TEXT, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expectSchema('attribute verify', r.json)
    expect(r.json).toMatchObject({agree: true, reasons: [], agent: c.p.accounts[HONEST].address, cid})
    // Recomputed here as it was served: the same weights to the unit.
    for (const w of r.json.contributors) expect(w.difference).toBe('0')
  })

  it('agrees with it recomputed from the model state streamed from its file (threshold forced to 0)', async () => {
    // The factor only a streamed query makes (the cache outlives test runs: start without it).
    const factor = join(cacheDir(), 'attribution', `${cid.replace(/[^a-zA-Z0-9]/g, '_')}.streamed.hessian.safetensors`)
    rmSync(factor, {force: true})
    const before = process.env.OPENLEDGER_STREAM_STATE_BYTES
    process.env.OPENLEDGER_STREAM_STATE_BYTES = '0'
    try {
      const r = await run(c.config, AttributeVerify, [receiptIds.honest!, '--text', TEXT, '--json'])
      expect(r.exitCode, r.stdout + r.stderr).toBe(0)
      expect(r.json).toMatchObject({agree: true, reasons: []})
      for (const w of r.json.contributors) expect(w.difference).toBe('0')
    } finally {
      if (before === undefined) delete process.env.OPENLEDGER_STREAM_STATE_BYTES
      else process.env.OPENLEDGER_STREAM_STATE_BYTES = before
    }
    expect(existsSync(factor)).toBe(true)
  })

  it('flags a forged one, naming the weights that differ', async () => {
    const r = await run(c.config, AttributeVerify, [receiptIds.forged!, '--text', TEXT, '--receipt', forgedFile, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(r.json.agree).toBe(false)
    expect(r.json.agent).toBe(c.p.accounts[FORGER].address)
    expect(r.json.reasons.length).toBeGreaterThan(0)
  })

  it('refuses a receipt JSON that is not the one settled, and a text that is not the one answered', async () => {
    const wrongReceipt = await run(c.config, AttributeVerify, [receiptIds.honest!, '--text', TEXT, '--receipt', forgedFile])
    expect(wrongReceipt.exitCode).toBe(2)
    expect(wrongReceipt.stderr).toMatch(/not the settled response hash/)
    const wrongText = await run(c.config, AttributeVerify, [receiptIds.honest!, '--text', 'the parcel is late'])
    expect(wrongText.exitCode).toBe(2)
    expect(wrongText.stderr).toMatch(/not the one the receipt answered/)
  })
})

describe('stake challenge and stake resolve', () => {
  it('an honest agent: the challenge is refused, forced it is dismissed, and nothing is slashed', async () => {
    const refused = await run(c.config, StakeChallenge, [receiptIds.honest!, '--text', TEXT, '--account', String(CHALLENGER)])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toMatch(/agrees with the recomputation/)
    const forced = await run(c.config, StakeChallenge, [
      receiptIds.honest!,
      '--text',
      TEXT,
      '--account',
      String(CHALLENGER),
      '--force',
      '--json',
    ])
    expect(forced.exitCode, forced.stdout + forced.stderr).toBe(0)
    expectSchema('stake challenge', forced.json)
    const ruling = await run(c.config, StakeResolve, [forced.json.challengeId, '--json'])
    expect(ruling.exitCode, ruling.stdout + ruling.stderr).toBe(0)
    expectSchema('stake resolve', ruling.json)
    expect(ruling.json).toMatchObject({upheld: false, slashed: '0', agent: getAddress(c.p.accounts[HONEST].address)})
    expect(await staked(HONEST)).toBe(STAKE)
  })

  it('a forging agent is caught and slashed, half to the challenger', async () => {
    const challengerBefore = await c.p.publicClient.getBalance({address: c.p.accounts[CHALLENGER].address})
    const opened = await run(c.config, StakeChallenge, [
      receiptIds.forged!,
      '--text',
      TEXT,
      '--receipt',
      forgedFile,
      '--account',
      String(CHALLENGER),
      '--json',
    ])
    expect(opened.exitCode, opened.stdout + opened.stderr).toBe(0)
    expect(opened.json.agent).toBe(c.p.accounts[FORGER].address)
    const challengeCost = await c.p.publicClient.getTransactionReceipt({hash: opened.json.transactionHash})
    // Only the slasher rules.
    const stranger = await run(c.config, StakeResolve, [opened.json.challengeId, '--account', String(CHALLENGER)])
    expect(stranger.exitCode).not.toBe(0)
    const ruling = await run(c.config, StakeResolve, [opened.json.challengeId, '--json'])
    expect(ruling.exitCode, ruling.stdout + ruling.stderr).toBe(0)
    expect(ruling.json).toMatchObject({upheld: true, slashed: STAKE.toString(), toChallenger: (STAKE / 2n).toString()})
    expect(await staked(FORGER)).toBe(0n)
    expect(await staked(HONEST)).toBe(STAKE)
    const gas = challengeCost.gasUsed * challengeCost.effectiveGasPrice
    expect(await c.p.publicClient.getBalance({address: c.p.accounts[CHALLENGER].address})).toBe(challengerBefore - gas + STAKE / 2n)
    // Ruled once.
    const again = await run(c.config, StakeResolve, [opened.json.challengeId])
    expect(again.exitCode).toBe(2)
  })
})
