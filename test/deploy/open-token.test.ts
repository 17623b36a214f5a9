// OPEN's ERC-20 is deployed only where OPEN is not the chain's own token, as the presets say.
import {join} from 'node:path'

import {createPublicClient, createTestClient, http, parseEther} from 'viem'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveSigner} from '../../src/chain/context.js'
import {deploymentsRoot} from '../../src/chain/deployments.js'
import {artifacts} from '../../src/contracts/artifacts/index.js'
import {deployProtocol} from '../../src/deploy/deploy.js'
import {AnvilInstance} from '../../src/devnet/anvil-instance.js'
import {tempDir} from '../helpers/env.js'
import {type StandIn, fundedKeystore, startTestnetStandIn} from './helpers.js'

const tmp = tempDir('ol-deploy-open-')
const state = join(tmp.dir, '.openledger')
let testnet: StandIn
let other: AnvilInstance

beforeAll(async () => {
  testnet = await startTestnetStandIn()
  // Some chain whose native token is not OPEN (Sepolia's id).
  other = new AnvilInstance({label: 'other chain', port: 0, portFlag: '--port', chainId: 11_155_111})
  await other.start()
})
afterAll(async () => {
  await testnet?.stop()
  await other?.stop()
  tmp.cleanup()
})

describe('OPEN token by network preset', () => {
  it('deploys OpenToken with the protocol on a chain without OPEN, its supply to the treasury', async () => {
    const user = await fundedKeystore({testClient: createTestClient({transport: http(other.rpcUrl), mode: 'anvil'})}, tmp.dir)
    const ctx = await resolveSigner({rpcUrl: other.rpcUrl, stateDir: state}, {OPENLEDGER_PRIVATE_KEY: user.privateKey})
    const treasury = '0x000000000000000000000000000000000000dEaD'
    const r = await deployProtocol(ctx, {deploymentsRoot: deploymentsRoot(state), withOpenToken: true, treasury})
    expect(Object.keys(r.contracts).sort()).toEqual(['DatanetRegistry', 'InferenceSettlement', 'ModelRegistry', 'OpenToken', 'Staking'])
    const client = createPublicClient({transport: http(other.rpcUrl)})
    const abi = artifacts.OpenToken.abi
    const supply = await client.readContract({address: r.contracts.OpenToken, abi, functionName: 'totalSupply'})
    expect(supply).toBeGreaterThan(parseEther('1'))
    expect(await client.readContract({address: r.contracts.OpenToken, abi, functionName: 'balanceOf', args: [treasury]})).toBe(supply)
  })

  it('refuses it on an OpenLedger network, where OPEN pays for gas', async () => {
    const user = await fundedKeystore(testnet, tmp.dir)
    const ctx = await resolveSigner({rpcUrl: testnet.rpcUrl, stateDir: state}, {OPENLEDGER_PRIVATE_KEY: user.privateKey})
    await expect(deployProtocol(ctx, {deploymentsRoot: deploymentsRoot(state), withOpenToken: true})).rejects.toMatchObject({
      code: 'E_USAGE',
      shortMessage: 'chain 161201 pays gas in OPEN: it needs no OPEN token contract',
    })
    expect(await testnet.publicClient.getTransactionCount({address: user.address})).toBe(0)
  })
})
