import fc from 'fast-check'
import {type Hex, keccak256, parseEther, parseEventLogs, toHex} from 'viem'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {Staking} from '../../src/contracts/artifacts/index.js'
import {type Protocol, advanceTime, chainTime, expectRevert, gasCost, send, useProtocol} from '../helpers/contracts.js'

const TREASURY = 8
const ADMIN = 0
const VALIDATOR = 0
const AGENT = 1
const SEVEN_DAYS = 7n * 24n * 3600n
const SLASHER_ROLE = keccak256(toHex('SLASHER_ROLE'))
const GOVERNANCE_ROLE = keccak256(toHex('GOVERNANCE_ROLE'))

const p = useProtocol({treasuryIndex: TREASURY})

const staking = () => ({address: p.addresses.Staking, abi: Staking.abi})
const addr = (i: number) => p.accounts[i].address
const stakeOf = (i: number) => p.publicClient.readContract({...staking(), functionName: 'stakeOf', args: [addr(i)]})
const rewardsOf = (i: number) => p.publicClient.readContract({...staking(), functionName: 'rewardsOf', args: [addr(i)]})
const balance = (address: `0x${string}`) => p.publicClient.getBalance({address})
const stake = (from: number, role: number, amount: bigint) =>
  send(p, from, {...staking(), functionName: 'stake', args: [role], value: amount})
const distribute = (from: number, amount: bigint) => send(p, from, {...staking(), functionName: 'distributeRewards', value: amount})

describe('Staking: stake', () => {
  it('locks the value sent, records the role and emits Staked', async () => {
    const receipt = await stake(1, AGENT, parseEther('10'))
    expect(await stakeOf(1)).toEqual([parseEther('10'), AGENT, 0n, 0n])
    expect(await balance(p.addresses.Staking)).toBe(parseEther('10'))
    expect(await p.publicClient.readContract({...staking(), functionName: 'totalStaked'})).toBe(parseEther('10'))
    const [event] = parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'Staked'})
    expect(event.args).toEqual({staker: addr(1), role: AGENT, amount: parseEther('10'), newStake: parseEther('10')})
  })

  it('adds to an existing stake of the same role', async () => {
    await stake(2, VALIDATOR, parseEther('1'))
    await stake(2, VALIDATOR, parseEther('2.5'))
    expect((await stakeOf(2))[0]).toBe(parseEther('3.5'))
  })

  it('refuses a second role, an unknown role and a zero amount', async () => {
    await stake(1, AGENT, parseEther('1'))
    await expectRevert(stake(1, VALIDATOR, parseEther('1')), 'RoleMismatch', [AGENT, VALIDATOR])
    await expectRevert(stake(2, 2, parseEther('1')), 'InvalidRole', [2])
    await expectRevert(stake(2, AGENT, 0n), 'ZeroAmount')
  })

  it('lets a fully withdrawn staker come back in another role', async () => {
    await stake(1, AGENT, parseEther('1'))
    await send(p, 1, {...staking(), functionName: 'requestWithdrawal', args: [parseEther('1')]})
    await advanceTime(p, Number(SEVEN_DAYS))
    await send(p, 1, {...staking(), functionName: 'completeWithdrawal'})
    await stake(1, VALIDATOR, parseEther('2'))
    expect(await stakeOf(1)).toEqual([parseEther('2'), VALIDATOR, 0n, 0n])
  })
})

describe('Staking: withdrawal with a cooldown', () => {
  it('moves stake into cooldown and unlocks it after the cooldown', async () => {
    await stake(1, AGENT, parseEther('10'))
    const request = await send(p, 1, {...staking(), functionName: 'requestWithdrawal', args: [parseEther('4')]})
    const requestedAt = (await p.publicClient.getBlock({blockNumber: request.blockNumber})).timestamp
    const [amount, role, pending, unlockTime] = await stakeOf(1)
    expect([amount, role, pending, unlockTime]).toEqual([parseEther('6'), AGENT, parseEther('4'), requestedAt + SEVEN_DAYS])
    expect(await p.publicClient.readContract({...staking(), functionName: 'totalStaked'})).toBe(parseEther('6'))
    const [event] = parseEventLogs({abi: Staking.abi, logs: request.logs, eventName: 'WithdrawalRequested'})
    expect(event.args).toMatchObject({staker: addr(1), amount: parseEther('4'), pendingWithdrawal: parseEther('4'), unlockTime})

    await expectRevert(send(p, 1, {...staking(), functionName: 'completeWithdrawal'}), 'CooldownNotPassed', [unlockTime])

    await advanceTime(p, Number(SEVEN_DAYS))
    const before = await balance(addr(1))
    const done = await send(p, 1, {...staking(), functionName: 'completeWithdrawal'})
    expect(await balance(addr(1))).toBe(before + parseEther('4') - gasCost(done))
    expect(await stakeOf(1)).toEqual([parseEther('6'), AGENT, 0n, 0n])
    const [completed] = parseEventLogs({abi: Staking.abi, logs: done.logs, eventName: 'WithdrawalCompleted'})
    expect(completed.args).toEqual({staker: addr(1), amount: parseEther('4')})

    await expectRevert(send(p, 1, {...staking(), functionName: 'completeWithdrawal'}), 'NoPendingWithdrawal')
  })

  it('restarts the cooldown when more is requested', async () => {
    await stake(1, AGENT, parseEther('10'))
    await send(p, 1, {...staking(), functionName: 'requestWithdrawal', args: [parseEther('1')]})
    await advanceTime(p, Number(SEVEN_DAYS) - 100)
    await send(p, 1, {...staking(), functionName: 'requestWithdrawal', args: [parseEther('2')]})
    await advanceTime(p, 200)
    const [, , pending, unlockTime] = await stakeOf(1)
    expect(pending).toBe(parseEther('3'))
    await expectRevert(send(p, 1, {...staking(), functionName: 'completeWithdrawal'}), 'CooldownNotPassed', [unlockTime])
  })

  it('refuses to withdraw more than the active stake, or nothing', async () => {
    await stake(1, AGENT, parseEther('1'))
    await expectRevert(send(p, 1, {...staking(), functionName: 'requestWithdrawal', args: [parseEther('2')]}), 'InsufficientStake', [
      parseEther('1'),
      parseEther('2'),
    ])
    await expectRevert(send(p, 1, {...staking(), functionName: 'requestWithdrawal', args: [0n]}), 'ZeroAmount')
    await expectRevert(send(p, 3, {...staking(), functionName: 'completeWithdrawal'}), 'NoPendingWithdrawal')
  })

  it('lets governance change the cooldown, within a year', async () => {
    const receipt = await send(p, ADMIN, {...staking(), functionName: 'setCooldown', args: [60n]})
    expect(parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'CooldownUpdated'})[0].args.cooldown).toBe(60n)
    await stake(1, AGENT, parseEther('1'))
    await send(p, 1, {...staking(), functionName: 'requestWithdrawal', args: [parseEther('1')]})
    await advanceTime(p, 61)
    await send(p, 1, {...staking(), functionName: 'completeWithdrawal'})
    expect(await stakeOf(1)).toEqual([0n, AGENT, 0n, 0n])

    await expectRevert(send(p, ADMIN, {...staking(), functionName: 'setCooldown', args: [366n * 24n * 3600n]}), 'CooldownTooLong')
    await expectRevert(send(p, 1, {...staking(), functionName: 'setCooldown', args: [0n]}), 'AccessControlUnauthorizedAccount', [
      addr(1),
      GOVERNANCE_ROLE,
    ])
  })
})

describe('Staking: slashing', () => {
  it('sends slashed stake to the treasury and records the evidence (10 staked, 4 slashed, 6 left)', async () => {
    await stake(1, AGENT, parseEther('10'))
    const treasuryBefore = await balance(addr(TREASURY))
    const receipt = await send(p, ADMIN, {...staking(), functionName: 'slash', args: [addr(1), parseEther('4'), 'ipfs://evidence']})
    expect(await stakeOf(1)).toEqual([parseEther('6'), AGENT, 0n, 0n])
    expect(await balance(addr(TREASURY))).toBe(treasuryBefore + parseEther('4'))
    expect(await balance(p.addresses.Staking)).toBe(parseEther('6'))
    const [event] = parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'Slashed'})
    expect(event.args).toEqual({staker: addr(1), amount: parseEther('4'), evidence: 'ipfs://evidence', slasher: addr(ADMIN)})
  })

  it('refuses an account without SLASHER_ROLE', async () => {
    await stake(1, AGENT, parseEther('10'))
    await expectRevert(
      send(p, 2, {...staking(), functionName: 'slash', args: [addr(1), parseEther('4'), 'x']}),
      'AccessControlUnauthorizedAccount',
      [addr(2), SLASHER_ROLE],
    )
    expect((await stakeOf(1))[0]).toBe(parseEther('10'))
  })

  it('reaches stake in cooldown once the active stake is gone, but no further', async () => {
    await stake(1, VALIDATOR, parseEther('5'))
    await send(p, 1, {...staking(), functionName: 'requestWithdrawal', args: [parseEther('3')]})
    await send(p, ADMIN, {...staking(), functionName: 'slash', args: [addr(1), parseEther('4'), 'double sign']})
    const [amount, , pending] = await stakeOf(1)
    expect([amount, pending]).toEqual([0n, parseEther('1')])
    await expectRevert(
      send(p, ADMIN, {...staking(), functionName: 'slash', args: [addr(1), parseEther('2'), 'again']}),
      'SlashExceedsStake',
      [parseEther('1'), parseEther('2')],
    )
    await expectRevert(send(p, ADMIN, {...staking(), functionName: 'slash', args: [addr(1), 0n, 'zero']}), 'ZeroAmount')
  })

  it('lets an admin grant the role to another slasher', async () => {
    await stake(1, AGENT, parseEther('2'))
    await send(p, ADMIN, {...staking(), functionName: 'grantRole', args: [SLASHER_ROLE, addr(2)]})
    await send(p, 2, {...staking(), functionName: 'slash', args: [addr(1), parseEther('1'), 'x']})
    expect((await stakeOf(1))[0]).toBe(parseEther('1'))
  })
})

describe('Staking: rewards', () => {
  it('shares rewards pro rata to active stake and pays them once', async () => {
    await stake(1, AGENT, parseEther('1'))
    await stake(2, VALIDATOR, parseEther('3'))
    await distribute(5, parseEther('2'))
    expect(await rewardsOf(1)).toBe(parseEther('0.5'))
    expect(await rewardsOf(2)).toBe(parseEther('1.5'))

    const before = await balance(addr(1))
    const receipt = await send(p, 1, {...staking(), functionName: 'claimRewards'})
    expect(await balance(addr(1))).toBe(before + parseEther('0.5') - gasCost(receipt))
    expect(parseEventLogs({abi: Staking.abi, logs: receipt.logs, eventName: 'RewardsClaimed'})[0].args).toEqual({
      staker: addr(1),
      amount: parseEther('0.5'),
    })
    expect(await rewardsOf(1)).toBe(0n)
    await expectRevert(send(p, 1, {...staking(), functionName: 'claimRewards'}), 'NothingToClaim')
  })

  it('pays a late staker only what came after it staked, and nothing on stake in cooldown', async () => {
    await stake(1, AGENT, parseEther('1'))
    await distribute(5, parseEther('1'))
    await stake(2, AGENT, parseEther('1'))
    await send(p, 1, {...staking(), functionName: 'requestWithdrawal', args: [parseEther('1')]})
    await distribute(5, parseEther('1'))
    expect(await rewardsOf(1)).toBe(parseEther('1'))
    expect(await rewardsOf(2)).toBe(parseEther('1'))
  })

  it('keeps rewards earned before a slash', async () => {
    await stake(1, AGENT, parseEther('2'))
    await distribute(5, parseEther('1'))
    await send(p, ADMIN, {...staking(), functionName: 'slash', args: [addr(1), parseEther('1'), 'x']})
    await distribute(5, parseEther('1'))
    expect(await rewardsOf(1)).toBe(parseEther('2'))
  })

  it('refuses rewards when nothing is staked, or no value', async () => {
    await expectRevert(distribute(5, parseEther('1')), 'NothingStaked')
    await stake(1, AGENT, parseEther('1'))
    await expectRevert(distribute(5, 0n), 'ZeroAmount')
  })

  it('carries rounding remainders forward so nothing is paid twice', async () => {
    await stake(1, AGENT, 3n)
    await stake(2, AGENT, 7n)
    for (let i = 0; i < 3; i++) await distribute(5, 1n)
    const paid = (await rewardsOf(1)) + (await rewardsOf(2))
    expect(paid).toBeLessThanOrEqual(3n)
    expect(paid).toBeGreaterThanOrEqual(1n)
  })
})

describe('Staking: governance', () => {
  it('moves the treasury only for governance', async () => {
    await send(p, ADMIN, {...staking(), functionName: 'setTreasury', args: [addr(7)]})
    expect(await p.publicClient.readContract({...staking(), functionName: 'treasury'})).toBe(addr(7))
    await expectRevert(send(p, 3, {...staking(), functionName: 'setTreasury', args: [addr(3)]}), 'AccessControlUnauthorizedAccount')
    await expectRevert(
      send(p, ADMIN, {...staking(), functionName: 'setTreasury', args: ['0x0000000000000000000000000000000000000000']}),
      'ZeroAddress',
    )
  })

  it('gives the admin every role at deployment and nobody else', async () => {
    for (const role of [SLASHER_ROLE, GOVERNANCE_ROLE]) {
      expect(await p.publicClient.readContract({...staking(), functionName: 'hasRole', args: [role, addr(ADMIN)]})).toBe(true)
      expect(await p.publicClient.readContract({...staking(), functionName: 'hasRole', args: [role, addr(1)]})).toBe(false)
    }
    expect(await chainTime(p)).toBeGreaterThan(0n)
  })
})

describe('Staking: properties', () => {
  // Three stakers stake and distributions arrive in a random order: each staker earns its pro-rata
  // share of every distribution, rounded down by at most a wei per distribution, and the
  // contract never owes more than it received.
  const stepArb = fc.oneof(
    fc.record({
      kind: fc.constant('stake' as const),
      who: fc.integer({min: 1, max: 3}),
      amount: fc.bigInt({min: 1n, max: parseEther('50')}),
    }),
    fc.record({kind: fc.constant('reward' as const), amount: fc.bigInt({min: 1n, max: parseEther('5')})}),
  )

  it('accrues rewards pro rata and never pays out more than it received', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, {minLength: 1, maxLength: 8}), async (steps) => {
        const id = await p.snapshot()
        try {
          const stakes = new Map<number, bigint>()
          // Exact expected rewards as fractions num / den per staker, kept with a common denominator per step.
          const expected = new Map<number, {num: bigint; den: bigint}>()
          let distributions = 0n
          let distributed = 0n
          for (const step of steps) {
            const total = [...stakes.values()].reduce((a, b) => a + b, 0n)
            if (step.kind === 'stake') {
              await stake(step.who, AGENT, step.amount)
              stakes.set(step.who, (stakes.get(step.who) ?? 0n) + step.amount)
            } else if (total > 0n) {
              await distribute(5, step.amount)
              distributions++
              distributed += step.amount
              for (const [who, s] of stakes) {
                const prev = expected.get(who) ?? {num: 0n, den: 1n}
                expected.set(who, {num: prev.num * total + step.amount * s * prev.den, den: prev.den * total})
              }
            }
          }
          let paid = 0n
          for (const [who, e] of expected) {
            const got = await rewardsOf(who)
            const exactFloor = e.num / e.den
            expect(got).toBeLessThanOrEqual(exactFloor)
            expect(exactFloor - got).toBeLessThanOrEqual(distributions)
            paid += got
          }
          expect(paid).toBeLessThanOrEqual(distributed)
        } finally {
          await p.revert(id)
        }
      }),
      {numRuns: 25},
    )
  })
})
