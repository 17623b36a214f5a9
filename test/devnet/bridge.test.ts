import {encodeFunctionData, erc20Abi, parseEther, parseEventLogs} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'
import {getSourceHash, getWithdrawalStatus} from 'viem/op-stack'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {join} from 'node:path'

import {execa} from 'execa'

import {BIN, cli} from '../helpers/cli.js'
import '../helpers/env.js'
import {TEST_CACHE_DIR, tempDir} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'
import {L1Block, OptimismPortal, SystemConfig} from '../../src/contracts/bedrock/index.js'
import {depositRequest, depositToL2} from '../../src/devnet/bridge/deposit.js'
import {devnetRelayer} from '../../src/devnet/bridge/devnet-relayer.js'
import {bridgeClients, devnetBridgeEndpoints} from '../../src/devnet/bridge/endpoints.js'
import {BridgeJournal, signAndRecord} from '../../src/devnet/bridge/journal.js'
import {bridgeStatus} from '../../src/devnet/bridge/status.js'
import {withdrawToL1} from '../../src/devnet/bridge/withdraw.js'
import {anvilClient} from '../../src/chain/anvil.js'
import {readJsonFile} from '../../src/store/atomic.js'
import {poll} from '../../src/util/poll.js'
import type {BridgeOperation} from '../../src/devnet/bridge/journal.js'
import {GENESIS_L2_OPEN} from '../../src/devnet/genesis.js'
import {type RunningDevnet, startDevnet} from '../../src/devnet/supervisor.js'

describe('the OP Stack bridge on the devnet (OptimismPortal, OPEN as the custom gas token)', () => {
  const tmp = tempDir()
  // The folder's own state dir, so the CLI run in tmp.dir finds this devnet as a user's would.
  const stateDir = join(tmp.dir, '.openledger')
  let devnet: RunningDevnet

  beforeAll(async () => {
    devnet = await startDevnet({stateDir, l1Port: 0, l2Port: 0})
  })
  afterAll(async () => {
    await devnet?.stop()
    tmp.cleanup()
  })

  const endpoints = () => devnetBridgeEndpoints(devnet.state)
  const clients = () => bridgeClients(endpoints())
  const account = (i: number) => privateKeyToAccount(devnet.state.accounts[i].privateKey)
  const openOnL1 = (address: `0x${string}`) =>
    clients().l1.public.readContract({address: endpoints().token, abi: erc20Abi, functionName: 'balanceOf', args: [address]})
  const locked = () => clients().l1.public.readContract({address: endpoints().portal, abi: OptimismPortal.abi, functionName: 'balance'})

  it('runs OP’s own contracts: portal 2.8.1-beta.1 with OPEN as the gas paying token on both layers', async () => {
    const {l1, l2} = clients()
    const c = devnet.state.contracts
    expect(await l1.public.readContract({address: c.OptimismPortal, abi: OptimismPortal.abi, functionName: 'version'})).toBe('2.8.1-beta.1')
    const [token, decimals] = await l1.public.readContract({address: c.SystemConfig, abi: SystemConfig.abi, functionName: 'gasPayingToken'})
    expect([token, decimals]).toEqual([c.OpenToken, 18])
    // Set on the L2 by the system deposit the portal emitted when SystemConfig was initialized.
    expect(await l2.public.readContract({address: c.L1Block, abi: L1Block.abi, functionName: 'gasPayingToken'})).toEqual([c.OpenToken, 18])
    expect(await locked()).toBe(GENESIS_L2_OPEN * BigInt(devnet.state.accounts.length))
  })

  it('bridge deposit 5 moves exactly 5 OPEN through depositERC20Transaction, credited by the derived deposit transaction', async () => {
    const {l1, l2} = clients()
    const from = account(1)
    const to = devnet.state.accounts[3].address
    const [l1Before, l2Before, lockedBefore] = await Promise.all([openOnL1(from.address), l2.public.getBalance({address: to}), locked()])
    const r = await depositToL2(devnet.state, from, parseEther('5'), to, {stateDir})
    expect(r.resumed).toBe(false)
    expect(await openOnL1(from.address)).toBe(l1Before - parseEther('5'))
    expect(await locked()).toBe(lockedBefore + parseEther('5'))
    expect(await l2.public.getBalance({address: to})).toBe(l2Before + parseEther('5'))

    const receipt = await l1.public.getTransactionReceipt({hash: r.l1TxHash})
    const [log] = parseEventLogs({abi: OptimismPortal.abi, eventName: 'TransactionDeposited', logs: receipt.logs})
    expect(log.args).toMatchObject({from: from.address, to})
    const tx = await l2.public.getTransaction({hash: r.l2TxHash})
    expect(tx.type).toBe('deposit')
    expect(tx).toMatchObject({
      sourceHash: getSourceHash({domain: 'userDeposit', l1BlockHash: log.blockHash, l1LogIndex: log.logIndex}),
      mint: parseEther('5'),
      value: parseEther('5'),
    })
    expect(await bridgeStatus(endpoints(), r.l1TxHash)).toMatchObject({kind: 'deposit', stage: 'credited', l2TxHash: r.l2TxHash})
  })

  it('bridge withdraw 2: initiated on L2, proven against a proposed output root, finalized; L1 receives exactly 2', async () => {
    const {l1, l2} = clients()
    const from = account(4)
    const l1Before = await openOnL1(from.address)
    const lockedBefore = await locked()
    const r = await withdrawToL1(devnet.state, from, parseEther('2'), undefined, {stateDir})
    expect(r.stage).toBe('finalized')
    expect(r.proveTxHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await openOnL1(from.address)).toBe(l1Before + parseEther('2'))
    expect(BigInt(r.l1BalanceAfter) - BigInt(r.l1BalanceBefore)).toBe(parseEther('2'))
    expect(await locked()).toBe(lockedBefore - parseEther('2'))
    expect(
      await l1.public.readContract({
        address: endpoints().portal,
        abi: OptimismPortal.abi,
        functionName: 'finalizedWithdrawals',
        args: [r.withdrawalHash],
      }),
    ).toBe(true)
    const receipt = await l2.public.getTransactionReceipt({hash: r.l2TxHash})
    expect(await getWithdrawalStatus(l1.public, {receipt, targetChain: l2.chain as never})).toBe('finalized')
    expect(await bridgeStatus(endpoints(), r.l2TxHash)).toMatchObject({
      kind: 'withdrawal',
      stage: 'finalized',
      withdrawalHash: r.withdrawalHash,
    })
  })

  it('a deposit killed after it was journalled is finished by the rerun, never paid twice', async () => {
    const {l1, l2} = clients()
    const from = account(2)
    const to = from.address
    const amount = parseEther('3')
    const [l1Before, l2Before, nonceBefore] = await Promise.all([
      openOnL1(from.address),
      l2.public.getBalance({address: to}),
      l1.public.getTransactionCount({address: from.address}),
    ])
    // The state a run killed between "journal written" and "broadcast" leaves: the allowance is in
    // place, the deposit is signed and recorded, the chain has never seen it.
    await l1
      .wallet(from)
      .writeContract({address: endpoints().token, abi: erc20Abi, functionName: 'approve', args: [endpoints().portal, amount]})
    const journal = new BridgeJournal(stateDir)
    const op = journal.start({
      kind: 'deposit',
      from: from.address,
      to,
      amount: amount.toString(),
      l1ChainId: devnet.state.l1.chainId,
      l2ChainId: devnet.state.l2.chainId,
    })
    const recorded = await signAndRecord(journal, op, 'deposit', l1, from, depositRequest(endpoints(), to, amount))

    const first = await depositToL2(devnet.state, from, amount, to, {stateDir})
    expect(first.resumed).toBe(true)
    expect(first.l1TxHash).toBe(recorded.hash)
    // Killed again after the broadcast (journal says pending): the rerun finds the receipt.
    const again = new BridgeJournal(stateDir)
    again.operations.find((o) => o.id === op.id)!.status = 'pending'
    again.save()
    const second = await depositToL2(devnet.state, from, amount, to, {stateDir})
    expect(second).toMatchObject({resumed: true, l1TxHash: recorded.hash, l2TxHash: first.l2TxHash})

    // Two L1 transactions in all: the approve and the one recorded deposit.
    expect(await l1.public.getTransactionCount({address: from.address})).toBe(nonceBefore + 2)
    expect(await openOnL1(from.address)).toBe(l1Before - amount)
    const l2Receipt = await l2.public.getTransactionReceipt({hash: first.l2TxHash})
    expect(l2Receipt.status).toBe('success')
    expect(await l2.public.getBalance({address: to})).toBe(l2Before + amount)
  })

  it('a journalled deposit whose nonce went to another transaction is dropped and sent afresh, once', async () => {
    const {l1} = clients()
    const from = account(7)
    const amount = parseEther('1')
    const l1Before = await openOnL1(from.address)
    const journal = new BridgeJournal(stateDir)
    const op = journal.start({
      kind: 'deposit',
      from: from.address,
      to: from.address,
      amount: amount.toString(),
      l1ChainId: devnet.state.l1.chainId,
      l2ChainId: devnet.state.l2.chainId,
    })
    const recorded = await signAndRecord(journal, op, 'approve', l1, from, {
      to: endpoints().token,
      data: encodeFunctionData({abi: erc20Abi, functionName: 'approve', args: [endpoints().portal, amount]}),
    })
    // Another transaction takes the recorded nonce: the journalled one can never be mined.
    await l1.wallet(from).sendTransaction({to: from.address, value: 0n, nonce: recorded.nonce})
    const r = await depositToL2(devnet.state, from, amount, from.address, {stateDir})
    expect(r.resumed).toBe(true)
    expect(await openOnL1(from.address)).toBe(l1Before - amount)
    const saved = new BridgeJournal(stateDir).operations.find((o) => o.id === op.id)!
    expect(saved.status).toBe('done')
    expect(saved.txs[`approve@dropped-${recorded.nonce}`]?.status).toBe('dropped')
  })

  it('through the CLI: bridge deposit 5, bridge withdraw 2 and bridge status, each --json as its schema says', async () => {
    const who = devnet.state.accounts[5].address
    const [l1Before, l2Before] = await Promise.all([openOnL1(who), clients().l2.public.getBalance({address: who})])
    const deposit = await cli(tmp.dir, ['bridge', 'deposit', '5', '--account', '5', '--json'])
    expect(deposit.exitCode, deposit.stderr).toBe(0)
    expectSchema('bridge deposit', deposit.json)
    expect(deposit.json).toMatchObject({from: who, to: who, amount: parseEther('5').toString(), resumed: false})
    expect(await openOnL1(who)).toBe(l1Before - parseEther('5'))
    expect(await clients().l2.public.getBalance({address: who})).toBe(l2Before + parseEther('5'))

    const withdraw = await cli(tmp.dir, ['bridge', 'withdraw', '2', '--account', '5', '--json'])
    expect(withdraw.exitCode, withdraw.stderr).toBe(0)
    expectSchema('bridge withdraw', withdraw.json)
    expect(withdraw.json).toMatchObject({stage: 'finalized', to: who, amount: parseEther('2').toString()})
    expect(await openOnL1(who)).toBe(l1Before - parseEther('5') + parseEther('2'))

    for (const [tx, kind, stage] of [
      [withdraw.json.l2TxHash, 'withdrawal', 'finalized'],
      [deposit.json.l1TxHash, 'deposit', 'credited'],
    ]) {
      const status = await cli(tmp.dir, ['bridge', 'status', tx, '--json'])
      expect(status.exitCode, status.stderr).toBe(0)
      expectSchema('bridge status', status.json)
      expect(status.json).toMatchObject({kind, stage})
    }
    const bad = await cli(tmp.dir, ['bridge', 'status', '0x1234'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('"0x1234" is not 32 bytes of hex')
  })

  it('doctor --network reads the portal’s version and gas paying token live (the devnet standing in for testnet)', async () => {
    const c = devnet.state.contracts
    const asTestnet = await cli(tmp.dir, [
      'doctor',
      '--network',
      'testnet',
      '--l1-rpc-url',
      devnet.state.l1.rpcUrl,
      '--portal',
      c.OptimismPortal,
      '--json',
    ])
    expectSchema('doctor', asTestnet.json)
    expect(asTestnet.json.bridge).toMatchObject({
      l1ChainId: devnet.state.l1.chainId,
      portal: c.OptimismPortal,
      version: '2.8.1-beta.1',
      oracle: c.L2OutputOracle,
      systemConfig: c.SystemConfig,
      gasPayingToken: {address: c.OpenToken, decimals: 18, symbol: 'OPEN'},
    })
    const names = (asTestnet.json.checks as Array<{name: string; ok: boolean}>).filter((x) => x.name.startsWith('testnet:'))
    expect(names.map((x) => [x.name, x.ok])).toEqual([
      ['testnet:portal', true],
      ['testnet:gas-token', true],
      ['testnet:oracle', true],
    ])
    const devnetRun = await cli(tmp.dir, ['doctor', '--network', 'devnet', '--json'])
    expect(devnetRun.json.checks).toContainEqual(expect.objectContaining({name: 'devnet:l2-gas-token', ok: true}))
    // Not a portal at all: one clear failed check, no crash.
    const wrong = await cli(tmp.dir, [
      'doctor',
      '--network',
      'testnet',
      '--l1-rpc-url',
      devnet.state.l1.rpcUrl,
      '--portal',
      c.OpenToken,
      '--json',
    ])
    expect(wrong.exitCode).toBe(1)
    expect(wrong.json.checks).toContainEqual(expect.objectContaining({name: 'testnet:portal', ok: false}))
  })

  it('the relayer talks to the L2 node by the private URL the state names (the public one refuses deposits)', async () => {
    const {l1} = clients()
    // A public URL nobody answers on: every L2 call the relayer makes must go to internalRpcUrl.
    const state = {
      ...devnet.state,
      l2: {...devnet.state.l2, rpcUrl: 'http://127.0.0.1:9', internalRpcUrl: devnet.state.l2.internalRpcUrl ?? devnet.state.l2.rpcUrl},
    }
    // Deposits only: the devnet's own relayer proposes outputs with the same account.
    const relayer = devnetRelayer(state, devnet.state.accounts[9].privateKey, {maxOutputsPerTick: 0})
    await relayer.skipToHeads()
    const from = account(8)
    await l1
      .wallet(from)
      .writeContract({address: endpoints().token, abi: erc20Abi, functionName: 'approve', args: [endpoints().portal, 7n]})
    const hash = await l1.wallet(from).writeContract({
      address: endpoints().portal,
      abi: OptimismPortal.abi,
      functionName: 'depositERC20Transaction',
      args: [from.address, 7n, 7n, 100_000n, false, '0x'],
    })
    await l1.public.waitForTransactionReceipt({hash})
    // Whichever relayer gets there first (this one or the devnet's own), the deposit is credited once.
    await relayer.tick()
    expect(await bridgeStatus(endpoints(), hash)).toMatchObject({kind: 'deposit', stage: 'credited', amount: '7'})
    expect(() => devnetRelayer({...state, l2: {...state.l2, internalRpcUrl: undefined}}, devnet.state.accounts[9].privateKey)).not.toThrow()
    await expect(
      devnetRelayer({...state, l2: {...state.l2, internalRpcUrl: undefined}}, devnet.state.accounts[9].privateKey).tick(),
    ).rejects.toThrow()
  })

  it('bridge deposit killed (SIGKILL) once its transaction is journalled: the rerun moves the amount exactly once', async () => {
    const who = devnet.state.accounts[6].address
    const {l1, l2} = clients()
    const [l1Before, l2Before] = await Promise.all([openOnL1(who), l2.public.getBalance({address: who})])
    const run = execa(process.execPath, [BIN, 'bridge', 'deposit', '4', '--account', '6', '--json'], {
      cwd: tmp.dir,
      reject: false,
      env: {NO_COLOR: '1', NODE_ENV: 'production', OPENLEDGER_CACHE_DIR: TEST_CACHE_DIR},
    })
    const journalled = () =>
      readJsonFile<BridgeOperation[]>(join(stateDir, 'bridge', 'journal.json'))?.find(
        (o) => o.status === 'pending' && o.from === who && o.amount === parseEther('4').toString() && o.txs.deposit,
      )
    await poll(() => journalled(), {timeoutMs: 60_000, intervalMs: 1})
    run.kill('SIGKILL')
    await run
    const rerun = await cli(tmp.dir, ['bridge', 'deposit', '4', '--account', '6', '--json'])
    expect(rerun.exitCode, rerun.stderr).toBe(0)
    expect(rerun.json).toMatchObject({resumed: true})
    expect(await openOnL1(who)).toBe(l1Before - parseEther('4'))
    expect(await l2.public.getBalance({address: who})).toBe(l2Before + parseEther('4'))
    const deposits = await l1.public.getContractEvents({
      address: endpoints().portal,
      abi: OptimismPortal.abi,
      eventName: 'TransactionDeposited',
      args: {from: who},
      fromBlock: 0n,
    })
    // Genesis funded every account by a deposit from account 0; this account deposited once, now.
    expect(deposits).toHaveLength(1)
  })
})

describe('a long finalization period (devnet start --finalization-period)', () => {
  const tmp = tempDir()
  let devnet: RunningDevnet
  beforeAll(async () => {
    devnet = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0, finalizationPeriodSeconds: 3600})
  })
  afterAll(async () => {
    await devnet?.stop()
    tmp.cleanup()
  })

  it('stops once proven, says when; after the L1 clock passes the period the rerun finalizes, paying exactly once', async () => {
    const endpoints = devnetBridgeEndpoints(devnet.state)
    const {l1} = bridgeClients(endpoints)
    const from = privateKeyToAccount(devnet.state.accounts[3].privateKey)
    const l1Open = () => l1.public.readContract({address: endpoints.token, abi: erc20Abi, functionName: 'balanceOf', args: [from.address]})
    const before = await l1Open()
    const first = await withdrawToL1(devnet.state, from, parseEther('1'), undefined, {stateDir: tmp.dir})
    expect(first.stage).toBe('waiting-to-finalize')
    expect(first.l1TxHash).toBeUndefined()
    const waitS = (Date.parse(first.finalizableAt!) - Date.now()) / 1000
    expect(waitS).toBeGreaterThan(3500)
    expect(waitS).toBeLessThan(3700)
    expect(await bridgeStatus(endpoints, first.l2TxHash)).toMatchObject({stage: 'waiting-to-finalize'})
    expect(await l1Open()).toBe(before)

    // Move the L1 clock past the period (what `devnet time advance 1h` does) and run it again.
    await anvilClient(l1.chain).increaseTime({seconds: 3601})
    await anvilClient(l1.chain).mine({blocks: 1})
    const second = await withdrawToL1(devnet.state, from, parseEther('1'), undefined, {stateDir: tmp.dir})
    expect(second).toMatchObject({stage: 'finalized', resumed: true, withdrawalHash: first.withdrawalHash, proveTxHash: first.proveTxHash})
    expect(await l1Open()).toBe(before + parseEther('1'))
  })
})
