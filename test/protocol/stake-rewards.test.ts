import {type Hex, parseEther} from 'viem'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {InferenceSettlement} from '../../src/contracts/artifacts/index.js'
import type {OpenledgerError} from '../../src/errors.js'
import {parseAddress, parseOpen} from '../../src/chain/amounts.js'
import {claimRewards, rewardBalances} from '../../src/protocol/rewards.js'
import {completeWithdrawal, deposit, formatDuration, requestWithdrawal, slash, stakeStatus} from '../../src/protocol/stake.js'
import {WEIGHT_ONE} from '../../src/attribution/receipt.js'
import {splitFee} from '../../src/protocol/split.js'
import {publishLineage, provenSettlement} from '../contracts/lineage.js'
import {type Protocol, advanceTime, gasCost, send, useProtocol} from '../helpers/contracts.js'

const ADMIN = 0
const STAKER = 1
const STRANGER = 2
const CONTRIBUTOR = 3
const MODEL_OWNER = 4
const PAYER = 5
const TREASURY = 8

const p = useProtocol({treasuryIndex: TREASURY})

const addr = (i: number) => p.accounts[i].address

/** Runs `promise`, expecting an OpenledgerError; returns it for assertions. */
async function failure(promise: Promise<unknown>): Promise<OpenledgerError> {
  try {
    await promise
  } catch (err) {
    return err as OpenledgerError
  }
  throw new Error('expected a failure, but it succeeded')
}

describe('amounts and addresses', () => {
  it('parses whole and fractional OPEN into wei', () => {
    expect(parseOpen('10', 'amount')).toBe(parseEther('10'))
    expect(parseOpen('0.5', 'amount')).toBe(parseEther('0.5'))
    expect(parseOpen('0.000000000000000001', 'amount')).toBe(1n)
  })

  it('refuses what is not a positive amount, naming the argument', () => {
    for (const bad of ['', 'ten', '-1', '1e18', '1.', '0.0000000000000000001', '0', '0.0']) {
      let err: OpenledgerError | undefined
      try {
        parseOpen(bad, 'amount')
      } catch (e) {
        err = e as OpenledgerError
      }
      expect(err?.code, bad).toBe('E_USAGE')
      expect(err?.exitCode).toBe(2)
      expect(err?.shortMessage).toMatch(/^amount /)
    }
  })

  it('checksums addresses and refuses garbage', () => {
    expect(parseAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8', 'address')).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
    expect(() => parseAddress('0x1234', 'address')).toThrow(/address "0x1234" is not an address/)
  })

  it('formats waits for people', () => {
    expect(formatDuration(7n * 86_400n)).toBe('7d')
    expect(formatDuration(90_061n)).toBe('1d 1h 1m 1s')
    expect(formatDuration(0n)).toBe('0s')
  })
})

describe('split helpers', () => {
  it('conserve the fee', () => {
    const s = splitFee(1001n, [WEIGHT_ONE / 3n, WEIGHT_ONE - WEIGHT_ONE / 3n])
    expect(s.platform + s.modelOwner + s.stakers + s.contributors).toBe(1001n)
  })
})

describe('src/protocol/stake', () => {
  it('deposits, reports status, withdraws after the cooldown', async () => {
    const staker = p.signer(STAKER)
    const d = await deposit(staker, {amount: parseEther('10'), role: 'agent'})
    expect(d).toMatchObject({address: addr(STAKER), role: 'agent', amount: parseEther('10'), staked: parseEther('10')})

    const requested = await requestWithdrawal(staker, {amount: parseEther('4')})
    expect(requested.pendingWithdrawal).toBe(parseEther('4'))
    expect(requested.unlocksAt).toBe(new Date(Number(requested.unlockTime) * 1000).toISOString())

    const status = await stakeStatus(staker, {address: addr(STAKER)})
    expect(status).toMatchObject({staked: parseEther('6'), role: 'agent', pendingWithdrawal: parseEther('4'), withdrawable: false})
    expect(status.cooldownSeconds).toBe(7n * 86_400n)

    const early = await failure(completeWithdrawal(staker))
    expect(early.code).toBe('E_COOLDOWN')
    expect(early.shortMessage).toBe(`the withdrawal of 4 OPEN is still in cooldown: it unlocks at ${requested.unlocksAt} (in 7d)`)

    await advanceTime(p, 7 * 86_400)
    expect((await stakeStatus(staker, {address: addr(STAKER)})).withdrawable).toBe(true)
    const before = await p.publicClient.getBalance({address: addr(STAKER)})
    const done = await completeWithdrawal(staker)
    expect(done.amount).toBe(parseEther('4'))
    const receipt = await p.publicClient.getTransactionReceipt({hash: done.transactionHash})
    expect(await p.publicClient.getBalance({address: addr(STAKER)})).toBe(before + parseEther('4') - gasCost(receipt))

    const none = await failure(completeWithdrawal(staker))
    expect(none.code).toBe('E_NO_PENDING_WITHDRAWAL')
  })

  it('withdraws the whole active stake when no amount is given', async () => {
    await deposit(p.signer(STAKER), {amount: parseEther('3'), role: 'validator'})
    expect((await requestWithdrawal(p.signer(STAKER))).amount).toBe(parseEther('3'))
    expect((await failure(requestWithdrawal(p.signer(STAKER)))).code).toBe('E_NOTHING_STAKED')
  })

  it('reports nothing for an address that never staked', async () => {
    expect(await stakeStatus(p.signer(ADMIN), {address: addr(7)})).toMatchObject({
      staked: 0n,
      role: null,
      pendingWithdrawal: 0n,
      unlockTime: null,
      unlocksAt: null,
      withdrawable: false,
      rewards: 0n,
    })
  })

  it('explains a role mismatch and a withdrawal beyond the stake', async () => {
    await deposit(p.signer(STAKER), {amount: parseEther('1'), role: 'agent'})
    const mismatch = await failure(deposit(p.signer(STAKER), {amount: parseEther('1'), role: 'validator'}))
    expect([mismatch.code, mismatch.shortMessage]).toEqual([
      'E_ROLE_MISMATCH',
      `account ${addr(STAKER)} stakes as agent; withdraw everything before staking as validator`,
    ])
    const tooMuch = await failure(requestWithdrawal(p.signer(STAKER), {amount: parseEther('2')}))
    expect(tooMuch.shortMessage).toBe(`cannot withdraw 2 OPEN: account ${addr(STAKER)} has 1 OPEN staked`)
  })

  it('slashes from the admin, and refuses an account without SLASHER_ROLE in one line', async () => {
    await deposit(p.signer(STAKER), {amount: parseEther('10'), role: 'agent'})
    const refused = await failure(slash(p.signer(STRANGER), {staker: addr(STAKER), amount: parseEther('4'), evidence: 'ipfs://x'}))
    expect([refused.code, refused.name, refused.exitCode]).toEqual(['E_NOT_AUTHORIZED', 'NotAuthorizedError', 1])
    expect(refused.shortMessage).toBe(`account ${addr(STRANGER)} lacks SLASHER_ROLE on Staking`)

    const treasuryBefore = await p.publicClient.getBalance({address: addr(TREASURY)})
    const result = await slash(p.signer(ADMIN), {staker: addr(STAKER), amount: parseEther('4'), evidence: 'ipfs://x'})
    expect(result).toMatchObject({
      staker: addr(STAKER),
      amount: parseEther('4'),
      slasher: addr(ADMIN),
      treasury: addr(TREASURY),
      staked: parseEther('6'),
    })
    expect(await p.publicClient.getBalance({address: addr(TREASURY)})).toBe(treasuryBefore + parseEther('4'))
    expect((await stakeStatus(p.signer(ADMIN), {address: addr(STAKER)})).staked).toBe(parseEther('6'))

    const tooMuch = await failure(slash(p.signer(ADMIN), {staker: addr(STAKER), amount: parseEther('7'), evidence: 'x'}))
    expect(tooMuch.shortMessage).toBe(`cannot slash 7 OPEN: ${addr(STAKER)} has only 6 OPEN staked or in cooldown`)
    expect((await failure(slash(p.signer(ADMIN), {staker: addr(STAKER), amount: 1n, evidence: ' '}))).code).toBe('E_USAGE')
  })

  it('names missing funds instead of a raw RPC error', async () => {
    const err = await failure(deposit(p.signer(STAKER), {amount: parseEther('100000000'), role: 'agent'}))
    expect(err.code).toBe('E_INSUFFICIENT_FUNDS')
  })
})

describe('src/protocol/rewards', () => {
  it('shows balances by source and claims them all', async () => {
    await deposit(p.signer(CONTRIBUTOR), {amount: parseEther('1'), role: 'agent'})
    const lineage = await publishLineage(p, {datanetOwner: ADMIN, modelOwner: MODEL_OWNER, contributors: [addr(CONTRIBUTOR)], name: 'm'})
    await send(p, PAYER, {
      address: p.addresses.InferenceSettlement,
      abi: InferenceSettlement.abi,
      functionName: 'settle',
      args: [
        provenSettlement(lineage, {
          fee: parseEther('1'),
          contributors: [addr(CONTRIBUTOR)],
          weights: [WEIGHT_ONE],
          responseHash: `0x${'ab'.repeat(32)}`,
        }),
      ],
      value: parseEther('1'),
    })

    // The contributor is also the only staker: 50% as contributor, 20% as staker.
    expect(await rewardBalances(p.signer(ADMIN), {address: addr(CONTRIBUTOR)})).toEqual({
      address: addr(CONTRIBUTOR),
      contributor: parseEther('0.5'),
      modelOwner: 0n,
      platform: 0n,
      staker: parseEther('0.2'),
      total: parseEther('0.7'),
    })
    expect((await rewardBalances(p.signer(ADMIN), {address: addr(MODEL_OWNER)})).modelOwner).toBe(parseEther('0.2'))
    expect((await rewardBalances(p.signer(ADMIN), {address: addr(TREASURY)})).platform).toBe(parseEther('0.1'))

    const before = await p.publicClient.getBalance({address: addr(CONTRIBUTOR)})
    const claimed = await claimRewards(p.signer(CONTRIBUTOR))
    expect(claimed.total).toBe(parseEther('0.7'))
    expect(claimed.claims.map((c) => [c.source, c.amount])).toEqual([
      ['settlement', parseEther('0.5')],
      ['staking', parseEther('0.2')],
    ])
    let gas = 0n
    for (const c of claimed.claims) gas += gasCost(await p.publicClient.getTransactionReceipt({hash: c.transactionHash}))
    expect(await p.publicClient.getBalance({address: addr(CONTRIBUTOR)})).toBe(before + parseEther('0.7') - gas)

    const again = await failure(claimRewards(p.signer(CONTRIBUTOR)))
    expect([again.code, again.shortMessage]).toEqual(['E_NOTHING_TO_CLAIM', `account ${addr(CONTRIBUTOR)} has nothing to claim`])
  })
})
