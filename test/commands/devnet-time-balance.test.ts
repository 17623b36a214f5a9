/**
 * `devnet time advance`, `devnet mine` and `balance`, in-process through oclif, against two real
 * anvils a devnet state file (OPENLEDGER_STATE_DIR) points at, as `devnet start` writes it: an L1
 * with OpenToken, and an L2 with the protocol's contracts.
 */
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {type Abi, type Hex, createPublicClient, createWalletClient, formatEther, getAddress, http, parseEther} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import Balance from '../../src/commands/balance.js'
import DevnetMine from '../../src/commands/devnet/mine.js'
import DevnetTimeAdvance from '../../src/commands/devnet/time/advance.js'
import StakeDeposit from '../../src/commands/stake/deposit.js'
import StakeWithdraw from '../../src/commands/stake/withdraw.js'
import {devAccounts} from '../../src/chain/dev-accounts.js'
import {DEVNET_L1_CHAIN_ID, devnetChain} from '../../src/chain/networks.js'
import {artifacts} from '../../src/contracts/artifacts/index.js'
import {AnvilInstance} from '../../src/devnet/anvil-instance.js'
import {type DevnetState, writeDevnetState} from '../../src/devnet/state.js'
import {parseDuration} from '../../src/devnet/time.js'
import {type Protocol, startProtocol} from '../helpers/contracts.js'
import {type TempDir, tempDir} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'
import {runCommand} from '../helpers/run-command.js'

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..')

let p: Protocol
let l1: AnvilInstance
let l1Client: ReturnType<typeof createPublicClient>
let token: `0x${string}`
let config: Config
let temp: TempDir
const saved = process.env.OPENLEDGER_STATE_DIR
let snaps: {l1: Hex; l2: Hex}

const l1Rpc = (method: string, params: unknown[] = []) => l1Client.request({method, params} as never) as Promise<unknown>

beforeAll(async () => {
  p = await startProtocol()
  l1 = new AnvilInstance({label: 'test L1', port: 0, portFlag: '--port', chainId: DEVNET_L1_CHAIN_ID})
  await l1.start()
  const chain = devnetChain(DEVNET_L1_CHAIN_ID, l1.rpcUrl, 'l1')
  l1Client = createPublicClient({chain, transport: http(l1.rpcUrl), pollingInterval: 5})
  const admin = privateKeyToAccount(devAccounts()[0].privateKey)
  const hash = await createWalletClient({account: admin, chain, transport: http(l1.rpcUrl)}).deployContract({
    abi: artifacts.OpenToken.abi as Abi,
    bytecode: artifacts.OpenToken.bytecode as Hex,
    args: [admin.address],
  })
  token = getAddress((await l1Client.waitForTransactionReceipt({hash})).contractAddress!)
  config = await Config.load({root: ROOT})
  temp = tempDir('openledger-time-')
  const info = (a: AnvilInstance, chainId: number) => ({rpcUrl: a.rpcUrl, chainId, port: a.port, pid: a.pid ?? 0})
  const contracts = {...p.addresses, OpenToken: token}
  const state: DevnetState = {
    version: 1,
    supervisorPid: process.pid,
    startedAt: new Date().toISOString(),
    l1: info(l1, DEVNET_L1_CHAIN_ID),
    l2: info(p.anvil, p.chain.id),
    contracts,
    deployments: Object.entries(contracts).map(([name, address]) => ({name, chain: name === 'OpenToken' ? 'l1' : 'l2', address})),
    accounts: devAccounts().map((a) => ({address: a.address, privateKey: a.privateKey})),
    roles: {admin: p.admin, treasury: p.treasury, relayer: p.accounts[9].address},
    genesis: {key: 'test', fromCache: false},
    snapshots: {},
  }
  writeDevnetState(state, temp.dir)
  process.env.OPENLEDGER_STATE_DIR = temp.dir
})
afterAll(async () => {
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  temp?.cleanup()
  await l1?.stop()
  await p?.stop()
})
beforeEach(async () => {
  snaps = {l1: (await l1Rpc('evm_snapshot')) as Hex, l2: await p.snapshot()}
})
afterEach(async () => {
  await l1Rpc('evm_revert', [snaps.l1])
  await p.revert(snaps.l2)
})

const run = (command: {run(argv: string[], config: Config): Promise<unknown>}, argv: string[]) => runCommand(config, command, argv)

const latest = async () => ({l1: await l1Client.getBlock(), l2: await p.publicClient.getBlock()})

describe('devnet time advance', () => {
  it('moves both clocks, so `stake withdraw --complete` works after `devnet time advance 7d`', async () => {
    expect((await run(StakeDeposit, ['5', '--role', 'validator', '--account', '1'])).exitCode).toBe(0)
    expect((await run(StakeWithdraw, ['2', '--account', '1'])).exitCode).toBe(0)
    const early = await run(StakeWithdraw, ['--complete', '--account', '1'])
    expect(early.exitCode).toBe(1)
    expect(early.stderr).toMatch(/unlocks at/)

    const before = await latest()
    const moved = await run(DevnetTimeAdvance, ['7d', '--json'])
    expect(moved.exitCode, moved.stderr).toBe(0)
    expectSchema('devnet time advance', moved.json)
    const after = await latest()
    expect(moved.json).toEqual({
      seconds: 604_800,
      l1: {
        chainId: DEVNET_L1_CHAIN_ID,
        blockNumber: after.l1.number.toString(),
        timestamp: after.l1.timestamp.toString(),
        time: new Date(Number(after.l1.timestamp) * 1000).toISOString(),
      },
      l2: {
        chainId: p.chain.id,
        blockNumber: after.l2.number.toString(),
        timestamp: after.l2.timestamp.toString(),
        time: new Date(Number(after.l2.timestamp) * 1000).toISOString(),
      },
    })
    for (const layer of ['l1', 'l2'] as const) {
      expect(after[layer].number).toBe(before[layer].number + 1n)
      expect(after[layer].timestamp - before[layer].timestamp).toBeGreaterThanOrEqual(604_800n)
    }

    const done = await run(StakeWithdraw, ['--complete', '--account', '1', '--json'])
    expect(done.exitCode, done.stderr).toBe(0)
    expect(done.json).toMatchObject({step: 'completed', amount: parseEther('2').toString()})
  })

  it('says how far in human output, and refuses a duration it cannot read, naming it', async () => {
    const human = await run(DevnetTimeAdvance, ['1h30m'])
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^Advanced 1 h 30 min:\nL1 {2}block \d+ {2}\S+Z\nL2 {2}block \d+ {2}\S+Z\n$/)
    const bad = await run(DevnetTimeAdvance, ['7 days', '--json'])
    expect(bad.exitCode).toBe(2)
    expectSchema('devnet time advance', bad.json)
    expect(bad.json.error.message).toBe('duration "7 days" is not a duration: use seconds (3600) or units s, m, h, d, w (90s, 1h30m, 7d)')
    expect([parseDuration('3600'), parseDuration('2w'), parseDuration('1d12h'), parseDuration('90S')]).toEqual([
      3600, 1_209_600, 129_600, 90,
    ])
    expect(() => parseDuration('0s')).toThrow(/is zero/)
  })
})

describe('devnet mine', () => {
  it('mines n blocks on both chains (1 by default)', async () => {
    const before = await latest()
    const three = await run(DevnetMine, ['3', '--json'])
    expect(three.exitCode, three.stderr).toBe(0)
    expectSchema('devnet mine', three.json)
    expect(three.json).toMatchObject({
      blocks: 3,
      l1: {blockNumber: (before.l1.number + 3n).toString()},
      l2: {blockNumber: (before.l2.number + 3n).toString()},
    })
    const one = await run(DevnetMine, [])
    expect(one.stdout).toBe(`Mined 1 block on each chain: L1 at block ${before.l1.number + 4n}, L2 at block ${before.l2.number + 4n}.\n`)
    const bad = await run(DevnetMine, ['-2'])
    expect(bad.exitCode).toBe(2)
  })
})

describe('balance', () => {
  it("shows the signer's OPEN on L2 (native) and L1 (OpenToken), in wei and OPEN, checksummed", async () => {
    const admin = p.accounts[0].address
    const r = await run(Balance, ['--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expectSchema('balance', r.json)
    const l2Wei = await p.publicClient.getBalance({address: admin})
    const supply = (await l1Client.readContract({
      address: token,
      abi: artifacts.OpenToken.abi as Abi,
      functionName: 'balanceOf',
      args: [admin],
    })) as bigint
    expect(supply).toBeGreaterThan(0n)
    expect(r.json).toMatchObject({
      address: admin,
      l2: {network: 'devnet', chainId: p.chain.id, balance: {wei: l2Wei.toString()}},
      l1: {chainId: DEVNET_L1_CHAIN_ID, token, balance: {wei: supply.toString()}},
    })
    expect(BigInt(r.json.l1.eth.wei)).toBeGreaterThan(0n)
  })

  it('takes an address in any case, prints it checksummed, and names a bad one', async () => {
    const who = p.accounts[4].address
    const lower = await run(Balance, [who.toLowerCase()])
    expect(lower.exitCode, lower.stderr).toBe(0)
    const [l2, eth] = await Promise.all([p.publicClient.getBalance({address: who}), l1Client.getBalance({address: who})])
    expect(lower.stdout).toBe(
      `${who}\n  L2 (chain ${p.chain.id}):  ${formatEther(l2)} OPEN\n  L1 (chain ${DEVNET_L1_CHAIN_ID}):  0 OPEN, ${formatEther(eth)} ETH\n`,
    )
    const bad = await run(Balance, ['0x1234', '--json'])
    expect(bad.exitCode).toBe(2)
    expect(bad.json.error.message).toMatch(/^address "0x1234"/)
  })
})
