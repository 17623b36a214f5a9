/** Staking challenges: anyone challenges an agent's receipt; the slasher upholds (slash, part to the challenger) or dismisses. */
import {keccak256, parseEther, parseEventLogs, toHex} from 'viem'
import {describe, expect, it} from 'vitest'

import {Staking} from '../../src/contracts/artifacts/index.js'
import {expectRevert, gasCost, send, useProtocol} from '../helpers/contracts.js'

const SLASHER = 0
const AGENT = 2
const VALIDATOR = 3
const CHALLENGER = 4
const TREASURY = 8
const EVIDENCE = keccak256(toHex('recomputed attribution'))
const SLASHER_ROLE = keccak256(toHex('SLASHER_ROLE'))

const p = useProtocol({treasuryIndex: TREASURY})
const staking = () => ({address: p.addresses.Staking, abi: Staking.abi})
const addr = (i: number) => p.accounts[i].address
const balance = (i: number) => p.publicClient.getBalance({address: addr(i)})
const stake = (from: number, role: number, value = parseEther('10')) =>
  send(p, from, {...staking(), functionName: 'stake', args: [role], value})
const challenge = (agent = AGENT, receiptId = 7n, from = CHALLENGER) =>
  send(p, from, {...staking(), functionName: 'challenge', args: [addr(agent), receiptId, EVIDENCE, 'ipfs://evidence']})
const resolve = (id: bigint, upheld: boolean, amount: bigint, from = SLASHER) =>
  send(p, from, {...staking(), functionName: 'resolveChallenge', args: [id, upheld, amount]})

describe('Staking: challenges', () => {
  it('records a challenge against a staked agent; upheld, it slashes and pays the challenger half', async () => {
    await stake(AGENT, 1)
    const opened = await challenge()
    expect(parseEventLogs({abi: Staking.abi, logs: opened.logs, eventName: 'ChallengeOpened'})[0].args).toEqual({
      challengeId: 1n,
      agent: addr(AGENT),
      receiptId: 7n,
      challenger: addr(CHALLENGER),
      evidenceHash: EVIDENCE,
      evidence: 'ipfs://evidence',
    })
    const [challengerBefore, treasuryBefore] = [await balance(CHALLENGER), await balance(TREASURY)]
    const receipt = await resolve(1n, true, parseEther('4'))
    expect(parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'ChallengeResolved'})[0].args).toEqual({
      challengeId: 1n,
      upheld: true,
      slashed: parseEther('4'),
      toChallenger: parseEther('2'),
      slasher: addr(SLASHER),
    })
    expect(await balance(CHALLENGER)).toBe(challengerBefore + parseEther('2'))
    expect(await balance(TREASURY)).toBe(treasuryBefore + parseEther('2'))
    expect((await p.publicClient.readContract({...staking(), functionName: 'stakeOf', args: [addr(AGENT)]}))[0]).toBe(parseEther('6'))
    const c = await p.publicClient.readContract({...staking(), functionName: 'getChallenge', args: [1n]})
    expect(c.slice(0, 4)).toEqual([addr(CHALLENGER), addr(AGENT), 7n, 1])
    await expectRevert(resolve(1n, false, 0n), 'ChallengeClosed', [1n])
  })

  it('dismissed, it slashes nothing; a slash is capped at the stake', async () => {
    await stake(AGENT, 1)
    await challenge()
    await resolve(1n, false, parseEther('4'))
    expect((await p.publicClient.readContract({...staking(), functionName: 'stakeOf', args: [addr(AGENT)]}))[0]).toBe(parseEther('10'))
    expect((await p.publicClient.readContract({...staking(), functionName: 'getChallenge', args: [1n]}))[3]).toBe(2)
    await challenge()
    const before = await balance(CHALLENGER)
    await resolve(2n, true, parseEther('100'))
    expect(await balance(CHALLENGER)).toBe(before + parseEther('5'))
    expect((await p.publicClient.readContract({...staking(), functionName: 'stakeOf', args: [addr(AGENT)]}))[0]).toBe(0n)
  })

  it('refuses a challenge of a non-agent, an unknown challenge, and a ruling by anyone but the slasher', async () => {
    await stake(VALIDATOR, 0)
    await expectRevert(challenge(VALIDATOR), 'NotAnAgent', [addr(VALIDATOR)])
    await expectRevert(challenge(5), 'NotAnAgent', [addr(5)])
    await expectRevert(resolve(1n, true, 1n), 'UnknownChallenge', [1n])
    await stake(AGENT, 1)
    await challenge()
    await expectRevert(resolve(1n, true, 1n, CHALLENGER), 'AccessControlUnauthorizedAccount', [addr(CHALLENGER), SLASHER_ROLE])
  })

  it('lets governance set the challenger’s share, at most the whole', async () => {
    await send(p, SLASHER, {...staking(), functionName: 'setChallengerRewardBps', args: [10_000]})
    await expectRevert(send(p, SLASHER, {...staking(), functionName: 'setChallengerRewardBps', args: [10_001]}), 'InvalidBps', [10_001n])
    await stake(AGENT, 1)
    await challenge()
    const before = await balance(CHALLENGER)
    const receipt = await resolve(1n, true, parseEther('1'))
    expect(await balance(CHALLENGER)).toBe(before + parseEther('1'))
    expect(gasCost(receipt)).toBeGreaterThan(0n)
  })
})
