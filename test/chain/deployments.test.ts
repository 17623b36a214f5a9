import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {localAddresses} from '../../src/chain/deployments.js'
import {TESTNET_CHAIN_ID} from '../../src/chain/network-names.js'
import {cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'

const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

/** A devnet.json as the supervisor writes it; `supervisorPid` decides whether it counts as running. */
function writeDevnetJson(stateDir: string, supervisorPid: number) {
  mkdirSync(stateDir, {recursive: true})
  const chain = (port: number, chainId: number) => ({rpcUrl: `http://127.0.0.1:${port}`, chainId, port, pid: supervisorPid})
  writeFileSync(
    join(stateDir, 'devnet.json'),
    JSON.stringify({
      version: 1,
      supervisorPid,
      startedAt: new Date().toISOString(),
      l1: chain(1, 31_337),
      l2: chain(2, 16_121_337),
      contracts: {OpenToken: TOKEN},
      deployments: [{name: 'OpenToken', chain: 'l2', address: TOKEN}],
      accounts: [],
      roles: {admin: TOKEN, treasury: TOKEN, relayer: TOKEN},
      genesis: {key: 'k', fromCache: true},
      snapshots: {},
    }),
  )
}

describe('contract addresses from local state', () => {
  const temps: Array<() => void> = []
  const temp = () => {
    const t = tempDir('openledger-deployments-')
    temps.push(t.cleanup)
    return t.dir
  }
  afterEach(() => {
    for (const cleanup of temps.splice(0)) cleanup()
  })

  it('reads the running devnet, ignores a stale one, and reads deployments/<chainId>.json for public networks', () => {
    const dir = temp()
    expect(localAddresses({stateDir: dir})).toBeUndefined()
    writeDevnetJson(dir, process.pid)
    expect(localAddresses({stateDir: dir})?.contracts).toEqual({OpenToken: TOKEN})
    expect(localAddresses({stateDir: dir})?.devnet?.deployments).toEqual([{name: 'OpenToken', chain: 'l2', address: TOKEN}])
    // An RPC URL's chain id is known only to its node: left to resolveChain.
    expect(localAddresses({stateDir: dir, rpcUrl: 'http://127.0.0.1:1'})).toBeUndefined()

    const stale = temp()
    writeDevnetJson(stale, 2 ** 22 + 12_345)
    expect(localAddresses({stateDir: stale})).toBeUndefined()

    const pub = temp()
    mkdirSync(join(pub, 'deployments'))
    writeFileSync(join(pub, 'deployments', `${TESTNET_CHAIN_ID}.json`), JSON.stringify({OpenToken: TOKEN}))
    expect(localAddresses({stateDir: pub, network: 'testnet'})).toEqual({contracts: {OpenToken: TOKEN}})
    expect(localAddresses({stateDir: pub, network: 'mainnet'})).toEqual({contracts: {}})
  })

  it('`contracts list` shows the addresses of the running devnet through the CLI', async () => {
    const cwd = temp()
    writeDevnetJson(join(cwd, '.openledger'), process.pid)
    const r = await cli(cwd, ['contracts', 'list', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    const entries = JSON.parse(r.stdout) as Array<{name: string; chain?: string; address?: string}>
    expect(entries.find((e) => e.name === 'OpenToken')).toEqual({name: 'OpenToken', chain: 'l2', address: TOKEN})
    expect(entries.find((e) => e.name !== 'OpenToken' && e.address !== undefined)).toBeUndefined()
  })
})
