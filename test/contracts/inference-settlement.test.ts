import fc from 'fast-check'
import {type Address, type Hex, keccak256, parseEther, parseEventLogs, toHex, zeroAddress} from 'viem'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {InferenceSettlement, ModelRegistry, Staking} from '../../src/contracts/artifacts/index.js'
import {WEIGHT_ONE} from '../../src/attribution/receipt.js'
import {DEFAULT_SPLIT_BPS, type SplitBps, splitFee} from '../../src/protocol/split.js'
import {type Protocol, expectRevert, gasCost, revertOf, send, useProtocol} from '../helpers/contracts.js'
import {type Lineage, provenSettlement, publishLineage} from './lineage.js'

const ADMIN = 0
const CONTRIBUTOR_A = 1
const MODEL_OWNER = 2
const CONTRIBUTOR_B = 3
const PAYER = 5
const STAKER = 6
const TREASURY = 8
const MODEL_ID = 1n
const RESPONSE = keccak256(toHex('my card was charged twice → billing'))
const GOVERNANCE_ROLE = keccak256(toHex('GOVERNANCE_ROLE'))

const p = useProtocol({treasuryIndex: TREASURY})
let lineage: Lineage

/** Deterministic fresh addresses: every one starts with no balance in the contract. */
const freshAddresses = (n: number, salt: string): Address[] =>
  Array.from({length: n}, (_, i) => `0x${keccak256(toHex(`${salt}/${i}`)).slice(26)}` as Address)

beforeAll(async () => {
  await send(p, MODEL_OWNER, {
    address: p.addresses.ModelRegistry,
    abi: ModelRegistry.abi,
    functionName: 'registerModel',
    args: ['router', 'glove'],
  })
  // Every address a test pays is a contributor of the model's datanet, with two records.
  const contributors = [
    ...p.accounts.slice(1).map((a) => a.address),
    ...freshAddresses(3, 'dust'),
    ...[2, 4, 8].flatMap((k) => freshAddresses(k, `gas-${k}`)),
    ...freshAddresses(257, 'many'),
    ...freshAddresses(6, 'not-whole'),
  ]
  lineage = await publishLineage(p, {
    datanetOwner: CONTRIBUTOR_A,
    modelOwner: MODEL_OWNER,
    contributors,
    name: 'tickets',
    modelId: MODEL_ID,
  })
})

const settlement = () => ({address: p.addresses.InferenceSettlement, abi: InferenceSettlement.abi})
const addr = (i: number) => p.accounts[i].address
const balance = (address: Address) => p.publicClient.getBalance({address})
const balancesOf = (address: Address) => p.publicClient.readContract({...settlement(), functionName: 'balancesOf', args: [address]})
const claimable = (address: Address) => p.publicClient.readContract({...settlement(), functionName: 'claimable', args: [address]})
const settle = (fee: bigint, contributors: readonly Address[], weights: readonly bigint[], modelId = MODEL_ID, from = PAYER) =>
  send(p, from, {
    ...settlement(),
    functionName: 'settle',
    args: [provenSettlement(lineage, {fee, contributors, weights, responseHash: RESPONSE, modelId})],
    value: fee,
  })
const stake = (amount: bigint, from = STAKER) =>
  send(p, from, {address: p.addresses.Staking, abi: Staking.abi, functionName: 'stake', args: [0], value: amount})
const setSplit = (bps: SplitBps, from = ADMIN) =>
  send(p, from, {
    ...settlement(),
    functionName: 'setSplit',
    args: [Number(bps.platform), Number(bps.modelOwner), Number(bps.stakers), Number(bps.contributors)],
  })

/** Positive integer scores scaled to weights summing to exactly WEIGHT_ONE (remainder to the first). */
function toWeights(scores: readonly number[]): bigint[] {
  const total = scores.reduce((a, b) => a + BigInt(b), 0n)
  const weights = scores.map((s) => (BigInt(s) * WEIGHT_ONE) / total)
  weights[0] += WEIGHT_ONE - weights.reduce((a, b) => a + b, 0n)
  return weights
}

function settledEvent(logs: Parameters<typeof parseEventLogs>[0]['logs']) {
  return parseEventLogs({abi: InferenceSettlement.abi, logs, eventName: 'InferenceSettled'})[0].args
}

describe('InferenceSettlement: settle', () => {
  it('splits 10/20/20/50 by default, contributors by weight, and emits the receipt', async () => {
    await stake(parseEther('1'))
    const fee = parseEther('1')
    const contributors = [addr(CONTRIBUTOR_A), addr(CONTRIBUTOR_B)]
    const weights = [parseEther('0.75'), parseEther('0.25')]
    const stakingBefore = await balance(p.addresses.Staking)
    const receipt = await settle(fee, contributors, weights)

    expect(settledEvent(receipt.logs)).toEqual({
      receiptId: 1n,
      modelId: MODEL_ID,
      payer: addr(PAYER),
      responseHash: RESPONSE,
      fee,
      platformAmount: parseEther('0.1'),
      modelAmount: parseEther('0.2'),
      stakersAmount: parseEther('0.2'),
      contributorsAmount: parseEther('0.5'),
    })
    const credited = parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'ContributorCredited'}).map((e) => e.args)
    expect(credited).toEqual([
      {receiptId: 1n, contributor: addr(CONTRIBUTOR_A), amount: parseEther('0.375')},
      {receiptId: 1n, contributor: addr(CONTRIBUTOR_B), amount: parseEther('0.125')},
    ])
    expect(await balancesOf(addr(CONTRIBUTOR_A))).toEqual([parseEther('0.375'), 0n, 0n])
    expect(await balancesOf(addr(MODEL_OWNER))).toEqual([0n, parseEther('0.2'), 0n])
    expect(await balancesOf(addr(TREASURY))).toEqual([0n, 0n, parseEther('0.1')])
    expect(await balance(p.addresses.Staking)).toBe(stakingBefore + parseEther('0.2'))
    expect(
      await p.publicClient.readContract({address: p.addresses.Staking, abi: Staking.abi, functionName: 'rewardsOf', args: [addr(STAKER)]}),
    ).toBe(parseEther('0.2'))
    expect(await balance(p.addresses.InferenceSettlement)).toBe(parseEther('0.8'))
    expect(await p.publicClient.readContract({...settlement(), functionName: 'receiptCount'})).toBe(1n)
  })

  it('gives the stakers’ share to the platform when nothing is staked', async () => {
    const receipt = await settle(parseEther('1'), [addr(CONTRIBUTOR_A)], [WEIGHT_ONE])
    const event = settledEvent(receipt.logs)
    expect([event.platformAmount, event.stakersAmount]).toEqual([parseEther('0.3'), 0n])
    expect(await balance(p.addresses.Staking)).toBe(0n)
    expect(await balance(p.addresses.InferenceSettlement)).toBe(parseEther('1'))
  })

  it('gives every rounding remainder to the platform', async () => {
    await stake(parseEther('1'))
    // 7 wei: model owner 20% → 1, stakers 20% → 1, contributors 50% → 3, of which each third
    // rounds down to 0, 0 and 1 (the last weight is a hair larger); the platform takes 7-1-1-1 = 4.
    const third = WEIGHT_ONE / 3n
    const receipt = await settle(7n, freshAddresses(3, 'dust'), [third, third, WEIGHT_ONE - 2n * third])
    const e = settledEvent(receipt.logs)
    expect([e.platformAmount, e.modelAmount, e.stakersAmount, e.contributorsAmount]).toEqual([4n, 1n, 1n, 1n])
  })

  it('credits a contributor listed twice with both amounts', async () => {
    await settle(1000n, [addr(CONTRIBUTOR_A), addr(CONTRIBUTOR_A)], [WEIGHT_ONE / 2n, WEIGHT_ONE / 2n])
    expect((await balancesOf(addr(CONTRIBUTOR_A)))[0]).toBe(500n)
  })

  it('costs gas per contributor paid, the same for each', async () => {
    const gasFor = async (k: number) => {
      const receipt = await settle(parseEther('1'), freshAddresses(k, `gas-${k}`), toWeights(Array(k).fill(1)))
      return receipt.gasUsed
    }
    // First write the counters and the model owner's and treasury's balances, which any later
    // settlement only updates: what remains to grow is the contributors' part.
    await settle(parseEther('1'), [addr(CONTRIBUTOR_A)], [WEIGHT_ONE])
    const [g2, g4, g8] = [await gasFor(2), await gasFor(4), await gasFor(8)]
    const perContributorSmall = (g4 - g2) / 2n
    const perContributorLarge = (g8 - g4) / 4n
    expect(perContributorSmall).toBeGreaterThan(20_000n) // a fresh balance slot is written per contributor
    const drift =
      perContributorLarge > perContributorSmall ? perContributorLarge - perContributorSmall : perContributorSmall - perContributorLarge
    expect(drift).toBeLessThan(300n)
  })
})

describe('InferenceSettlement: settleBatch', () => {
  const batch = (items: Array<{fee: bigint; contributors: Address[]; weights: bigint[]; modelId?: bigint}>, value: bigint) =>
    send(p, PAYER, {
      ...settlement(),
      functionName: 'settleBatch',
      args: [items.map((i) => provenSettlement(lineage, {...i, responseHash: RESPONSE, modelId: i.modelId ?? MODEL_ID}))],
      value,
    })

  it('settles each inference as settle would, with its own receipt, in one transaction', async () => {
    await stake(parseEther('1'))
    const stakingBefore = await balance(p.addresses.Staking)
    const items = [
      {fee: parseEther('1'), contributors: [addr(CONTRIBUTOR_A), addr(CONTRIBUTOR_B)], weights: [parseEther('0.75'), parseEther('0.25')]},
      {fee: 333n, contributors: [addr(CONTRIBUTOR_B)], weights: [WEIGHT_ONE]},
    ]
    const receipt = await batch(items, parseEther('1') + 333n)
    const settled = parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'InferenceSettled'}).map((e) => e.args)
    expect(settled.map((e) => e.receiptId)).toEqual([1n, 2n])
    for (const [k, e] of settled.entries()) {
      expect(e.fee).toBe(items[k].fee)
      expect(e.platformAmount + e.modelAmount + e.stakersAmount + e.contributorsAmount).toBe(items[k].fee)
    }
    // 333 wei: model 66, stakers 66, contributors 166, platform the rest (35).
    expect(settled[1]).toMatchObject({modelAmount: 66n, stakersAmount: 66n, contributorsAmount: 166n, platformAmount: 35n})
    expect(await balancesOf(addr(CONTRIBUTOR_B))).toEqual([parseEther('0.125') + 166n, 0n, 0n])
    expect(await balance(p.addresses.Staking)).toBe(stakingBefore + parseEther('0.2') + 66n)
    expect(await p.publicClient.readContract({...settlement(), functionName: 'receiptCount'})).toBe(2n)
  })

  it('refuses a value that is not the sum of the fees, an empty batch, and any bad item', async () => {
    const one = {fee: 10n, contributors: [addr(CONTRIBUTOR_A)], weights: [WEIGHT_ONE]}
    await expectRevert(batch([one, one], 21n), 'BatchValueMismatch')
    await expectRevert(batch([], 0n), 'EmptyBatch')
    await expectRevert(batch([one, {...one, modelId: 99n}], 20n), 'UnknownModel')
    expect(await p.publicClient.readContract({...settlement(), functionName: 'receiptCount'})).toBe(0n)
  })
})

describe('InferenceSettlement: settle refuses', () => {
  const one = () => [addr(CONTRIBUTOR_A)]
  it('a zero fee', async () => {
    await expectRevert(settle(0n, one(), [WEIGHT_ONE]), 'ZeroFee')
  })
  it('an unknown model', async () => {
    await expectRevert(settle(1n, one(), [WEIGHT_ONE], 42n), 'UnknownModel', [42n])
  })
  it('contributors and weights of different lengths', async () => {
    await expectRevert(settle(1n, one(), [WEIGHT_ONE, 1n]), 'LengthMismatch', [1n, 2n])
  })
  it('a zero weight or one above the whole', async () => {
    await expectRevert(settle(1n, [addr(1), addr(3)], [WEIGHT_ONE, 0n]), 'BadWeight', [1n, 0n])
    await expectRevert(settle(1n, [addr(1), addr(3)], [WEIGHT_ONE + 1n, 1n]), 'BadWeight', [0n, WEIGHT_ONE + 1n])
  })
  it('weights that do not sum to the whole', async () => {
    await expectRevert(settle(1n, [addr(1), addr(3)], [WEIGHT_ONE / 2n, WEIGHT_ONE / 2n - 1n]), 'WeightsNotWhole', [
      WEIGHT_ONE - 1n,
      WEIGHT_ONE,
    ])
    await expectRevert(settle(1n, [addr(1), addr(3)], [WEIGHT_ONE, 1n]), 'WeightsNotWhole', [WEIGHT_ONE + 1n, WEIGHT_ONE])
    await expectRevert(settle(1n, [], []), 'WeightsNotWhole', [0n, WEIGHT_ONE])
  })
  it('the zero address as a contributor', async () => {
    // Proven for a real contributor, then renamed: the attribution check refuses before the proofs.
    const s = {
      ...provenSettlement(lineage, {fee: 1n, contributors: one(), weights: [WEIGHT_ONE], responseHash: RESPONSE}),
      contributors: [zeroAddress],
    }
    await expectRevert(send(p, PAYER, {...settlement(), functionName: 'settle', args: [s], value: 1n}), 'ZeroContributor', [0n])
  })
  it('more contributors than MAX_CONTRIBUTORS', async () => {
    const n = 257
    await expectRevert(settle(1n, freshAddresses(n, 'many'), toWeights(Array(n).fill(1))), 'TooManyContributors', [257n, 256n])
  })
})

describe('InferenceSettlement: claim', () => {
  it('pays out what each party is owed, once', async () => {
    await settle(parseEther('2'), [addr(CONTRIBUTOR_A)], [WEIGHT_ONE])
    for (const [who, owed] of [
      [CONTRIBUTOR_A, parseEther('1')],
      [MODEL_OWNER, parseEther('0.4')],
      [TREASURY, parseEther('0.6')],
    ] as const) {
      expect(await claimable(addr(who))).toBe(owed)
      const before = await balance(addr(who))
      const receipt = await send(p, who, {...settlement(), functionName: 'claim'})
      expect(await balance(addr(who))).toBe(before + owed - gasCost(receipt))
      expect(parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'Claimed'})[0].args).toEqual({
        account: addr(who),
        amount: owed,
      })
      expect(await claimable(addr(who))).toBe(0n)
      await expectRevert(send(p, who, {...settlement(), functionName: 'claim'}), 'NothingToClaim')
    }
    expect(await balance(p.addresses.InferenceSettlement)).toBe(0n)
  })

  it('refuses an account that was never credited', async () => {
    await expectRevert(send(p, 7, {...settlement(), functionName: 'claim'}), 'NothingToClaim')
  })
})

describe('InferenceSettlement: governance', () => {
  it('sets a split that adds up to 10000, for governance only', async () => {
    const receipt = await setSplit({platform: 0n, modelOwner: 0n, stakers: 0n, contributors: 10_000n})
    expect(parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'SplitUpdated'})[0].args).toEqual({
      platformBps: 0,
      modelOwnerBps: 0,
      stakersBps: 0,
      contributorsBps: 10_000,
    })
    expect(await p.publicClient.readContract({...settlement(), functionName: 'split'})).toEqual([0, 0, 0, 10_000])
    await expectRevert(setSplit({platform: 1000n, modelOwner: 2000n, stakers: 2000n, contributors: 4999n}), 'InvalidSplit', [9999n])
    await expectRevert(setSplit(DEFAULT_SPLIT_BPS, CONTRIBUTOR_A), 'AccessControlUnauthorizedAccount', [
      addr(CONTRIBUTOR_A),
      GOVERNANCE_ROLE,
    ])
  })

  it('credits future platform shares to a new treasury', async () => {
    await expectRevert(
      send(p, CONTRIBUTOR_A, {...settlement(), functionName: 'setTreasury', args: [addr(7)]}),
      'AccessControlUnauthorizedAccount',
    )
    await send(p, ADMIN, {...settlement(), functionName: 'setTreasury', args: [addr(7)]})
    await settle(parseEther('1'), [addr(CONTRIBUTOR_A)], [WEIGHT_ONE])
    expect(await balancesOf(addr(7))).toEqual([0n, 0n, parseEther('0.3')])
  })
})

describe('InferenceSettlement: properties', () => {
  const bpsArb = fc
    .tuple(fc.integer({min: 0, max: 10_000}), fc.integer({min: 0, max: 10_000}), fc.integer({min: 0, max: 10_000}))
    .map(([a, b, c]) => {
      const [x, y, z] = [a, b, c].sort((m, n) => m - n).map(BigInt)
      return {platform: x, modelOwner: y - x, stakers: z - y, contributors: 10_000n - z} satisfies SplitBps
    })
  const feeArb = fc.oneof(fc.bigInt({min: 1n, max: 10_000n}), fc.bigInt({min: 1n, max: parseEther('1000')}))
  // Contributors drawn from dev accounts (repeats allowed; some are also the model owner or the treasury).
  const attributionArb = fc.array(fc.tuple(fc.integer({min: 1, max: 9}), fc.integer({min: 1, max: 1_000_000})), {
    minLength: 1,
    maxLength: 12,
  })

  it('conserves the fee to the wei and credits exactly the reference split', async () => {
    await fc.assert(
      fc.asyncProperty(feeArb, bpsArb, attributionArb, fc.boolean(), async (fee, bps, attribution, anyoneStaked) => {
        const id = await p.snapshot()
        try {
          await setSplit(bps)
          if (anyoneStaked) await stake(parseEther('3'))
          const contributors = attribution.map(([i]) => addr(i))
          const weights = toWeights(attribution.map(([, score]) => score))
          const expected = splitFee(fee, weights, bps, anyoneStaked)
          const stakingBefore = await balance(p.addresses.Staking)

          const receipt = await settle(fee, contributors, weights)
          const e = settledEvent(receipt.logs)
          expect(e.platformAmount + e.modelAmount + e.stakersAmount + e.contributorsAmount).toBe(fee)
          expect([e.platformAmount, e.modelAmount, e.stakersAmount, e.contributorsAmount]).toEqual([
            expected.platform,
            expected.modelOwner,
            expected.stakers,
            expected.contributors,
          ])
          const credited = parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'ContributorCredited'})
          expect(credited.map((c) => c.args.amount)).toEqual(expected.perContributor)

          // On-chain balances: what each address may claim, by role, and the value actually held.
          const owedAsContributor = new Map<Address, bigint>()
          contributors.forEach((c, i) => owedAsContributor.set(c, (owedAsContributor.get(c) ?? 0n) + expected.perContributor[i]))
          for (const [c, owed] of owedAsContributor) expect((await balancesOf(c))[0]).toBe(owed)
          expect((await balancesOf(addr(MODEL_OWNER)))[1]).toBe(expected.modelOwner)
          expect((await balancesOf(addr(TREASURY)))[2]).toBe(expected.platform)
          expect(await balance(p.addresses.InferenceSettlement)).toBe(fee - expected.stakers)
          expect(await balance(p.addresses.Staking)).toBe(stakingBefore + expected.stakers)
        } finally {
          await p.revert(id)
        }
      }),
      {numRuns: 40},
    )
  })

  it('refuses every weight vector that does not sum to WEIGHT_ONE', async () => {
    const weightsArb = fc
      .array(fc.bigInt({min: 1n, max: WEIGHT_ONE}), {minLength: 1, maxLength: 6})
      .filter((ws) => ws.reduce((a, b) => a + b, 0n) !== WEIGHT_ONE)
    await fc.assert(
      fc.asyncProperty(weightsArb, async (weights) => {
        const contributors = freshAddresses(weights.length, 'not-whole')
        const err = await p.publicClient
          .simulateContract({
            ...settlement(),
            functionName: 'settle',
            args: [provenSettlement(lineage, {fee: 1n, contributors, weights, responseHash: RESPONSE})],
            value: 1n,
            account: addr(PAYER),
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          )
        expect(revertOf(err)?.errorName).toBe('WeightsNotWhole')
      }),
      {numRuns: 30},
    )
  })
})
