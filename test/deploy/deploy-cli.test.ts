// `openledger deploy` through bin/run.js against an anvil answering chain id 161201 (the testnet's),
// signing with a user's keystore: killed right after a send and resumed without a duplicate, then
// the whole protocol path (datanet publish, train, publish, stake, paid inference) on that chain.
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Address, getContractAddress} from 'viem'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {artifacts} from '../../src/contracts/artifacts/index.js'
import {devAccounts} from '../../src/chain/dev-accounts.js'
import {cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'
import {type StandIn, type UserKey, fundedKeystore, startTestnetStandIn} from './helpers.js'

const PROTOCOL = ['DatanetRegistry', 'ModelRegistry', 'Staking', 'InferenceSettlement']

let chain: StandIn
let user: UserKey
const tmp = tempDir('ol-deploy-cli-')
/** The environment a user sets once for a network: the RPC URL and their keystore. */
let env: Record<string, string>

beforeAll(async () => {
  chain = await startTestnetStandIn()
  user = await fundedKeystore(chain, tmp.dir)
  env = {OPENLEDGER_RPC_URL: chain.rpcUrl, OPENLEDGER_KEYSTORE: user.keystore, OPENLEDGER_KEYSTORE_PASSWORD: user.password}
})
afterAll(async () => {
  await chain?.stop()
  tmp.cleanup()
})

const nonceOf = (address: Address) => chain.publicClient.getTransactionCount({address})

describe('openledger deploy on a stand-in for the testnet (chain 161201)', () => {
  it('refuses a dev key, an account that cannot pay, bad flags and a folder of another chain, before sending anything', async () => {
    const dev = devAccounts()[3]
    const r = await cli(tmp.dir, ['deploy', '--json'], {OPENLEDGER_RPC_URL: chain.rpcUrl, OPENLEDGER_PRIVATE_KEY: dev.privateKey})
    expect(r.exitCode, r.stdout).toBe(2)
    expectSchema('deploy', r.json)
    expect(r.json.error.code).toBe('E_DEV_KEY_REFUSED')
    expect(await nonceOf(dev.address)).toBe(0)

    mkdirSync(join(tmp.dir, 'poor'))
    const poor = await fundedKeystore(chain, join(tmp.dir, 'poor'), '0')
    const p = await cli(tmp.dir, ['deploy', '--keystore', poor.keystore, '--json'], {
      OPENLEDGER_RPC_URL: chain.rpcUrl,
      OPENLEDGER_KEYSTORE_PASSWORD: poor.password,
    })
    expect(p.exitCode, p.stdout).toBe(1)
    expectSchema('deploy', p.json)
    expect(p.json.error.code).toBe('E_INSUFFICIENT_FUNDS')
    expect(p.json.error.message).toMatch(
      new RegExp(`^${poor.address} holds 0 OPEN on chain 161201; deploying DatanetRegistry, .* may cost up to [0-9.]+ OPEN`),
    )
    expect(await nonceOf(poor.address)).toBe(0)

    const zero = await cli(tmp.dir, ['deploy', '--treasury', '0x0000000000000000000000000000000000000000'], env)
    expect(zero.exitCode).toBe(2)
    expect(zero.stderr.trim()).toBe('Error: --treasury cannot be the zero address')

    const badId = await cli(tmp.dir, ['deploy', '--deployment-id', '../up'], env)
    expect(badId.exitCode).toBe(2)
    expect(badId.stderr).toMatch(/^Error: --deployment-id "\.\.\/up" must be letters, digits/)
    mkdirSync(join(tmp.dir, 'deployments', 'elsewhere'), {recursive: true})
    writeFileSync(
      join(tmp.dir, 'deployments', 'elsewhere', 'journal.jsonl'),
      `\n${JSON.stringify({chainId: 1, type: 'DEPLOYMENT_INITIALIZE'})}`,
    )
    const otherChain = await cli(tmp.dir, ['deploy', '--deployment-id', 'elsewhere'], env)
    expect(otherChain.exitCode).toBe(2)
    expect(otherChain.stderr).toMatch(/deployments\/elsewhere is a deployment on chain 1, not 161201: choose another deployment id/)

    const devnet = await cli(tmp.dir, ['deploy', '--network', 'devnet'], {
      OPENLEDGER_KEYSTORE: user.keystore,
      OPENLEDGER_KEYSTORE_PASSWORD: user.password,
    })
    expect(devnet.exitCode).toBe(2)
    expect(devnet.stderr).toMatch(/deploy needs --network testnet\|mainnet or --rpc-url/)
  })

  it('a dry run estimates the cost and sends nothing', async () => {
    const r = await cli(tmp.dir, ['deploy', '--dry-run', '--json'], env)
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expectSchema('deploy', r.json)
    expect(r.json).toMatchObject({chainId: 161201, deployer: user.address, dryRun: true, contracts: {}, transactions: []})
    expect(r.json.fees.contracts.map((c: {name: string}) => c.name)).toEqual(expect.arrayContaining(PROTOCOL))
    expect(r.json.fees.l1FeeApplies).toBe(false)
    expect(BigInt(r.json.fees.maximum)).toBeGreaterThan(BigInt(r.json.fees.expected))
    expect(await nonceOf(user.address)).toBe(0)
  })

  it('killed right after its second send, a rerun finds that transaction: same addresses, one transaction per contract', async () => {
    const killed = await cli(tmp.dir, ['deploy', '--json'], {...env, OPENLEDGER_DEPLOY_CRASH_AFTER_SEND: '2'})
    expect(killed.exitCode, killed.stderr).not.toBe(0)
    const dir = join(tmp.dir, 'deployments', '161201')
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8')
    // The second transaction was broadcast, but the kill came before Ignition recorded it.
    expect(journal.match(/"TRANSACTION_PREPARE_SEND"/g)).toHaveLength(2)
    expect(journal.match(/"TRANSACTION_SEND"/g)).toHaveLength(1)
    // The kill may land before the block with the second transaction is answered for.
    await vi.waitFor(async () => expect(await nonceOf(user.address)).toBe(2), {timeout: 10_000, interval: 50})
    const before = JSON.parse(readFileSync(join(dir, 'deployed_addresses.json'), 'utf8'))

    const r = await cli(tmp.dir, ['deploy', '--json'], env)
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expectSchema('deploy', r.json)
    expect(r.json.resumed).toBe(true)
    expect(r.json.reconciled).toEqual([{name: expect.any(String), hash: expect.any(String), nonce: 1, rebroadcast: false}])
    expect(Object.keys(r.json.contracts).sort()).toEqual([...PROTOCOL].sort())
    // Exactly one transaction per contract: the deployer's nonce is 4, and the contracts sit at the
    // addresses nonces 0-3 give, the ones recorded before the kill unchanged.
    expect(await nonceOf(user.address)).toBe(PROTOCOL.length)
    const expected = new Set(PROTOCOL.map((_, nonce) => getContractAddress({from: user.address, nonce: BigInt(nonce)})))
    expect(new Set(Object.values(r.json.contracts))).toEqual(expected)
    for (const [id, address] of Object.entries(before)) expect(r.json.contracts[id.replace('OpenLedger#', '')]).toBe(address)
    expect(r.json.contracts[r.json.reconciled[0].name]).toBe(getContractAddress({from: user.address, nonce: 1n}))
    for (const address of Object.values(r.json.contracts) as Address[]) {
      expect((await chain.publicClient.getCode({address}))?.length).toBeGreaterThan(2)
    }
    expect(r.json.transactions).toHaveLength(PROTOCOL.length)

    // Ignition's layout, where every other command looks.
    const addresses = JSON.parse(readFileSync(join(dir, 'deployed_addresses.json'), 'utf8'))
    expect(Object.keys(addresses).sort()).toEqual(PROTOCOL.map((n) => `OpenLedger#${n}`).sort())
    expect(existsSync(join(dir, 'build-info'))).toBe(true)

    const again = await cli(tmp.dir, ['deploy', '--json'], env)
    expect(again.exitCode, again.stdout).toBe(0)
    expect(again.json.contracts).toEqual(r.json.contracts)
    expect(await nonceOf(user.address)).toBe(PROTOCOL.length)

    const listed = await cli(tmp.dir, ['contracts', 'list', '--json'], env)
    expect(listed.exitCode, listed.stderr).toBe(0)
    for (const name of PROTOCOL) {
      expect(listed.json.find((e: {name: string}) => e.name === name)?.address).toBe(r.json.contracts[name])
    }
  })

  it('a transaction the node lost after the kill is broadcast again from the log: the same signed bytes, the same hash', async () => {
    // Another project folder: this deployment is not the one the protocol path below uses.
    const project = join(tmp.dir, 'other')
    mkdirSync(project)
    const other = await fundedKeystore(chain, project)
    const otherEnv = {OPENLEDGER_RPC_URL: chain.rpcUrl, OPENLEDGER_KEYSTORE: other.keystore, OPENLEDGER_KEYSTORE_PASSWORD: other.password}
    const args = ['deploy', '--deployment-id', 'lost', '--json']
    // Nothing is mined while automining is off: the first send stays in the node's pool when the kill comes.
    await chain.testClient.setAutomine(false)
    let logged: {hash: `0x${string}`; nonce: number}
    try {
      const killed = await cli(project, args, {...otherEnv, OPENLEDGER_DEPLOY_CRASH_AFTER_SEND: '1'})
      expect(killed.exitCode).not.toBe(0)
      const log = readFileSync(join(project, 'deployments', 'lost', 'transactions.jsonl'), 'utf8')
        .trim()
        .split('\n')
      expect(log).toHaveLength(1)
      logged = JSON.parse(log[0])
      await chain.testClient.dropTransaction({hash: logged.hash})
      expect(await chain.publicClient.getTransaction({hash: logged.hash}).catch(() => null)).toBeNull()
    } finally {
      await chain.testClient.setAutomine(true)
    }
    const r = await cli(project, args, otherEnv)
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(r.json.reconciled).toEqual([{name: 'DatanetRegistry', hash: logged.hash, nonce: 0, rebroadcast: true}])
    expect(r.json.transactions.find((t: {name: string}) => t.name === 'DatanetRegistry').hash).toBe(logged.hash)
    expect(await nonceOf(other.address)).toBe(PROTOCOL.length)
  })

  it('datanet publish, train, publish, stake and a paid inference run on that chain with the keystore', async () => {
    const contributors = [0, 1, 2].map((i) => getContractAddress({from: user.address, nonce: BigInt(1000 + i)}))
    const topics: Record<string, string[]> = {
      billing: ['my card was charged twice', 'the invoice shows a wrong amount', 'a refund never arrived', 'the fee is too high'],
      shipping: ['the parcel is late', 'my order went to the wrong address', 'the package arrived damaged', 'the courier lost it'],
      login: ['my password does not work', 'the login page is locked', 'two-factor code keeps timing out', 'my account was reset'],
    }
    const rows = Object.entries(topics).flatMap(([label, texts]) =>
      texts.flatMap((t, i) => [0, 1].map((k) => JSON.stringify({text: `${t} (${k})`, label, contributor: contributors[(i + k) % 3]}))),
    )
    writeFileSync(join(tmp.dir, 'tickets.jsonl'), rows.join('\n') + '\n')
    const step = async (args: string[]) => {
      const r = await cli(tmp.dir, [...args, '--json'], env)
      expect(r.exitCode, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
      return r.json
    }
    await step(['datanet', 'create', 'tickets'])
    await step(['datanet', 'add', 'tickets', 'tickets.jsonl'])
    const published = await step(['datanet', 'publish', 'tickets'])
    expectSchema('datanet publish', published)
    const trained = await step([
      'train',
      '--datanet',
      'tickets',
      '--epochs',
      '4',
      '--lr',
      '0.01',
      '--device',
      'cpu',
      '--out',
      'models/tickets',
    ])
    const model = await step(['publish', '--model', trained.artifact, '--name', 'tickets-router'])
    expectSchema('publish', model)
    const staked = await step(['stake', 'deposit', '1', '--role', 'agent'])
    expect(staked.address).toBe(user.address)
    const nonceBefore = await nonceOf(user.address)
    const paid = await step([
      'infer',
      '--model',
      'tickets-router',
      '--text',
      'my card was charged twice',
      '--pay',
      '--fee',
      '0.5',
      '--method',
      'representer',
    ])
    expectSchema('infer', paid)
    const receipt = paid.prediction.receipt
    const s = receipt.split
    expect(BigInt(s.platform) + BigInt(s.model) + BigInt(s.stakers) + BigInt(s.contributors)).toBe(5n * 10n ** 17n)
    expect(await nonceOf(user.address)).toBe(nonceBefore + 1)
    // Settled on the deployed InferenceSettlement, the one deployed_addresses.json names.
    const deployed = JSON.parse(readFileSync(join(tmp.dir, 'deployments', '161201', 'deployed_addresses.json'), 'utf8'))
    const tx = await chain.publicClient.getTransactionReceipt({hash: receipt.txHash})
    expect(tx.to?.toLowerCase()).toBe(deployed['OpenLedger#InferenceSettlement'].toLowerCase())
    const count = await chain.publicClient.readContract({
      address: deployed['OpenLedger#InferenceSettlement'],
      abi: artifacts.InferenceSettlement.abi,
      functionName: 'receiptCount',
    })
    expect(count).toBe(1n)
  })
})
