/**
 * Devnet start-to-ready (both chains answering, contracts deployed, accounts funded) against two
 * bare anvil processes started in the same run; cold (genesis built) and with the cached genesis;
 * plus a bridge deposit's round trip.  Run: npx tsx bench/devnet.ts
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parseEther} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {AnvilInstance} from '../src/devnet/anvil-instance.js'
import {depositToL2} from '../src/devnet/bridge/transfers.js'
import {startDevnet} from '../src/devnet/supervisor.js'
import {median, printTable, type Row} from './report.js'

/** The baseline of every devnet start-up row: two bare anvils (L1 and OP L2) started and ready. */
export async function bareAnvils(): Promise<number> {
  const t = performance.now()
  const l1 = new AnvilInstance({label: 'L1', port: 0, portFlag: '-', chainId: 31_337})
  const l2 = new AnvilInstance({label: 'L2', port: 0, portFlag: '-', chainId: 16_121_337, optimism: true})
  await Promise.all([l1.start(), l2.start()])
  const ms = performance.now() - t
  await Promise.all([l1.stop(), l2.stop()])
  return ms
}

export async function benchDevnet(runs = 7): Promise<Row[]> {
  const work = mkdtempSync(join(tmpdir(), 'openledger-bench-'))
  const previousCache = process.env.OPENLEDGER_CACHE_DIR
  process.env.OPENLEDGER_CACHE_DIR = join(work, 'cache')
  try {
    const bare: number[] = []
    const cold: number[] = []
    const cached: number[] = []
    for (let i = 0; i < runs; i++) {
      bare.push(await bareAnvils())
      let t = performance.now()
      let d = await startDevnet({stateDir: join(work, 'state'), l1Port: 0, l2Port: 0, fresh: true})
      cold.push(performance.now() - t)
      await d.stop()
      t = performance.now()
      d = await startDevnet({stateDir: join(work, 'state'), l1Port: 0, l2Port: 0})
      cached.push(performance.now() - t)
      await d.stop()
    }
    const d = await startDevnet({stateDir: join(work, 'state'), l1Port: 0, l2Port: 0})
    const deposits: number[] = []
    const sender = privateKeyToAccount(d.state.accounts[1].privateKey)
    for (let i = 0; i < 20; i++) {
      const t = performance.now()
      await depositToL2(d.state, sender, parseEther('1'), undefined, {stateDir: join(work, 'state')})
      deposits.push(performance.now() - t)
    }
    await d.stop()
    const base = median(bare)
    return [
      {name: 'two bare anvils (L1 + OP L2) to ready', ms: base, baseline: base},
      {name: 'devnet start, cold (deploy + fund + cache)', ms: median(cold), baseline: base},
      {name: 'devnet start, cached genesis (target ≤ 1000 ms)', ms: median(cached), baseline: base},
      {name: 'bridge deposit L1 → L2 credited (median of 20)', ms: median(deposits)},
    ]
  } finally {
    if (previousCache === undefined) delete process.env.OPENLEDGER_CACHE_DIR
    else process.env.OPENLEDGER_CACHE_DIR = previousCache
    rmSync(work, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printTable('devnet', await benchDevnet())
