/**
 * A server's batch of authorized settlements split by gas on a real anvil: parts stay under the
 * cap, keep their order, and an item that cannot be settled comes back alone as its error.
 */
import {type Address, keccak256, parseEther, toHex} from 'viem'
import {beforeAll, describe, expect, it} from 'vitest'

import {WEIGHT_ONE} from '../../src/attribution/receipt.js'
import {InferenceSettlement, Staking} from '../../src/contracts/artifacts/index.js'
import {AUTHORIZATION_TYPES, randomNonce, settlementDomain} from '../../src/protocol/authorization.js'
import type {SettleItem, SettlementStruct} from '../../src/publish/pay.js'
import {SAFE_BLOCK_GAS_SHARE, splitByGas} from '../../src/serve/payment-settle.js'
import {type Lineage, provenSettlement, publishLineage} from '../contracts/lineage.js'
import {chainTime, send, useProtocol} from '../helpers/contracts.js'

const AGENT = 6
const PAYER = 3
const p = useProtocol()
let lineage: Lineage
const contributors = Array.from({length: 40}, (_, i) => `0x${keccak256(toHex(`batch/${i}`)).slice(26)}` as Address)

beforeAll(async () => {
  lineage = await publishLineage(p, {datanetOwner: 1, modelOwner: 2, contributors, name: 'batches'})
  await send(p, AGENT, {address: p.addresses.Staking, abi: Staking.abi, functionName: 'stake', args: [1], value: parseEther('1')})
  await send(p, PAYER, {
    address: p.addresses.InferenceSettlement,
    abi: InferenceSettlement.abi,
    functionName: 'deposit',
    value: parseEther('1'),
  })
})

/** An authorized settlement paying k contributors from `offset` (distinct ranges cost the same gas). */
async function item(k: number, signer = PAYER, offset = 0): Promise<{it: SettleItem; struct: SettlementStruct}> {
  const payees = contributors.slice(offset, offset + k)
  const weights = payees.map(() => WEIGHT_ONE / BigInt(k))
  weights[0] += WEIGHT_ONE - weights.reduce((a, b) => a + b, 0n)
  const fee = parseEther('0.01')
  const struct = provenSettlement(lineage, {fee, contributors: payees, weights, responseHash: keccak256(toHex(`answer ${k}`))})
  const message = {
    payer: p.accounts[PAYER].address,
    modelId: lineage.modelId,
    maxFee: fee,
    nonce: randomNonce(),
    expiry: (await chainTime(p)) + 600n,
  }
  const signature = await p.accounts[signer].signTypedData!({
    domain: settlementDomain(p.chain.id, p.addresses.InferenceSettlement),
    types: AUTHORIZATION_TYPES,
    primaryType: 'PaymentAuthorization',
    message,
  })
  // Only the authorization of an item is read when splitting.
  return {it: {authorization: {...message, signature}} as SettleItem, struct}
}

describe('splitByGas', () => {
  it('keeps one part when the batch fits under the cap', async () => {
    const items = await Promise.all([1, 5, 10].map((k) => item(k)))
    const block = await p.publicClient.getBlock()
    const cap = BigInt(Math.floor(Number(block.gasLimit) * SAFE_BLOCK_GAS_SHARE))
    const parts = await splitByGas(
      p.signer(AGENT),
      items.map((x) => x.it),
      items.map((x) => x.struct),
      cap,
    )
    expect(parts).toEqual([{from: 0, to: 3, gas: expect.any(BigInt)}])
  })

  it('halves a batch over the cap until each part fits, in order', async () => {
    const items = await Promise.all([0, 10, 20, 30].map((offset) => item(10, PAYER, offset)))
    const one = await splitByGas(p.signer(AGENT), [items[0].it], [items[0].struct], 10n ** 9n)
    const single = (one[0] as {gas: bigint}).gas
    // Room for two items, not four.
    const cap = (single * 5n) / 2n
    const parts = await splitByGas(
      p.signer(AGENT),
      items.map((x) => x.it),
      items.map((x) => x.struct),
      cap,
    )
    expect(parts.map((x) => ('from' in x ? [x.from, x.to] : x))).toEqual([
      [0, 2],
      [2, 4],
    ])
    for (const x of parts) expect('gas' in x && x.gas <= cap).toBe(true)
  })

  it('isolates an item that cannot be settled', async () => {
    const items = [await item(3), await item(3, 7), await item(3)]
    const parts = await splitByGas(
      p.signer(AGENT),
      items.map((x) => x.it),
      items.map((x) => x.struct),
      10n ** 9n,
    )
    expect(parts.map((x) => ('from' in x ? [x.from, x.to] : x.index))).toEqual([[0, 1], 1, [2, 3]])
    const bad = parts[1] as {error: Error}
    expect(bad.error.message).toMatch(/InvalidSignature/)
  })
})
