/**
 * InferenceSettlement's proofs and payers: a settlement pays only contributors proven to be in the
 * model version's lineage, only for a licensed lineage; authorized settlements spend the payer's
 * credit exactly, once, within the authorization's terms, and only a staked agent sends them.
 */
import {type Address, keccak256, parseEther, parseEventLogs, toHex} from 'viem'
import {beforeAll, describe, expect, it} from 'vitest'

import {WEIGHT_ONE} from '../../src/attribution/receipt.js'
import {DatanetRegistry, InferenceSettlement, ModelRegistry, Staking} from '../../src/contracts/artifacts/index.js'
import {AUTHORIZATION_TYPES, type SignedAuthorization, randomNonce, settlementDomain} from '../../src/protocol/authorization.js'
import {type Protocol, advanceTime, chainTime, expectRevert, gasCost, send, useProtocol} from '../helpers/contracts.js'
import {type Lineage, provenSettlement, publishLineage} from './lineage.js'

const DATA_OWNER = 1
const MODEL_OWNER = 2
const PAYER = 3
const CONTRIBUTOR_A = 4
const CONTRIBUTOR_B = 5
const AGENT = 6
const STRANGER = 7
const RESPONSE = keccak256(toHex('an answer'))
const FEE = parseEther('0.01')

const p: Protocol = useProtocol()
let lineage: Lineage
const addr = (i: number) => p.accounts[i].address
const settlement = () => ({address: p.addresses.InferenceSettlement, abi: InferenceSettlement.abi})
const credit = (a: Address) => p.publicClient.readContract({...settlement(), functionName: 'credit', args: [a]})
const receiptCount = () => p.publicClient.readContract({...settlement(), functionName: 'receiptCount'})

beforeAll(async () => {
  lineage = await publishLineage(p, {
    datanetOwner: DATA_OWNER,
    modelOwner: MODEL_OWNER,
    contributors: [addr(CONTRIBUTOR_A), addr(CONTRIBUTOR_B)],
    name: 'tickets',
  })
  await send(p, AGENT, {address: p.addresses.Staking, abi: Staking.abi, functionName: 'stake', args: [1], value: parseEther('10')})
})

const twoContributors = (fee = FEE) =>
  provenSettlement(lineage, {
    fee,
    contributors: [addr(CONTRIBUTOR_A), addr(CONTRIBUTOR_B)],
    weights: [WEIGHT_ONE / 2n, WEIGHT_ONE / 2n],
    responseHash: RESPONSE,
  })
const settleSelf = (s: ReturnType<typeof twoContributors>, from = PAYER) =>
  send(p, from, {...settlement(), functionName: 'settle', args: [s], value: s.fee})

describe('InferenceSettlement: attribution must be proven', () => {
  it('pays contributors proven by one multiproof', async () => {
    const s = twoContributors()
    expect(s.proofs).toHaveLength(1)
    expect(s.proofs[0].recordHashes).toHaveLength(2)
    const receipt = await settleSelf(s)
    const credited = parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'ContributorCredited'})
    expect(credited.map((c) => c.args.contributor)).toEqual([addr(CONTRIBUTOR_A), addr(CONTRIBUTOR_B)])
    expect(await p.publicClient.readContract({...settlement(), functionName: 'receiptAgent', args: [1n]})).toBe(addr(PAYER))
  })

  it('refuses a settlement naming a non-contributor, whatever it claims', async () => {
    // The model's owner names itself as the only contributor, with no proof.
    const self = {...twoContributors(), contributors: [addr(MODEL_OWNER)], weights: [WEIGHT_ONE], proofs: []}
    await expectRevert(settleSelf(self, MODEL_OWNER), 'ContributorNotProven', [0n, addr(MODEL_OWNER)])
    // A stranger swapped into a real proof: the leaf (record, stranger) is not in the tree.
    const swapped = {...twoContributors(), contributors: [addr(CONTRIBUTOR_A), addr(STRANGER)]}
    await expectRevert(settleSelf(swapped), 'InvalidProof', [0n])
    // A stranger added beside proven contributors, uncovered.
    const extra = {
      ...twoContributors(),
      contributors: [addr(CONTRIBUTOR_A), addr(CONTRIBUTOR_B), addr(STRANGER)],
      weights: [WEIGHT_ONE / 4n, WEIGHT_ONE / 4n, WEIGHT_ONE / 2n],
    }
    await expectRevert(settleSelf(extra), 'ContributorNotProven', [2n, addr(STRANGER)])
    // A record of A's credited to B.
    const s = twoContributors()
    const misattributed = {...s, proofs: [{...s.proofs[0], contributorIndexes: [...s.proofs[0].contributorIndexes].reverse()}]}
    await expectRevert(settleSelf(misattributed), 'InvalidProof', [0n])
    expect(await receiptCount()).toBe(0n)
  })

  it('refuses proofs against a datanet outside the lineage, and malformed proofs', async () => {
    const s = twoContributors()
    await expectRevert(settleSelf({...s, proofs: [{...s.proofs[0], lineageIndex: 1n}]}), 'UnknownLineage', [lineage.modelId, 1, 1n])
    await expectRevert(settleSelf({...s, modelVersion: 9}), 'UnknownLineage', [lineage.modelId, 9, 0n])
    await expectRevert(settleSelf({...s, proofs: [{...s.proofs[0], contributorIndexes: [0n]}]}), 'MalformedProof', [0n])
    await expectRevert(settleSelf({...s, proofs: [{...s.proofs[0], contributorIndexes: [0n, 7n]}]}), 'MalformedProof', [0n])
    // A real leaf of another datanet version (same contributor) does not prove this lineage.
    const other = await publishLineage(p, {
      datanetOwner: DATA_OWNER,
      modelOwner: MODEL_OWNER,
      contributors: [addr(STRANGER)],
      name: 'other',
    })
    const foreign = provenSettlement(other, {fee: FEE, contributors: [addr(STRANGER)], weights: [WEIGHT_ONE], responseHash: RESPONSE})
    await expectRevert(settleSelf({...foreign, modelId: lineage.modelId, modelVersion: lineage.modelVersion}), 'InvalidProof', [0n])
  })

  it('refuses to pay for a version whose lineage the model owner was not licensed to train on', async () => {
    const registry = {address: p.addresses.DatanetRegistry, abi: DatanetRegistry.abi}
    const restricted = await publishLineage(p, {
      datanetOwner: DATA_OWNER,
      modelOwner: MODEL_OWNER,
      contributors: [addr(CONTRIBUTOR_A)],
      name: 'private',
    })
    // Restrict the datanet, then register a second version of the model on it: not licensed.
    await send(p, DATA_OWNER, {...registry, functionName: 'setTrainingPolicy', args: [restricted.datanetId, true, parseEther('1')]})
    const models = {address: p.addresses.ModelRegistry, abi: ModelRegistry.abi}
    const ref = {datanetId: restricted.datanetId, version: restricted.datanetVersion, root: restricted.tree.root}
    const register = async () => {
      const r = await send(p, MODEL_OWNER, {
        ...models,
        functionName: 'registerVersion',
        args: [restricted.modelId, 'bafy-next', RESPONSE, [ref]],
      })
      return parseEventLogs({abi: ModelRegistry.abi, logs: r.logs, eventName: 'ModelVersionRegistered'})[0].args.version
    }
    const unlicensed = await register()
    const pay = (modelVersion: number) =>
      settleSelf(
        provenSettlement(restricted, {
          fee: FEE,
          contributors: [addr(CONTRIBUTOR_A)],
          weights: [WEIGHT_ONE],
          responseHash: RESPONSE,
          modelVersion,
        }),
      )
    await expectRevert(pay(unlicensed), 'UnlicensedLineage', [restricted.modelId, unlicensed])
    // The licence bought (paid to the datanet's owner): the next version is paid for.
    await send(p, MODEL_OWNER, {...registry, functionName: 'buyTrainingLicence', args: [restricted.datanetId], value: parseEther('1')})
    const licensed = await register()
    await pay(licensed)
    await expectRevert(pay(unlicensed), 'UnlicensedLineage')
  })
})

describe('InferenceSettlement: credit and authorizations', () => {
  const sign = async (o: Partial<SignedAuthorization> & {signer?: number} = {}): Promise<SignedAuthorization> => {
    const message = {
      payer: o.payer ?? addr(PAYER),
      modelId: o.modelId ?? lineage.modelId,
      maxFee: o.maxFee ?? FEE,
      nonce: o.nonce ?? randomNonce(),
      expiry: o.expiry ?? (await chainTime(p)) + 600n,
    }
    const signature = await p.accounts[o.signer ?? PAYER].signTypedData!({
      domain: settlementDomain(p.chain.id, p.addresses.InferenceSettlement),
      types: AUTHORIZATION_TYPES,
      primaryType: 'PaymentAuthorization',
      message,
    })
    return {...message, signature}
  }
  const deposit = (amount: bigint, from = PAYER) => send(p, from, {...settlement(), functionName: 'deposit', value: amount})
  const settleAuthorized = (items: ReturnType<typeof twoContributors>[], auths: SignedAuthorization[], from = AGENT) =>
    send(p, from, {...settlement(), functionName: 'settleAuthorized', args: [items, auths]})
  const check = (a: SignedAuthorization, fee = FEE) =>
    p.publicClient.readContract({...settlement(), functionName: 'checkAuthorization', args: [a, fee]})

  it("debits exactly the fee from the payer's credit; the agent pays only gas", async () => {
    await deposit(parseEther('1'))
    const auth = await sign()
    expect(await check(auth)).toBe(0)
    const agentBefore = await p.publicClient.getBalance({address: addr(AGENT)})
    const payerBefore = await p.publicClient.getBalance({address: addr(PAYER)})
    const receipt = await settleAuthorized([twoContributors()], [auth])
    expect(await credit(addr(PAYER))).toBe(parseEther('1') - FEE)
    expect(await p.publicClient.getBalance({address: addr(PAYER)})).toBe(payerBefore)
    expect(await p.publicClient.getBalance({address: addr(AGENT)})).toBe(agentBefore - gasCost(receipt))
    const [settled] = parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'InferenceSettled'})
    expect(settled.args).toMatchObject({payer: addr(PAYER), fee: FEE})
    expect(parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'AuthorizationUsed'})[0].args).toEqual({
      payer: addr(PAYER),
      nonce: auth.nonce,
      receiptId: 1n,
      fee: FEE,
    })
    expect(parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'ReceiptAgent'})[0].args).toEqual({
      receiptId: 1n,
      agent: addr(AGENT),
      modelVersion: lineage.modelVersion,
    })
    // A fee below maxFee spends only the fee.
    await settleAuthorized([twoContributors(FEE / 2n)], [await sign()])
    expect(await credit(addr(PAYER))).toBe(parseEther('1') - FEE - FEE / 2n)
  })

  it('refuses a replay, an expired or forged authorization, a fee above the max, another model, and too little credit', async () => {
    await deposit(FEE * 3n)
    const auth = await sign()
    await settleAuthorized([twoContributors()], [auth])
    expect(await check(auth)).toBe(2)
    await expectRevert(settleAuthorized([twoContributors()], [auth]), 'NonceUsed', [addr(PAYER), auth.nonce])

    const expiring = await sign({expiry: (await chainTime(p)) + 10n})
    await advanceTime(p, 60)
    expect(await check(expiring)).toBe(3)
    await expectRevert(settleAuthorized([twoContributors()], [expiring]), 'AuthorizationExpired')

    // Signed by someone else in the payer's name; or the signed terms changed after signing.
    const forged = await sign({signer: STRANGER})
    expect(await check(forged)).toBe(1)
    await expectRevert(settleAuthorized([twoContributors()], [forged]), 'InvalidSignature', [addr(PAYER), forged.nonce])
    const raised = {...(await sign()), maxFee: FEE * 100n}
    await expectRevert(settleAuthorized([twoContributors(FEE * 2n)], [raised]), 'InvalidSignature')

    const small = await sign({maxFee: FEE / 2n})
    expect(await check(small)).toBe(4)
    await expectRevert(settleAuthorized([twoContributors()], [small]), 'FeeAboveMax', [FEE, FEE / 2n])
    await expectRevert(settleAuthorized([twoContributors()], [await sign({modelId: 99n})]), 'ModelMismatch', [99n, lineage.modelId])

    await expectRevert(settleAuthorized([twoContributors(FEE * 3n)], [await sign({maxFee: FEE * 3n})]), 'InsufficientCredit', [
      addr(PAYER),
      FEE * 2n,
      FEE * 3n,
    ])
    expect(await check(await sign({maxFee: FEE * 3n}), FEE * 3n)).toBe(5)
    await expectRevert(settleAuthorized([twoContributors()], []), 'AuthorizationCountMismatch', [1n, 0n])
    expect(await credit(addr(PAYER))).toBe(FEE * 2n)
  })

  it('settles a batch item by item, each from its own payer, and fails it whole on one bad item', async () => {
    await deposit(parseEther('1'))
    await deposit(parseEther('1'), STRANGER)
    const a = await sign()
    const b = await sign({payer: addr(STRANGER), signer: STRANGER})
    const bad = await sign({maxFee: 1n})
    await expectRevert(settleAuthorized([twoContributors(), twoContributors(), twoContributors()], [a, b, bad]), 'FeeAboveMax')
    // Nothing of the failed batch was spent: a and b settle later.
    expect(await receiptCount()).toBe(0n)
    const b2 = await sign({payer: addr(STRANGER), signer: STRANGER, maxFee: FEE * 2n})
    const receipt = await settleAuthorized([twoContributors(), twoContributors(FEE * 2n)], [a, b2])
    const settled = parseEventLogs({abi: InferenceSettlement.abi, logs: receipt.logs, eventName: 'InferenceSettled'}).map((e) => e.args)
    expect(settled.map((e) => [e.payer, e.fee])).toEqual([
      [addr(PAYER), FEE],
      [addr(STRANGER), FEE * 2n],
    ])
    expect([await credit(addr(PAYER)), await credit(addr(STRANGER))]).toEqual([parseEther('1') - FEE, parseEther('1') - FEE * 2n])
  })

  it('lets only a staked agent settle authorizations', async () => {
    await deposit(parseEther('1'))
    await expectRevert(settleAuthorized([twoContributors()], [await sign()], STRANGER), 'NotAnAgent', [addr(STRANGER)])
    await send(p, STRANGER, {address: p.addresses.Staking, abi: Staking.abi, functionName: 'stake', args: [0], value: parseEther('1')})
    await expectRevert(settleAuthorized([twoContributors()], [await sign()], STRANGER), 'NotAnAgent', [addr(STRANGER)])
  })

  it('withdraws unspent credit, deposits for another, and cancels an unspent authorization', async () => {
    await deposit(parseEther('1'))
    await send(p, STRANGER, {...settlement(), functionName: 'depositFor', args: [addr(PAYER)], value: parseEther('0.5')})
    expect(await credit(addr(PAYER))).toBe(parseEther('1.5'))
    await expectRevert(send(p, PAYER, {...settlement(), functionName: 'withdraw', args: [parseEther('2')]}), 'InsufficientCredit')
    const before = await p.publicClient.getBalance({address: addr(PAYER)})
    const receipt = await send(p, PAYER, {...settlement(), functionName: 'withdraw', args: [parseEther('1.5')]})
    expect(await p.publicClient.getBalance({address: addr(PAYER)})).toBe(before + parseEther('1.5') - gasCost(receipt))
    expect(await credit(addr(PAYER))).toBe(0n)
    await deposit(parseEther('1'))
    const auth = await sign()
    await send(p, PAYER, {...settlement(), functionName: 'cancelAuthorization', args: [auth.nonce]})
    await expectRevert(settleAuthorized([twoContributors()], [auth]), 'NonceUsed')
  })

  it('agrees with viem on the EIP-712 digest', async () => {
    const auth = await sign()
    const {hashTypedData} = await import('viem')
    const digest = await p.publicClient.readContract({
      ...settlement(),
      functionName: 'authorizationDigest',
      args: [auth.payer, auth.modelId, auth.maxFee, auth.nonce, auth.expiry],
    })
    const {signature: _, ...message} = auth
    expect(digest).toBe(
      hashTypedData({
        domain: settlementDomain(p.chain.id, p.addresses.InferenceSettlement),
        types: AUTHORIZATION_TYPES,
        primaryType: 'PaymentAuthorization',
        message,
      }),
    )
  })
})
