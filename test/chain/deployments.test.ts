import {mkdirSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {deploymentDirForChain, localAddresses} from '../../src/chain/deployments.js'
import {MAINNET_CHAIN_ID, TESTNET_CHAIN_ID} from '../../src/chain/network-names.js'
import {cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'

const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

/** A deployment folder as `openledger deploy` (Ignition) leaves it: journal first line, then addresses. */
function writeDeployment(projectDir: string, id: string, chainId: number, addresses: Record<string, string>, mtime?: Date) {
  const dir = join(projectDir, 'deployments', id)
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, 'journal.jsonl'), `\n${JSON.stringify({chainId, type: 'DEPLOYMENT_INITIALIZE'})}\n{"type":"RUN_START"}`)
  writeFileSync(join(dir, 'deployed_addresses.json'), JSON.stringify(addresses))
  if (mtime) utimesSync(join(dir, 'deployed_addresses.json'), mtime, mtime)
  return dir
}

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

  it('reads the running devnet, ignores a stale one, and reads the older .openledger/deployments/<chainId>.json for public networks', () => {
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

  it("reads `openledger deploy`'s deployments/<id>/deployed_addresses.json beside the state folder: the latest written for the journal's chain id", () => {
    const project = temp()
    const state = join(project, '.openledger')
    const A = '0x8AbA13d577e5Edc9a5d3D3F04C6B1967Ea9eDC98'
    const B = '0x380AfD352C4419263Af877Da83bC21f4B3F15b7F'
    const C = '0xeeFbd0c23018ca398E6188cCF23bBd6B4584b9b1'
    expect(localAddresses({stateDir: state, network: 'testnet'})).toEqual({contracts: {}})
    // A folder named for the testnet but journaled on another chain is not the testnet's.
    writeDeployment(project, String(TESTNET_CHAIN_ID), 999, {'OpenLedger#Staking': C})
    expect(localAddresses({stateDir: state, network: 'testnet'})).toEqual({contracts: {}})
    const byId = writeDeployment(project, 'staging', TESTNET_CHAIN_ID, {'OpenLedger#DatanetRegistry': A}, new Date(2_000_000_000_000))
    writeDeployment(project, 'older', TESTNET_CHAIN_ID, {'OpenLedger#DatanetRegistry': B}, new Date(1_000_000_000_000))
    expect(deploymentDirForChain(state, TESTNET_CHAIN_ID)).toBe(byId)
    expect(localAddresses({stateDir: state, network: 'testnet'})).toEqual({contracts: {DatanetRegistry: A}})
    // A redeployment under another id, written later, takes over from deployments/<chainId>.
    writeDeployment(project, String(MAINNET_CHAIN_ID), MAINNET_CHAIN_ID, {'OpenLedger#Staking': A}, new Date(1_000_000_000_000))
    const later = writeDeployment(project, 'main-v2', MAINNET_CHAIN_ID, {'OpenLedger#Staking': B, 'OpenLedger#DatanetRegistry': C})
    expect(deploymentDirForChain(state, MAINNET_CHAIN_ID)).toBe(later)
    expect(localAddresses({stateDir: state, network: 'mainnet'})).toEqual({contracts: {Staking: B, DatanetRegistry: C}})
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
