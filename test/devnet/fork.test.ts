import {createRequire} from 'node:module'

import {type Address, type Hex, encodeFunctionData, getAddress, erc20Abi, keccak256, numberToHex, parseEther, stringToHex} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/env.js'
import {cli} from '../helpers/cli.js'
import {DEV_ROLES, devAccounts} from '../../src/chain/dev-accounts.js'
import {artifacts} from '../../src/contracts/artifacts/index.js'
import {AnvilInstance} from '../../src/devnet/anvil-instance.js'
import {layerClients} from '../../src/devnet/clients.js'
import {L1_BLOCK_PREDEPLOY, findBalanceSlot} from '../../src/devnet/fork.js'
import {GENESIS_L1_OPEN, GENESIS_L2_OPEN} from '../../src/devnet/genesis.js'
import {REFUSED_CODE} from '../../src/devnet/proxy/policy.js'
import {jsonRpc} from '../../src/devnet/rpc.js'
import {type RunningDevnet, startDevnet} from '../../src/devnet/supervisor.js'

const require = createRequire(import.meta.url)
const L1Block = require('@eth-optimism/contracts-bedrock/forge-artifacts/L1Block.sol/L1Block.json') as {deployedBytecode: {object: Hex}}
/** GasPayingToken.sol: bytes32(uint256(keccak256("opstack.gaspayingtoken")) - 1). */
const GAS_PAYING_TOKEN_SLOT = numberToHex(BigInt(keccak256(stringToHex('opstack.gaspayingtoken'))) - 1n, {size: 32})

const T0 = 1_900_000_000
const word = (v: bigint) => numberToHex(v, {size: 32})

/**
 * Two anvils standing in for a live network: an L1 with OPEN deployed and blocks every 12 s, and an
 * OP L2 (blocks every 2 s) whose L1Block predeploy appears at block 6 and names its L1 origin and
 * OPEN as its gas paying token, as OP Stack's derivation sets them.
 */
async function standIns() {
  const l1 = new AnvilInstance({label: 'remote L1', port: 0, portFlag: '-', chainId: 11_155_111})
  const l2 = new AnvilInstance({label: 'remote L2', port: 0, portFlag: '-', chainId: 161_201, optimism: true, balance: 0})
  await Promise.all([l1.start(), l2.start()])
  const admin = privateKeyToAccount(devAccounts()[DEV_ROLES.admin].privateKey)
  const l1Clients = layerClients('l1', 11_155_111, l1.rpcUrl)
  const hash = await l1Clients.wallet(admin).deployContract({
    abi: artifacts.OpenToken.abi,
    bytecode: artifacts.OpenToken.bytecode as Hex,
    args: [admin.address],
  })
  const token = (await l1Clients.public.waitForTransactionReceipt({hash})).contractAddress!
  const mineAt = async (url: string, timestamp: number) => {
    await jsonRpc(url, 'evm_setNextBlockTimestamp', [timestamp])
    await jsonRpc(url, 'evm_mine')
  }
  // L1 blocks 2..10 at T0 + 12·n.
  for (let n = 2; n <= 10; n++) await mineAt(l1.rpcUrl, T0 + 12 * n)
  // L2 blocks 1..5 at T0 + 2·n + 20; then the predeploy; blocks 6..8 say their L1 origin is block 4.
  for (let n = 1; n <= 5; n++) await mineAt(l2.rpcUrl, T0 + 2 * n + 20)
  await jsonRpc(l2.rpcUrl, 'anvil_setCode', [L1_BLOCK_PREDEPLOY, L1Block.deployedBytecode.object])
  await jsonRpc(l2.rpcUrl, 'anvil_setStorageAt', [L1_BLOCK_PREDEPLOY, word(0n), word(((BigInt(T0) + 48n) << 64n) | 4n)])
  await jsonRpc(l2.rpcUrl, 'anvil_setStorageAt', [L1_BLOCK_PREDEPLOY, GAS_PAYING_TOKEN_SLOT, word((18n << 160n) | BigInt(token))])
  for (let n = 6; n <= 8; n++) await mineAt(l2.rpcUrl, T0 + 2 * n + 20)
  return {l1, l2, token}
}

describe('devnet start --fork (local anvils standing in for the remote chains)', () => {
  const tmp = tempDir()
  let remote: Awaited<ReturnType<typeof standIns>>
  let devnet: RunningDevnet | undefined

  beforeAll(async () => {
    remote = await standIns()
  })
  afterAll(async () => {
    await devnet?.stop()
    await Promise.all([remote?.l1.stop(), remote?.l2.stop()])
    tmp.cleanup()
  })

  const start = (l2Block?: number) =>
    startDevnet({
      stateDir: tmp.dir,
      l1Port: 0,
      l2Port: 0,
      fork: {network: 'stand-in', l2RpcUrl: remote.l2.rpcUrl, l1RpcUrl: remote.l1.rpcUrl, l2Block},
    })
  const head = (url: string) => jsonRpc<Hex>(url, 'eth_blockNumber').then(BigInt)
  const openOn = (url: string, token: Address, who: Address) =>
    jsonRpc<Hex>(url, 'eth_call', [
      {to: token, data: encodeFunctionData({abi: erc20Abi, functionName: 'balanceOf', args: [who]})},
      'latest',
    ]).then(BigInt)

  it('forks the L1 at the L2 block’s L1 origin (L1Block.number) and funds the dev accounts on both', async () => {
    devnet = await start(7)
    const {state} = devnet
    expect(state.fork).toEqual({
      network: 'stand-in',
      l1: {rpcUrl: remote.l1.rpcUrl, blockNumber: '4'},
      l2: {rpcUrl: remote.l2.rpcUrl, blockNumber: '7'},
    })
    expect(await head(state.l2.rpcUrl)).toBe(7n)
    expect(await head(state.l1.rpcUrl)).toBe(4n)
    // The devnet's own chain ids: nothing signed on the fork can be replayed on the real chains.
    expect(await jsonRpc(state.l2.rpcUrl, 'eth_chainId')).toBe(numberToHex(state.l2.chainId))
    expect(state.l2.chainId).not.toBe(161_201)
    expect(state.contracts.OpenToken).toBe(getAddress(remote.token))
    for (const a of state.accounts.slice(1)) {
      expect(await jsonRpc<Hex>(state.l2.rpcUrl, 'eth_getBalance', [a.address, 'latest']).then(BigInt)).toBe(GENESIS_L2_OPEN)
      expect(await openOn(state.l1.rpcUrl, remote.token, a.address)).toBe(GENESIS_L1_OPEN)
      // The remote chains are untouched.
      expect(await openOn(remote.l1.rpcUrl, remote.token, a.address)).toBe(0n)
    }
    expect(await jsonRpc(remote.l2.rpcUrl, 'eth_getBalance', [state.accounts[1].address, 'latest'])).toBe('0x0')
  })

  it('serves the forked L2 through the proxy: a forged deposit is refused there too', async () => {
    const reply = await fetch(devnet!.state.l2.rpcUrl, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0x7ef8']}),
    }).then((r) => r.json() as Promise<{error: {code: number}}>)
    expect(reply.error.code).toBe(REFUSED_CODE)
  })

  it('a dev account spends its funded OPEN on the forked L2', async () => {
    const {state} = devnet!
    const l2 = layerClients('l2', state.l2.chainId, state.l2.rpcUrl)
    const from = privateKeyToAccount(state.accounts[2].privateKey)
    const hash = await l2.wallet(from).sendTransaction({to: state.accounts[3].address, value: parseEther('1')})
    expect((await l2.public.waitForTransactionReceipt({hash})).status).toBe('success')
    await devnet!.stop()
    devnet = undefined
  })

  it('without an L1Block record, forks the L1 at the last block no later than the L2 block', async () => {
    // L2 block 3 is at T0 + 26: L1 block 2 (T0 + 24) is the last before it.
    devnet = await start(3)
    expect(devnet.state.fork?.l1.blockNumber).toBe('2')
    expect(await head(devnet.state.l1.rpcUrl)).toBe(2n)
    // No gas paying token known at that height: native balances only.
    expect(devnet.state.contracts.OpenToken).toBeUndefined()
    await devnet.stop()
    devnet = undefined
  })

  it('finds the balance slot of an OpenZeppelin ERC20', async () => {
    expect(await findBalanceSlot(remote.l1.rpcUrl, remote.token, devAccounts()[0].address)).toBe(0n)
  })

  it('refuses a fork block past the L2 head, naming the flag', async () => {
    const r = await cli(tmp.dir, [
      'devnet',
      'start',
      '--fork',
      remote.l2.rpcUrl,
      '--l1-rpc-url',
      remote.l1.rpcUrl,
      '--fork-block',
      '99',
      '--l1-port',
      '0',
      '--l2-port',
      '0',
    ])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/--fork-block 99 is past the L2's head \(block 8\)/)
  })

  it('asks for the L1 when --fork has none, and names a bad --fork', async () => {
    const noL1 = await cli(tmp.dir, ['devnet', 'start', '--fork', 'testnet'])
    expect(noL1.exitCode).toBe(2)
    expect(noL1.stderr).toMatch(/--fork needs --l1-rpc-url/)
    const bad = await cli(tmp.dir, ['devnet', 'start', '--fork', 'moon', '--l1-rpc-url', 'http://127.0.0.1:1'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/--fork must be testnet, mainnet or an http\(s\) RPC URL, not "moon"/)
  })
})
