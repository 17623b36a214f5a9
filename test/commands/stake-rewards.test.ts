/**
 * The stake and rewards commands, run in-process through oclif against a real anvil that a
 * devnet state file (OPENLEDGER_STATE_DIR) points at, as `openledger devnet start` would write it.
 */

import type {Config} from '@oclif/core'

import {type Hex, parseEther} from 'viem'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import ContractsAbi from '../../src/commands/contracts/abi.js'
import Rewards from '../../src/commands/rewards/index.js'
import RewardsClaim from '../../src/commands/rewards/claim.js'
import StakeDeposit from '../../src/commands/stake/deposit.js'
import StakeSlash from '../../src/commands/stake/slash.js'
import StakeStatus from '../../src/commands/stake/status.js'
import StakeWithdraw from '../../src/commands/stake/withdraw.js'
import {artifacts} from '../../src/contracts/artifacts/index.js'
import {type DevnetState, writeDevnetState} from '../../src/devnet/state.js'
import {type Protocol, advanceTime} from '../helpers/contracts.js'
import {type ProtocolWorkspace, openProtocolWorkspace} from '../helpers/protocol-workspace.js'
import {expectSchema} from '../helpers/json-schema.js'

let ws: ProtocolWorkspace
let p: Protocol
let config: Config
let snap: Hex

beforeAll(async () => {
  ws = await openProtocolWorkspace('openledger-stake-')
  ;({p, config} = ws)
})
afterAll(() => ws?.close())
beforeEach(async () => {
  snap = await p.snapshot()
})
afterEach(async () => p.revert(snap))

const run = (command: {run(argv: string[], config: Config): Promise<unknown>}, argv: string[]) => ws.run(command, argv)

const account1 = () => p.accounts[1].address

describe('stake commands on the devnet', () => {
  it('deposit 10 as agent, slash refused without the role, slashed 4 by the admin, 6 left', async () => {
    const dep = await run(StakeDeposit, ['10', '--role', 'agent', '--account', '1', '--json'])
    expect(dep.exitCode).toBe(0)
    expectSchema('stake deposit', dep.json)
    expect(dep.json).toMatchObject({
      address: account1(),
      role: 'agent',
      amount: parseEther('10').toString(),
      staked: parseEther('10').toString(),
    })

    const status = await run(StakeStatus, ['--account', '1', '--json'])
    expectSchema('stake status', status.json)
    expect(status.json).toMatchObject({address: account1(), staked: parseEther('10').toString(), role: 'agent', pendingWithdrawal: '0'})

    const refused = await run(StakeSlash, [account1(), '4', '--evidence', 'ipfs://report', '--account', '2'])
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toContain(`account ${p.accounts[2].address} lacks SLASHER_ROLE on Staking`)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)

    const slashed = await run(StakeSlash, [account1(), '4', '--evidence', 'ipfs://report', '--json'])
    expect(slashed.exitCode).toBe(0)
    expectSchema('stake slash', slashed.json)
    expect(slashed.json).toMatchObject({
      staker: account1(),
      amount: parseEther('4').toString(),
      evidence: 'ipfs://report',
      staked: parseEther('6').toString(),
    })

    const human = await run(StakeStatus, ['--address', account1()])
    expect(human.stdout).toContain('staked:     6 OPEN (agent)')
  })

  it('withdraws: request, a clear refusal during the cooldown, then --complete', async () => {
    await run(StakeDeposit, ['5', '--role', 'validator', '--account', '1'])
    const requested = await run(StakeWithdraw, ['2', '--account', '1', '--json'])
    expectSchema('stake withdraw', requested.json)
    expect(requested.json).toMatchObject({
      step: 'requested',
      amount: parseEther('2').toString(),
      pendingWithdrawal: parseEther('2').toString(),
    })

    const early = await run(StakeWithdraw, ['--complete', '--account', '1', '--json'])
    expect(early.exitCode).toBe(1)
    expectSchema('stake withdraw', early.json)
    expect(early.json.error.code).toBe('E_COOLDOWN')
    expect(early.json.error.message).toContain(`it unlocks at ${requested.json.unlocksAt}`)

    await advanceTime(p, 7 * 86_400)
    const done = await run(StakeWithdraw, ['--complete', '--account', '1', '--json'])
    expectSchema('stake withdraw', done.json)
    expect(done.json).toMatchObject({step: 'completed', amount: parseEther('2').toString()})
  })

  it('refuses bad input with a usage error naming the argument', async () => {
    const bad = await run(StakeDeposit, ['ten', '--role', 'agent', '--json'])
    expect([bad.exitCode, bad.json.error.code]).toEqual([2, 'E_USAGE'])
    expect(bad.json.error.message).toMatch(/^amount "ten"/)
    const both = await run(StakeWithdraw, ['1', '--complete', '--json'])
    expect(both.exitCode).toBe(2)
    const badAddress = await run(StakeSlash, ['0xnope', '1', '--evidence', 'x', '--json'])
    expect(badAddress.json.error.message).toMatch(/^address "0xnope"/)
  })
})

describe('rewards commands on the devnet', () => {
  it('shows zero balances, refuses an empty claim, then claims staking rewards', async () => {
    const empty = await run(Rewards, ['--account', '1', '--json'])
    expectSchema('rewards', empty.json)
    expect(empty.json).toEqual({
      address: account1(),
      contributor: '0',
      modelOwner: '0',
      platform: '0',
      staker: '0',
      total: '0',
      trail: {earned: '0', records: [], unmatched: []},
    })
    const nothing = await run(RewardsClaim, ['--account', '1', '--json'])
    expect([nothing.exitCode, nothing.json.error.code]).toEqual([1, 'E_NOTHING_TO_CLAIM'])

    await run(StakeDeposit, ['1', '--role', 'agent', '--account', '1'])
    const wallet = p.wallet(5)
    const {request} = await p.publicClient.simulateContract({
      address: p.addresses.Staking,
      abi: artifacts.Staking.abi,
      functionName: 'distributeRewards',
      value: parseEther('0.3'),
      account: wallet.account,
    })
    await p.publicClient.waitForTransactionReceipt({hash: await wallet.writeContract(request)})

    const balances = await run(Rewards, ['--address', account1(), '--json'])
    expectSchema('rewards', balances.json)
    expect(balances.json).toMatchObject({staker: parseEther('0.3').toString(), total: parseEther('0.3').toString()})
    const claimed = await run(RewardsClaim, ['--account', '1', '--json'])
    expectSchema('rewards claim', claimed.json)
    expect(claimed.json).toMatchObject({
      address: account1(),
      total: parseEther('0.3').toString(),
      claims: [{source: 'staking', amount: parseEther('0.3').toString()}],
    })
  })
})

describe('contracts abi', () => {
  it('prints the ABI of every protocol contract', async () => {
    for (const name of ['DatanetRegistry', 'ModelRegistry', 'InferenceSettlement', 'Staking']) {
      const out = await run(ContractsAbi, [name, '--json'])
      expectSchema('contracts abi', out.json)
      expect(out.json).toEqual(JSON.parse(JSON.stringify(artifacts[name as keyof typeof artifacts].abi)))
    }
  })
})
