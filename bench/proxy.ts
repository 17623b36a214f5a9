/**
 * The devnet L2's RPC proxy (src/devnet/proxy/): what it adds to a JSON-RPC call, measured against
 * the same calls sent straight to the same anvil in the same run. Run: npx tsx bench/proxy.ts
 */
import {Agent, request} from 'node:http'

import {AnvilInstance} from '../src/devnet/anvil-instance.js'
import {RpcProxy} from '../src/devnet/proxy/rpc-proxy.js'
import {median, printTable, type Row} from './report.js'

const agent = new Agent({keepAlive: true})

function post(url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, {method: 'POST', agent, headers: {'content-type': 'application/json'}}, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** ms for `calls` sequential requests of `body`. */
async function time(url: string, body: string, calls: number): Promise<number> {
  const t = performance.now()
  for (let i = 0; i < calls; i++) await post(url, body)
  return performance.now() - t
}

export async function benchProxy(repeats = 7, calls = 500): Promise<Row[]> {
  const anvil = new AnvilInstance({label: 'L2', port: 0, portFlag: '-', chainId: 16_121_337, optimism: true})
  await anvil.start()
  const proxy = new RpcProxy({upstream: anvil.rpcUrl, port: 0, portFlag: '-'})
  await proxy.start()
  try {
    const single = JSON.stringify({jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: []})
    const batch = JSON.stringify(Array.from({length: 20}, (_, id) => ({jsonrpc: '2.0', id, method: 'eth_chainId', params: []})))
    const raw = JSON.stringify({jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0x7e00']})
    const rows: Record<string, {direct: number[]; proxied: number[]}> = {
      single: {direct: [], proxied: []},
      batch: {direct: [], proxied: []},
    }
    const refused: number[] = []
    await time(proxy.rpcUrl, single, 50) // warm both paths' sockets
    await time(anvil.rpcUrl, single, 50)
    for (let r = 0; r < repeats; r++) {
      rows.single.direct.push(await time(anvil.rpcUrl, single, calls))
      rows.single.proxied.push(await time(proxy.rpcUrl, single, calls))
      rows.batch.direct.push(await time(anvil.rpcUrl, batch, calls / 5))
      rows.batch.proxied.push(await time(proxy.rpcUrl, batch, calls / 5))
      refused.push(await time(proxy.rpcUrl, raw, calls))
    }
    const per = (xs: number[], n: number) => median(xs) / n
    const min = (xs: number[], n: number) => Math.min(...xs) / n
    const note = (xs: number[], base: number[], n: number) => `min ${(min(xs, n) / min(base, n)).toFixed(2)}×, median of ${repeats}`
    return [
      {name: 'eth_blockNumber straight to anvil (per call)', ms: per(rows.single.direct, calls), baseline: per(rows.single.direct, calls)},
      {
        name: 'eth_blockNumber through the proxy (per call)',
        ms: per(rows.single.proxied, calls),
        baseline: per(rows.single.direct, calls),
        note: note(rows.single.proxied, rows.single.direct, calls),
      },
      {
        name: 'batch of 20 through the proxy (per batch)',
        ms: per(rows.batch.proxied, calls / 5),
        baseline: per(rows.batch.direct, calls / 5),
        note: note(rows.batch.proxied, rows.batch.direct, calls / 5),
      },
      {name: 'a deposit refused by the proxy (per call)', ms: per(refused, calls), baseline: per(rows.single.direct, calls)},
    ]
  } finally {
    agent.destroy()
    await proxy.stop()
    await anvil.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printTable('proxy', await benchProxy())
