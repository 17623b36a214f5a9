import {createServer} from 'node:net'

import {erc20Abi, formatEther, parseEther} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import '../helpers/env.js'
import {tempDir} from '../helpers/env.js'
import {OptimismPortal} from '../../src/contracts/bedrock/index.js'
import {depositToL2, withdrawToL1} from '../../src/devnet/bridge/transfers.js'
import {layerClients} from '../../src/devnet/clients.js'
import {devnetStatus, restoreDevnet, snapshotDevnet} from '../../src/devnet/control.js'
import {BRIDGE_CONTRACTS, DEPLOYMENTS} from '../../src/devnet/deployments.js'
import {GENESIS_L2_OPEN} from '../../src/devnet/genesis.js'
import {type RunningDevnet, startDevnet} from '../../src/devnet/supervisor.js'
import {isProcessAlive, readDevnetState} from '../../src/devnet/state.js'

describe('devnet (real anvil processes)', () => {
  const tmp = tempDir()
  let devnet: RunningDevnet

  beforeAll(async () => {
    devnet = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0})
  })
  afterAll(async () => {
    await devnet?.stop()
    tmp.cleanup()
  })

  const clients = () => ({
    l1: layerClients('l1', devnet.state.l1.chainId, devnet.state.l1.rpcUrl),
    l2: layerClients('l2', devnet.state.l2.chainId, devnet.state.l2.rpcUrl),
  })
  const account = (i: number) => privateKeyToAccount(devnet.state.accounts[i].privateKey)

  it('writes devnet.json with both chains, every deployment and the dev accounts', async () => {
    const state = readDevnetState(tmp.dir)!
    expect(state.supervisorPid).toBe(process.pid)
    expect(state.l2.chainId).not.toBe(1612)
    expect(state.l2.chainId).not.toBe(161_201)
    expect(Object.keys(state.contracts).sort()).toEqual(
      [...DEPLOYMENTS.map((d) => d.name), ...BRIDGE_CONTRACTS.l1, ...BRIDGE_CONTRACTS.l2].sort(),
    )
    const {l1, l2} = clients()
    for (const d of state.deployments) {
      const code = await (d.chain === 'l1' ? l1 : l2).public.getCode({address: d.address})
      expect(code && code.length > 2, `${d.name} has code on ${d.chain}`).toBe(true)
    }
  })

  it('funds the L2 only through the portal: native supply equals the OPEN locked on L1', async () => {
    const {l1, l2} = clients()
    const locked = await l1.public.readContract({
      address: devnet.state.contracts.OptimismPortal,
      abi: OptimismPortal.abi,
      functionName: 'balance',
    })
    expect(locked).toBe(GENESIS_L2_OPEN * BigInt(devnet.state.accounts.length))
    // Account 5 never sent an L2 transaction: it holds exactly its genesis deposit.
    expect(await l2.public.getBalance({address: devnet.state.accounts[5].address})).toBe(GENESIS_L2_OPEN)
    const supply = await l1.public.readContract({address: devnet.state.contracts.OpenToken, abi: erc20Abi, functionName: 'totalSupply'})
    expect(formatEther(supply)).toBe('1000000000')
  })

  it('deposits: the recipient’s L2 balance grows by exactly the amount', async () => {
    const {l2} = clients()
    const to = devnet.state.accounts[3].address
    const before = await l2.public.getBalance({address: to})
    const r = await depositToL2(devnet.state, account(1), parseEther('5'), to, {stateDir: tmp.dir})
    expect(await l2.public.getBalance({address: to})).toBe(before + parseEther('5'))
    expect(BigInt(r.l2BalanceAfter) - BigInt(r.l2BalanceBefore)).toBe(parseEther('5'))
    const tx = await l2.public.getTransaction({hash: r.l2TxHash})
    expect(tx.type).toBe('deposit')
  })

  it('refuses a deposit beyond the L1 balance, sending nothing', async () => {
    const {l1} = clients()
    const nonce = await l1.public.getTransactionCount({address: account(2).address})
    await expect(depositToL2(devnet.state, account(2), parseEther('100000000'), undefined, {stateDir: tmp.dir})).rejects.toMatchObject({
      code: 'E_INSUFFICIENT_BALANCE',
    })
    expect(await l1.public.getTransactionCount({address: account(2).address})).toBe(nonce)
  })

  it('withdraws: initiated on L2, proven and finalized on L1', async () => {
    const {l1, l2} = clients()
    const from = account(4)
    const l2Before = await l2.public.getBalance({address: from.address})
    const r = await withdrawToL1(devnet.state, from, parseEther('2'), undefined, {stateDir: tmp.dir})
    expect(BigInt(r.l1BalanceAfter) - BigInt(r.l1BalanceBefore)).toBe(parseEther('2'))
    const receipt = await l2.public.getTransactionReceipt({hash: r.l2TxHash})
    const gas = receipt.gasUsed * receipt.effectiveGasPrice + ((receipt as {l1Fee?: bigint | null}).l1Fee ?? 0n)
    expect(await l2.public.getBalance({address: from.address})).toBe(l2Before - parseEther('2') - gas)
    const finalized = await l1.public.readContract({
      address: devnet.state.contracts.OptimismPortal,
      abi: OptimismPortal.abi,
      functionName: 'finalizedWithdrawals',
      args: [r.withdrawalHash],
    })
    expect(finalized).toBe(true)
  })

  it('snapshot and restore return both chains to the same point, and deposits after a restore are still relayed', async () => {
    const {l2} = clients()
    const who = devnet.state.accounts[6].address
    const before = await l2.public.getBalance({address: who})
    await snapshotDevnet('before', tmp.dir)
    await depositToL2(devnet.state, account(6), parseEther('1'), who, {stateDir: tmp.dir})
    expect(await l2.public.getBalance({address: who})).toBe(before + parseEther('1'))
    await restoreDevnet('before', tmp.dir)
    expect(await l2.public.getBalance({address: who})).toBe(before)
    // Same height as before the restore, different block: the relayer must notice.
    await depositToL2(devnet.state, account(6), parseEther('3'), who, {stateDir: tmp.dir})
    expect(await l2.public.getBalance({address: who})).toBe(before + parseEther('3'))
    await restoreDevnet('before', tmp.dir)
    expect(await l2.public.getBalance({address: who})).toBe(before)
  })

  it('reports status with live block numbers', async () => {
    const status = await devnetStatus(tmp.dir)
    expect(status.running).toBe(true)
    if (status.running) {
      expect(Number(status.l2.blockNumber)).toBeGreaterThan(0)
      expect(status.snapshots).toContain('before')
    }
  })
})

describe('devnet failures', () => {
  it('names the flag when a port is taken, and leaves nothing running', async () => {
    const tmp = tempDir()
    const server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as {port: number}).port
    try {
      await expect(startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: port})).rejects.toMatchObject({
        code: 'E_PORT_IN_USE',
        shortMessage: `port ${port} is already in use (--l2-port)`,
      })
      expect(readDevnetState(tmp.dir)).toBeUndefined()
    } finally {
      server.close()
      tmp.cleanup()
    }
  })

  it('fails fast and cleans up when a chain dies', async () => {
    const tmp = tempDir()
    const devnet = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0})
    const {l1, l2} = devnet.state
    process.kill(l2.pid, 'SIGKILL')
    const outcome = await devnet.done
    expect(outcome.reason).toBe('chain-exited')
    expect(outcome.detail).toMatch(/L2 anvil exited/)
    expect(isProcessAlive(l1.pid)).toBe(false)
    expect(readDevnetState(tmp.dir)).toBeUndefined()
    tmp.cleanup()
  })

  it('reports a missing anvil binary in one line', async () => {
    const tmp = tempDir()
    process.env.OPENLEDGER_ANVIL_BINARY = '/nonexistent/anvil'
    try {
      await expect(startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0})).rejects.toMatchObject({code: 'E_ANVIL_NOT_FOUND'})
    } finally {
      delete process.env.OPENLEDGER_ANVIL_BINARY
      tmp.cleanup()
    }
  })

  it('50 start/stop cycles leave no anvil process behind', async () => {
    const tmp = tempDir()
    const pids: number[] = []
    try {
      for (let i = 0; i < 50; i++) {
        const devnet = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0})
        pids.push(devnet.state.l1.pid, devnet.state.l2.pid)
        await devnet.stop()
      }
      expect(pids).toHaveLength(100)
      expect(new Set(pids).size).toBe(100)
      expect(pids.filter(isProcessAlive)).toEqual([])
    } finally {
      tmp.cleanup()
    }
  }, 120_000)
})
