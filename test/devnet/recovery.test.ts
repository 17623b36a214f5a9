import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {type Address, type Hex, parseEther} from 'viem'
import {generatePrivateKey, privateKeyToAccount, privateKeyToAddress} from 'viem/accounts'
import {afterAll, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/env.js'
import {cli} from '../helpers/cli.js'
import {layerClients} from '../../src/devnet/clients.js'
import {type RecoveryMeta, recoveryDir} from '../../src/devnet/recovery.js'
import {jsonRpc} from '../../src/devnet/rpc.js'
import {type DevnetState, isProcessAlive} from '../../src/devnet/state.js'
import {startDevnet} from '../../src/devnet/supervisor.js'
import {readJsonFile} from '../../src/store/atomic.js'

const balance = (url: string, address: Address) => jsonRpc<Hex>(url, 'eth_getBalance', [address, 'latest']).then(BigInt)

/** Pays `to` on both chains from dev account 1; resolves with the L2 block the payment is in. */
async function payOnBothChains(state: DevnetState, to: Address): Promise<bigint> {
  const from = privateKeyToAccount(state.accounts[1].privateKey)
  const l1 = layerClients('l1', state.l1.chainId, state.l1.rpcUrl)
  const l2 = layerClients('l2', state.l2.chainId, state.l2.rpcUrl)
  const h1 = await l1.wallet(from).sendTransaction({to, value: parseEther('3')})
  const h2 = await l2.wallet(from).sendTransaction({to, value: parseEther('2')})
  await l1.public.waitForTransactionReceipt({hash: h1})
  return (await l2.public.waitForTransactionReceipt({hash: h2})).blockNumber
}

/** Waits until the saved state holds L2 block `n`. */
async function savedThrough(stateDir: string, n: bigint): Promise<void> {
  const meta = () => readJsonFile<RecoveryMeta>(join(recoveryDir(stateDir), 'meta.json'))
  await expect.poll(() => BigInt(meta()?.l2.blockNumber ?? -1), {timeout: 20_000, interval: 20}).toBeGreaterThanOrEqual(n)
}

describe('crash recovery (real anvils)', () => {
  it('an L2 anvil killed with SIGKILL: the next start resumes both chains from the last block; a clean stop forgets them', async () => {
    const tmp = tempDir()
    try {
      const first = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0, saveIntervalMs: 20})
      expect(first.state.genesis.resumed).toBeUndefined()
      const to = privateKeyToAddress(generatePrivateKey())
      const block = await payOnBothChains(first.state, to)
      await savedThrough(tmp.dir, block)
      process.kill(first.state.l2.pid, 'SIGKILL')
      expect((await first.done).reason).toBe('chain-exited')
      expect(existsSync(recoveryDir(tmp.dir))).toBe(true)

      const second = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0, saveIntervalMs: 20})
      try {
        expect(BigInt(second.state.genesis.resumed!.l2BlockNumber)).toBeGreaterThanOrEqual(block)
        expect(BigInt(second.state.genesis.resumed!.l1BlockNumber)).toBeGreaterThan(0n)
        expect(await balance(second.state.l1.rpcUrl, to)).toBe(parseEther('3'))
        expect(await balance(second.state.l2.rpcUrl, to)).toBe(parseEther('2'))
        expect(second.state.contracts).toEqual(first.state.contracts)
      } finally {
        await second.stop()
      }
      expect(existsSync(recoveryDir(tmp.dir))).toBe(false)

      const third = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0})
      try {
        expect(third.state.genesis.resumed).toBeUndefined()
        expect(await balance(third.state.l2.rpcUrl, to)).toBe(0n)
      } finally {
        await third.stop()
      }
    } finally {
      tmp.cleanup()
    }
  })

  it('--fresh starts from genesis even after a crash', async () => {
    const tmp = tempDir()
    try {
      const first = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0, saveIntervalMs: 20})
      const to = privateKeyToAddress(generatePrivateKey())
      await savedThrough(tmp.dir, await payOnBothChains(first.state, to))
      process.kill(first.state.l1.pid, 'SIGKILL')
      await first.done
      const second = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0, fresh: true})
      try {
        expect(second.state.genesis.resumed).toBeUndefined()
        expect(await balance(second.state.l2.rpcUrl, to)).toBe(0n)
      } finally {
        await second.stop()
      }
    } finally {
      tmp.cleanup()
    }
  })
})

describe('crash recovery through bin/run.js', () => {
  const tmp = tempDir()
  afterAll(async () => {
    await cli(tmp.dir, ['devnet', 'stop'])
    tmp.cleanup()
  })

  it('a supervisor killed with SIGKILL: `devnet start` says it resumed, and from which blocks', async () => {
    const start = await cli(tmp.dir, ['devnet', 'start', '--detach', '--json', '--l1-port', '0', '--l2-port', '0'])
    expect(start.exitCode, start.stderr).toBe(0)
    const state = readJsonFile<DevnetState>(join(tmp.dir, '.openledger', 'devnet.json'))!
    const to = privateKeyToAddress(generatePrivateKey())
    const block = await payOnBothChains(state, to)
    await savedThrough(join(tmp.dir, '.openledger'), block)
    process.kill(state.supervisorPid, 'SIGKILL')
    // Its anvils die with it (parent-death signal).
    await expect.poll(() => [state.l1.pid, state.l2.pid].filter(isProcessAlive), {timeout: 10_000, interval: 20}).toEqual([])

    const again = await cli(tmp.dir, ['devnet', 'start', '--detach', '--l1-port', '0', '--l2-port', '0'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/resumed from L1 block \d+, L2 block \d+ \(the last devnet did not stop cleanly/)
    const resumed = readJsonFile<DevnetState>(join(tmp.dir, '.openledger', 'devnet.json'))!
    expect(BigInt(resumed.genesis.resumed!.l2BlockNumber)).toBeGreaterThanOrEqual(block)
    expect(await balance(resumed.l2.rpcUrl, to)).toBe(parseEther('2'))

    expect((await cli(tmp.dir, ['devnet', 'stop'])).exitCode).toBe(0)
    const fresh = await cli(tmp.dir, ['devnet', 'start', '--detach', '--l1-port', '0', '--l2-port', '0'])
    expect(fresh.stdout).toMatch(/^fresh genesis$/m)
  })
})
