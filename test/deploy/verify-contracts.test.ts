// verify-contracts through bin/run.js against a local explorer API that recompiles with solc-js and
// compares the bytecode on chain (test/deploy/explorer.ts).
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveSigner} from '../../src/chain/context.js'
import {deploymentsRoot} from '../../src/chain/deployments.js'
import {deployProtocol} from '../../src/deploy/deploy.js'
import {cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'
import {type LocalExplorer, startLocalExplorer} from './explorer.js'
import {type StandIn, fundedKeystore, startTestnetStandIn} from './helpers.js'

let chain: StandIn
let explorer: LocalExplorer
let contracts: Record<string, string>
const tmp = tempDir('ol-verify-')

beforeAll(async () => {
  chain = await startTestnetStandIn()
  explorer = await startLocalExplorer(chain.rpcUrl)
  const user = await fundedKeystore(chain, tmp.dir)
  const state = join(tmp.dir, '.openledger')
  const ctx = await resolveSigner({rpcUrl: chain.rpcUrl, stateDir: state}, {OPENLEDGER_PRIVATE_KEY: user.privateKey})
  contracts = (await deployProtocol(ctx, {deploymentsRoot: deploymentsRoot(state), withOpenToken: false})).contracts
})
afterAll(async () => {
  await explorer?.close()
  await chain?.stop()
  tmp.cleanup()
})

describe('verify-contracts against a local Blockscout-compatible API', () => {
  it('verifies every contract of the deployment, then skips them all on a second run', async () => {
    const r = await cli(tmp.dir, ['verify-contracts', '--rpc-url', chain.rpcUrl, '--explorer-url', explorer.url, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expectSchema('verify-contracts', r.json)
    expect(r.json.explorerApi).toBe(`${explorer.url}/api`)
    expect(r.json.contracts).toHaveLength(Object.keys(contracts).length)
    for (const c of r.json.contracts) {
      expect(c).toEqual({name: c.name, address: contracts[c.name], contract: `${c.name}.sol:${c.name}`, status: 'verified'})
      // The explorer now serves the sources it recompiled.
      expect(explorer.verified.get(c.address.toLowerCase())?.ContractName).toBe(c.name)
    }
    const submitted = explorer.submissions.length
    expect(submitted).toBe(Object.keys(contracts).length)

    const again = await cli(tmp.dir, ['verify-contracts', '--rpc-url', chain.rpcUrl, '--explorer-url', `${explorer.url}/api`, '--json'])
    expect(again.exitCode, again.stdout).toBe(0)
    expect(again.json.contracts.map((c: {status: string}) => c.status)).toEqual(Object.keys(contracts).map(() => 'already-verified'))
    expect(explorer.submissions).toHaveLength(submitted)
  })

  it('a source that is not what was deployed fails verification, naming the contract', async () => {
    // The deployment's recorded sources, changed by one comment after it was deployed:
    // the metadata hash in the bytecode changes, and the explorer's recompilation no longer matches.
    const root = deploymentsRoot(join(tmp.dir, '.openledger'))
    const dir = join(root, '161201')
    const buildInfoDir = join(dir, 'build-info')
    const file = join(buildInfoDir, readdirSync(buildInfoDir)[0])
    const original = readFileSync(file, 'utf8')
    explorer.verified.clear()
    try {
      const info = JSON.parse(original)
      info.input.sources['DatanetRegistry.sol'].content += '\n// changed after deployment\n'
      writeFileSync(file, JSON.stringify(info))
      const r = await cli(tmp.dir, ['verify-contracts', '--rpc-url', chain.rpcUrl, '--explorer-url', explorer.url, '--json'])
      expect(r.exitCode).toBe(1)
      expectSchema('verify-contracts', r.json)
      expect(r.json.error.code).toBe('E_VERIFICATION_FAILED')
      expect(r.json.error.message).toMatch(
        /^the explorer could not verify DatanetRegistry\.sol:DatanetRegistry at 0x[0-9a-fA-F]{40}: Fail - Unable to verify/,
      )
    } finally {
      writeFileSync(file, original)
    }
  })

  it('an explorer that does not answer, no chain named, and a chain with no deployment: one clear line each', async () => {
    const down = await cli(tmp.dir, ['verify-contracts', '--rpc-url', chain.rpcUrl, '--explorer-url', 'http://127.0.0.1:1', '--json'])
    expect(down.exitCode).toBe(1)
    expect(down.json.error.message).toMatch(/^the explorer API http:\/\/127\.0\.0\.1:1\/api does not answer/)
    const noChain = await cli(tmp.dir, ['verify-contracts', '--explorer-url', explorer.url])
    expect(noChain.exitCode).toBe(2)
    expect(noChain.stderr.trim()).toBe(
      'Error: verify-contracts needs --network testnet|mainnet or --rpc-url: the chain whose deployment to verify',
    )
    const empty = tempDir('ol-verify-empty-')
    try {
      const none = await cli(empty.dir, ['verify-contracts', '--rpc-url', chain.rpcUrl, '--explorer-url', explorer.url, '--json'])
      expect(none.exitCode).toBe(3)
      expect(none.json.error.message).toMatch(/^no deployment for chain 161201 under /)
    } finally {
      empty.cleanup()
    }
  })
})
