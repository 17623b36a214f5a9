// The fee preflight on a chain with OP Stack's GasPriceOracle and L1Block predeploys (the compiled
// contracts from @eth-optimism/contracts-bedrock, placed at their addresses): the L1 data fee is
// priced by the oracle and counted before anything is sent.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {type Address, type Hex, encodeDeployData, getContractAddress, numberToHex, pad, parseEther, parseGwei} from 'viem'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveSigner} from '../../src/chain/context.js'
import {deploymentsRoot} from '../../src/chain/deployments.js'
import {artifacts} from '../../src/contracts/artifacts/index.js'
import {deployProtocol} from '../../src/deploy/deploy.js'
import {GAS_PRICE_ORACLE} from '../../src/deploy/fees.js'
import {protocolDeployments} from '../../src/deploy/module.js'
import {tempDir} from '../helpers/env.js'
import {type StandIn, type UserKey, fundedKeystore, startTestnetStandIn} from './helpers.js'

const L1_BLOCK: Address = '0x4200000000000000000000000000000000000015'
const bedrock = join(dirname(createRequire(import.meta.url).resolve('@eth-optimism/contracts-bedrock/package.json')), 'forge-artifacts')
const runtime = (name: string): Hex =>
  JSON.parse(readFileSync(join(bedrock, `${name}.sol`, `${name}.json`), 'utf8')).deployedBytecode.object

// Bedrock pricing (the oracle's pre-Ecotone formula): (calldata gas + overhead) × L1 base fee × scalar / 10^6.
const L1_BASE_FEE = parseGwei('30')
const OVERHEAD = 188n
const SCALAR = 684_000n

let chain: StandIn
let user: UserKey
const tmp = tempDir('ol-deploy-fees-')
const state = join(tmp.dir, '.openledger')

beforeAll(async () => {
  chain = await startTestnetStandIn()
  await chain.testClient.setCode({address: GAS_PRICE_ORACLE, bytecode: runtime('GasPriceOracle')})
  await chain.testClient.setCode({address: L1_BLOCK, bytecode: runtime('L1Block')})
  // L1Block's storage layout: basefee in slot 1, l1FeeOverhead in slot 5, l1FeeScalar in slot 6.
  for (const [slot, value] of [
    [1, L1_BASE_FEE],
    [5, OVERHEAD],
    [6, SCALAR],
  ] as const) {
    await chain.testClient.setStorageAt({address: L1_BLOCK, index: numberToHex(slot, {size: 32}), value: pad(numberToHex(value))})
  }
  user = await fundedKeystore(chain, tmp.dir)
})
afterAll(async () => {
  await chain?.stop()
  tmp.cleanup()
})

describe('fee preflight with the L1 data fee', () => {
  it("prices each contract's L1 data fee with the GasPriceOracle and refuses a balance that covers only the L2 part", async () => {
    const ctx = await resolveSigner({rpcUrl: chain.rpcUrl, stateDir: state}, {OPENLEDGER_PRIVATE_KEY: user.privateKey})
    const dry = await deployProtocol(ctx, {deploymentsRoot: deploymentsRoot(state), withOpenToken: false, dryRun: true})
    const est = dry.estimate
    expect(est.l1FeeApplies).toBe(true)
    // Each fee lies between the oracle's formula over the creation data alone, every byte priced as a
    // zero byte (4 gas) and every byte as a non-zero one (16 gas) plus room for the transaction's
    // other fields: the oracle priced the transaction that will be sent.
    const roles = {admin: user.address, treasury: user.address}
    const deployments = protocolDeployments(false)
    const addresses: Record<string, Address> = {}
    deployments.forEach((d, nonce) => {
      addresses[d.name] = getContractAddress({from: user.address, nonce: BigInt(nonce)})
    })
    for (const [i, d] of deployments.entries()) {
      const data = encodeDeployData({
        abi: artifacts[d.name].abi,
        bytecode: artifacts[d.name].bytecode as Hex,
        args: d.args({...roles, relayer: user.address, addresses}) as never,
      })
      const bytes = BigInt((data.length - 2) / 2)
      const fee = (gas: bigint) => ((gas + OVERHEAD + 68n * 16n) * L1_BASE_FEE * SCALAR) / 1_000_000n
      const c = est.contracts[i]
      expect(c.name).toBe(d.name)
      expect(c.l1Fee).toBeGreaterThanOrEqual(fee(bytes * 4n))
      expect(c.l1Fee).toBeLessThanOrEqual(fee((bytes + 120n) * 16n))
    }
    const l1 = est.contracts.reduce((s, c) => s + c.l1Fee, 0n)
    const gas = est.contracts.reduce((s, c) => s + c.gas, 0n)
    expect(est.maximum).toBe(gas * est.maxFeePerGas + l1)
    expect(est.expected).toBe(gas * est.expectedFeePerGas + l1)

    // Enough for the gas at the highest fee, not for the L1 part: refused, nothing sent.
    await chain.testClient.setBalance({address: user.address, value: gas * est.maxFeePerGas + l1 / 2n})
    await expect(deployProtocol(ctx, {deploymentsRoot: deploymentsRoot(state), withOpenToken: false})).rejects.toMatchObject({
      code: 'E_INSUFFICIENT_FUNDS',
      shortMessage: expect.stringMatching(/may cost up to [0-9.]+ OPEN \(expected [0-9.]+ OPEN, L1 data fee included\)$/),
    })
    expect(await chain.publicClient.getTransactionCount({address: user.address})).toBe(0)
    await chain.testClient.setBalance({address: user.address, value: parseEther('10')})
    const done = await deployProtocol(ctx, {deploymentsRoot: deploymentsRoot(state), withOpenToken: false})
    expect(Object.keys(done.contracts)).toHaveLength(deployments.length)
  })

  it("a constructor that reverts is named with the contract's own error, before anything is sent", async () => {
    const fresh = await fundedKeystore(chain, tmp.dir)
    const ctx = await resolveSigner({rpcUrl: chain.rpcUrl, stateDir: state}, {OPENLEDGER_PRIVATE_KEY: fresh.privateKey})
    const zero = '0x0000000000000000000000000000000000000000'
    await expect(
      deployProtocol(ctx, {deploymentsRoot: deploymentsRoot(state), deploymentId: 'zero', withOpenToken: false, treasury: zero}),
    ).rejects.toMatchObject({
      code: 'E_DEPLOY_FAILED',
      shortMessage: "DatanetRegistry's constructor reverts with ZeroAddress(): check its arguments",
    })
    expect(await chain.publicClient.getTransactionCount({address: fresh.address})).toBe(0)
  })
})
