import {gunzipSync} from 'node:zlib'

import {type Address, type Hex, erc20Abi, keccak256, parseEther} from 'viem'
import {generatePrivateKey, privateKeyToAddress} from 'viem/accounts'
import {getSourceHash, serializeTransaction} from 'viem/op-stack'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {WebSocket} from 'ws'

import {tempDir} from '../helpers/env.js'
import {layerClients} from '../../src/devnet/clients.js'
import {CHEAT_REFUSED_MESSAGE, DEPOSIT_REFUSED_MESSAGE, REFUSED_CODE, decide} from '../../src/devnet/proxy/policy.js'
import {jsonRpc} from '../../src/devnet/rpc.js'
import {type RunningDevnet, startDevnet} from '../../src/devnet/supervisor.js'
import {isProcessAlive} from '../../src/devnet/state.js'

type Reply = {id: unknown; result?: unknown; error?: {code: number; message: string}}

async function post(url: string, body: unknown): Promise<unknown> {
  const r = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})
  return r.json()
}
const call = (url: string, method: string, params: unknown[] = [], id: unknown = 1) =>
  post(url, {jsonrpc: '2.0', id, method, params}) as Promise<Reply>

/** A deposit transaction anyone could write: mints `mint` to `to` out of nothing. */
function forgedDeposit(to: Address, mint: bigint): Hex {
  return serializeTransaction({
    type: 'deposit',
    sourceHash: getSourceHash({domain: 'userDeposit', l1BlockHash: keccak256(to), l1LogIndex: 7}),
    from: to,
    to,
    mint,
    value: mint,
    gas: 100_000n,
    isSystemTx: false,
    data: '0x',
  })
}

describe('the devnet L2 behind its RPC proxy (real anvils)', () => {
  const tmp = tempDir()
  let devnet: RunningDevnet
  let publicUrl: string
  let deposit: {hash: Hex; blockHash: Hex; blockNumber: Hex; index: Hex; to: Address}

  beforeAll(async () => {
    devnet = await startDevnet({stateDir: tmp.dir, l1Port: 0, l2Port: 0})
    publicUrl = devnet.state.l2.rpcUrl
    // One of the genesis's relayed deposits, found on the chain.
    type RpcBlock = {hash: Hex; number: Hex; transactions: Array<{type: string; hash: Hex; transactionIndex: Hex; to: Address}>}
    for (let n = 1; !deposit; n++) {
      const block = await jsonRpc<RpcBlock>(publicUrl, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, true])
      const tx = block.transactions.find((t) => t.type.toLowerCase() === '0x7e')
      if (tx) deposit = {hash: tx.hash, blockHash: block.hash, blockNumber: block.number, index: tx.transactionIndex, to: tx.to}
    }
  })
  afterAll(async () => {
    await devnet?.stop()
    tmp.cleanup()
  })

  const l2Balance = (address: Address) => jsonRpc<Hex>(publicUrl, 'eth_getBalance', [address, 'latest']).then(BigInt)
  const l2Head = () => jsonRpc<Hex>(publicUrl, 'eth_blockNumber').then(BigInt)
  const l1Locked = () => {
    const l1 = layerClients('l1', devnet.state.l1.chainId, devnet.state.l1.rpcUrl)
    const c = devnet.state.contracts
    const portal = (c.OptimismPortal ?? c.OpenPortal) as Address
    return l1.public.readContract({address: c.OpenToken, abi: erc20Abi, functionName: 'balanceOf', args: [portal]})
  }

  /** Every native OPEN on the L2: the sum of all balances in the chain's state (fee vaults included). */
  const l2Supply = async () => {
    const hex = await jsonRpc<Hex>(devnet.state.l2.internalRpcUrl!, 'anvil_dumpState')
    const dump = JSON.parse(gunzipSync(Buffer.from(hex.slice(2), 'hex')).toString()) as {accounts: Record<string, {balance: Hex}>}
    return Object.values(dump.accounts).reduce((sum, a) => sum + BigInt(a.balance), 0n)
  }

  it('serves the L2 on its own port, in front of a private anvil', () => {
    const {l2} = devnet.state
    expect(l2.internalRpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(l2.internalRpcUrl).not.toBe(l2.rpcUrl)
    expect(l2.rpcUrl).toBe(`http://127.0.0.1:${l2.port}`)
  })

  it('refuses a forged deposit transaction: no OPEN appears, no block is mined', async () => {
    const who = privateKeyToAddress(generatePrivateKey())
    const [locked, head] = [await l1Locked(), await l2Head()]
    const reply = await call(publicUrl, 'eth_sendRawTransaction', [forgedDeposit(who, parseEther('1000000'))])
    expect(reply.error).toEqual({code: REFUSED_CODE, message: DEPOSIT_REFUSED_MESSAGE})
    expect(await l2Balance(who)).toBe(0n)
    expect(await l2Head()).toBe(head)
    expect(await l1Locked()).toBe(locked)
    expect(await l2Supply()).toBe(locked)
  })

  it('refuses a relayed deposit sent again: the recipient is not paid twice', async () => {
    const raw = (await call(publicUrl, 'eth_getRawTransactionByHash', [deposit.hash])).result as Hex
    const before = await l2Balance(deposit.to)
    // The same deposit under a new source hash (a replay the chain would not recognise) as well.
    const fresh = serializeTransaction({
      type: 'deposit',
      sourceHash: keccak256(raw),
      from: deposit.to,
      to: deposit.to,
      mint: parseEther('10000'),
      value: parseEther('10000'),
      gas: 100_000n,
      data: '0x',
    })
    for (const tx of [raw, fresh]) expect((await call(publicUrl, 'eth_sendRawTransaction', [tx])).error?.code).toBe(REFUSED_CODE)
    expect(await l2Balance(deposit.to)).toBe(before)
  })

  it('refuses eth_sendTransaction of type 0x7e', async () => {
    const who = devnet.state.accounts[2].address
    const before = await l2Balance(who)
    for (const tx of [
      {from: who, to: who, type: '0x7e', value: '0x1'},
      {from: who, to: who, mint: '0xde0b6b3a7640000', sourceHash: keccak256(who)},
    ]) {
      expect((await call(publicUrl, 'eth_sendTransaction', [tx])).error?.code).toBe(REFUSED_CODE)
    }
    expect(await l2Balance(who)).toBe(before)
  })

  it('refuses the cheats that would create OPEN or sign without a key; the private endpoint keeps them', async () => {
    const who = privateKeyToAddress(generatePrivateKey())
    for (const [method, params] of [
      ['anvil_setBalance', [who, '0xde0b6b3a7640000']],
      ['hardhat_setBalance', [who, '0xde0b6b3a7640000']],
      ['anvil_addBalance', [who, '0xde0b6b3a7640000']],
      ['anvil_impersonateAccount', [devnet.state.accounts[0].address]],
      ['anvil_reset', []],
    ] as const) {
      expect(await call(publicUrl, method, [...params])).toMatchObject({
        error: {code: REFUSED_CODE, message: CHEAT_REFUSED_MESSAGE(method)},
      })
    }
    expect(await l2Balance(who)).toBe(0n)
    await jsonRpc(devnet.state.l2.internalRpcUrl!, 'anvil_setBalance', [who, '0x1'])
    expect(await l2Balance(who)).toBe(1n)
    await jsonRpc(devnet.state.l2.internalRpcUrl!, 'anvil_setBalance', [who, '0x0'])
  })

  it('answers the raw-transaction methods for a deposit itself, and the L2 keeps running', async () => {
    const byHash = (await call(publicUrl, 'eth_getRawTransactionByHash', [deposit.hash])).result as Hex
    expect(byHash.slice(0, 4)).toBe('0x7e')
    expect(keccak256(byHash)).toBe(deposit.hash)
    expect((await call(publicUrl, 'debug_getRawTransaction', [deposit.hash])).result).toBe(byHash)
    expect((await call(publicUrl, 'eth_getRawTransactionByBlockHashAndIndex', [deposit.blockHash, deposit.index])).result).toBe(byHash)
    expect((await call(publicUrl, 'eth_getRawTransactionByBlockNumberAndIndex', [deposit.blockNumber, deposit.index])).result).toBe(byHash)
    expect((await call(publicUrl, 'eth_getRawTransactionByHash', [keccak256('0x01')])).result).toBeNull()
    expect(isProcessAlive(devnet.state.l2.pid)).toBe(true)
    expect(await l2Head()).toBeGreaterThan(0n)
  })

  it('passes other transactions and their raw bytes through unchanged', async () => {
    const l2 = layerClients('l2', devnet.state.l2.chainId, publicUrl)
    const {privateKeyToAccount} = await import('viem/accounts')
    const from = privateKeyToAccount(devnet.state.accounts[3].privateKey)
    const to = privateKeyToAddress(generatePrivateKey())
    const hash = await l2.wallet(from).sendTransaction({to, value: 1234n})
    await l2.public.waitForTransactionReceipt({hash})
    expect(await l2Balance(to)).toBe(1234n)
    const raw = (await call(publicUrl, 'eth_getRawTransactionByHash', [hash])).result as Hex
    expect(keccak256(raw)).toBe(hash)
    expect(await jsonRpc(devnet.state.l2.internalRpcUrl!, 'eth_getRawTransactionByHash', [hash])).toBe(raw)
  })

  it('batches: intercepted calls answered in place, the rest passed through in order', async () => {
    const who = privateKeyToAddress(generatePrivateKey())
    const replies = (await post(publicUrl, [
      {jsonrpc: '2.0', id: 'a', method: 'eth_chainId', params: []},
      {jsonrpc: '2.0', id: 'b', method: 'eth_sendRawTransaction', params: [forgedDeposit(who, 1n)]},
      {jsonrpc: '2.0', id: 'c', method: 'eth_getRawTransactionByHash', params: [deposit.hash]},
      {jsonrpc: '2.0', id: 'd', method: 'eth_getBalance', params: [who, 'latest']},
    ])) as Reply[]
    expect(replies.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd'])
    expect(replies[0].result).toBe(`0x${devnet.state.l2.chainId.toString(16)}`)
    expect(replies[1].error?.code).toBe(REFUSED_CODE)
    expect(keccak256(replies[2].result as Hex)).toBe(deposit.hash)
    expect(replies[3].result).toBe('0x0')
    const plain = (await post(publicUrl, [
      {jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: []},
      {jsonrpc: '2.0', id: 2, method: 'eth_blockNumber', params: []},
    ])) as Reply[]
    expect(plain.map((r) => r.id)).toEqual([1, 2])
  })

  it('speaks WebSocket: subscriptions pass through, deposits are refused there too', async () => {
    const ws = new WebSocket(publicUrl.replace('http', 'ws'))
    const replies: Reply[] = []
    const notifications: unknown[] = []
    ws.on('message', (data) => {
      const m = JSON.parse(String(data))
      if (m.method === 'eth_subscription') notifications.push(m.params.result)
      else replies.push(m)
    })
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    try {
      const send = (id: number, method: string, params: unknown[]) => ws.send(JSON.stringify({jsonrpc: '2.0', id, method, params}))
      const reply = async (id: number) => {
        await expect.poll(() => replies.find((r) => r.id === id), {timeout: 10_000, interval: 10}).toBeDefined()
        return replies.find((r) => r.id === id)!
      }
      send(1, 'eth_subscribe', ['newHeads'])
      expect((await reply(1)).result).toMatch(/^0x/)
      const who = privateKeyToAddress(generatePrivateKey())
      send(2, 'eth_sendRawTransaction', [forgedDeposit(who, parseEther('5'))])
      expect((await reply(2)).error?.code).toBe(REFUSED_CODE)
      send(3, 'eth_getRawTransactionByHash', [deposit.hash])
      expect(keccak256((await reply(3)).result as Hex)).toBe(deposit.hash)
      // A real transaction mines a block: its header arrives through the subscription.
      await jsonRpc(devnet.state.l2.internalRpcUrl!, 'evm_mine')
      await expect.poll(() => notifications.length, {timeout: 10_000, interval: 10}).toBeGreaterThan(0)
      expect(await l2Balance(who)).toBe(0n)
    } finally {
      ws.close()
    }
  })

  it('keeps the L2 supply equal to the OPEN locked on L1 after every call above', async () => {
    expect(await l2Supply()).toBe(await l1Locked())
  })
})

describe('the proxy policy', () => {
  it('forwards everything that is not a deposit or a raw-transaction read', () => {
    expect(decide({method: 'eth_sendRawTransaction', params: ['0x02f8']})).toEqual({kind: 'forward'})
    expect(decide({method: 'eth_sendTransaction', params: [{type: '0x2'}]})).toEqual({kind: 'forward'})
    expect(decide({method: 'eth_call', params: [{}]})).toEqual({kind: 'forward'})
    expect(decide({})).toEqual({kind: 'forward'})
  })

  it('refuses deposits in either case of the type byte', () => {
    expect(decide({id: 4, method: 'eth_sendRawTransaction', params: ['0x7EF8']})).toMatchObject({kind: 'refuse', reply: {id: 4}})
    expect(decide({method: 'eth_sendUnsignedTransaction', params: [{type: 'deposit'}]}).kind).toBe('refuse')
  })
})
