/**
 * The bridge's user-visible latencies on the devnet, each against an L1 ERC-20 transfer (send +
 * receipt) measured in the same run: a deposit credited on the L2; a withdrawal from its L2
 * transaction to proven on L1 (the relayer's output proposal included; the finalization period,
 * a fixed wait, excluded); and how soon after an L2 block its output root is proposed.
 * Run: npm run bench -- bridge
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {erc20Abi, parseEther} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {L2OutputOracle} from '../src/contracts/bedrock/index.js'
import {depositToL2} from '../src/devnet/bridge/deposit.js'
import {bridgeClients, devnetBridgeEndpoints} from '../src/devnet/bridge/endpoints.js'
import {withdrawToL1} from '../src/devnet/bridge/withdraw.js'
import {startDevnet} from '../src/devnet/supervisor.js'
import {poll} from '../src/util/poll.js'
import {median, printTable, type Row} from './report.js'

export async function benchBridge(runs = 15): Promise<Row[]> {
  const work = mkdtempSync(join(tmpdir(), 'openledger-bench-bridge-'))
  const previousCache = process.env.OPENLEDGER_CACHE_DIR
  process.env.OPENLEDGER_CACHE_DIR = join(work, 'cache')
  const stateDir = join(work, 'state')
  const devnet = await startDevnet({stateDir, l1Port: 0, l2Port: 0})
  try {
    const endpoints = devnetBridgeEndpoints(devnet.state)
    const {l1, l2} = bridgeClients(endpoints, 5)
    const sender = privateKeyToAccount(devnet.state.accounts[1].privateKey)
    const other = devnet.state.accounts[2].address
    const time = async (fn: () => Promise<unknown>) => {
      const t = performance.now()
      await fn()
      return performance.now() - t
    }
    const transfers: number[] = []
    const deposits: number[] = []
    const proven: number[] = []
    const proposed: number[] = []
    for (let i = 0; i < runs; i++) {
      transfers.push(
        await time(async () => {
          const hash = await l1
            .wallet(sender)
            .writeContract({address: endpoints.token, abi: erc20Abi, functionName: 'transfer', args: [other, 1n]})
          await l1.public.waitForTransactionReceipt({hash, pollingInterval: 5})
        }),
      )
      deposits.push(await time(() => depositToL2(endpoints, sender, parseEther('1'), undefined, {stateDir})))
      // maxFinalizationWaitMs 0: the command returns once proven, before the period.
      proven.push(await time(() => withdrawToL1(endpoints, sender, 1n, undefined, {stateDir, maxFinalizationWaitMs: 0})))
      const hash = await l2.wallet(sender).sendTransaction({to: other, value: 1n})
      const {blockNumber} = await l2.public.waitForTransactionReceipt({hash, pollingInterval: 5})
      proposed.push(
        await time(() =>
          poll(
            async () =>
              (await l1.public.readContract({address: endpoints.oracle, abi: L2OutputOracle.abi, functionName: 'latestBlockNumber'})) >=
                blockNumber || undefined,
            {timeoutMs: 30_000, intervalMs: 2},
          ),
        ),
      )
    }
    const base = median(transfers)
    const min = (xs: number[]) => Math.min(...xs)
    return [
      {name: `L1 ERC-20 transfer, send + receipt (median of ${runs})`, ms: base, baseline: base, note: `min ${min(transfers).toFixed(1)}`},
      {name: 'bridge deposit: L1 deposit → credited on L2', ms: median(deposits), baseline: base, note: `min ${min(deposits).toFixed(1)}`},
      {name: 'bridge withdraw: L2 initiate → proven on L1', ms: median(proven), baseline: base, note: `min ${min(proven).toFixed(1)}`},
      {name: 'L2 block mined → its output root proposed', ms: median(proposed), baseline: base, note: `min ${min(proposed).toFixed(1)}`},
    ]
  } finally {
    await devnet.stop()
    if (previousCache === undefined) delete process.env.OPENLEDGER_CACHE_DIR
    else process.env.OPENLEDGER_CACHE_DIR = previousCache
    rmSync(work, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printTable('bridge', await benchBridge())
