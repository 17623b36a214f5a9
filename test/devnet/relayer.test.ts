import type {Hex} from 'viem'
import {describe, expect, it} from 'vitest'

import {type DepositEvent, depositTransaction} from '../../src/devnet/bridge/deposit-tx.js'
import {type BridgeChains, Relayer} from '../../src/devnet/bridge/relayer.js'

const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const B = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

/** Two chains in memory: L1 blocks hold deposit events; the L2 keeps the deposits it received; the oracle its outputs. */
class MemoryChains implements BridgeChains {
  l1Head = 0n
  l2Head = 0n
  deposits = new Map<bigint, DepositEvent[]>()
  l2Txs: Hex[] = []
  /** L2 block numbers proposed to the output oracle, in order. */
  outputs: bigint[] = []

  addDeposit(amount: bigint): DepositEvent {
    this.l1Head += 1n
    const e: DepositEvent = {
      from: A,
      to: B,
      mint: amount,
      value: amount,
      gasLimit: 100_000n,
      isCreation: false,
      data: '0x',
      l1BlockHash: `0x${this.l1Head.toString(16).padStart(64, '0')}`,
      logIndex: 0,
    }
    this.deposits.set(this.l1Head, [e])
    return e
  }

  /** Bumped by a revert, so re-mined blocks get new hashes as on a real chain. */
  epoch = 0
  hashOf = (chain: string, n: bigint): Hex =>
    `0x${chain}${this.epoch.toString(16).padStart(4, '0')}${n.toString(16).padStart(58, '0')}` as Hex
  l1BlockHash = async (n: bigint) => (n <= this.l1Head ? this.hashOf('01', n) : undefined)
  l2BlockHash = async (n: bigint) => (n <= this.l2Head ? this.hashOf('02', n) : undefined)
  l1BlockNumber = async () => this.l1Head
  l2BlockNumber = async () => this.l2Head
  depositEvents = async (from: bigint, to: bigint) => [...this.deposits].filter(([b]) => b >= from && b <= to).flatMap(([, e]) => e)
  l2HasTransaction = async (hash: Hex) => this.l2Txs.includes(hash)
  sendL2Deposit = async (serialized: Hex) => {
    const {keccak256} = await import('viem')
    const hash = keccak256(serialized)
    this.l2Txs.push(hash)
    this.l2Head += 1n
    return hash
  }
  /** The oracle takes block latest + 1 (a submission interval of one block, as on the devnet). */
  nextOutputBlock = async () => (this.outputs.at(-1) ?? 0n) + 1n
  proposeOutput = async (n: bigint) => {
    if (n !== (await this.nextOutputBlock())) throw new Error(`the oracle takes block ${await this.nextOutputBlock()}, not ${n}`)
    this.outputs.push(n)
    return '0x01' as Hex
  }
}

describe('Relayer', () => {
  it('delivers each deposit once as the L2 deposit transaction derived from its L1 log', async () => {
    const chains = new MemoryChains()
    const relayer = new Relayer(chains)
    const d1 = chains.addDeposit(5n)
    const d2 = chains.addDeposit(6n)
    const first = await relayer.tick()
    expect(first.deposits).toEqual([depositTransaction(d1).hash, depositTransaction(d2).hash])
    expect(chains.l2Txs).toHaveLength(2)
    expect((await relayer.tick()).deposits).toEqual([])
    expect(chains.l2Txs).toHaveLength(2)
  })

  it('never pays twice when a range is scanned again (restart, or a chain revert)', async () => {
    const chains = new MemoryChains()
    chains.addDeposit(5n)
    await new Relayer(chains).tick()
    // A second relayer starts from block 0 and sees everything again.
    const again = await new Relayer(chains).tick()
    expect(again).toEqual({deposits: [], outputs: []})
    expect(chains.l2Txs).toHaveLength(1)
    expect(chains.outputs).toEqual([1n])
  })

  it('rescans from the new head after the chains move back', async () => {
    const chains = new MemoryChains()
    const relayer = new Relayer(chains)
    chains.addDeposit(1n)
    chains.addDeposit(2n)
    await relayer.tick()
    // Revert L1 to block 1 (drop deposit 2) and the L2 with it, then a new deposit lands at block 2.
    chains.l1Head = 1n
    chains.deposits.delete(2n)
    chains.l2Txs.pop()
    chains.l2Head -= 1n
    chains.epoch++
    // The new deposit brings the L1 head back to the height the relayer last saw.
    const d = chains.addDeposit(9n)
    const r = await relayer.tick()
    expect(r.deposits).toEqual([depositTransaction(d).hash])
  })

  it('skipToHeads leaves history alone', async () => {
    const chains = new MemoryChains()
    chains.addDeposit(1n)
    const relayer = new Relayer(chains)
    await relayer.skipToHeads()
    expect((await relayer.tick()).deposits).toEqual([])
    expect(chains.l2Txs).toHaveLength(0)
  })

  it('proposes every L2 block’s output root in order, the deposits’ own blocks included, within the per-pass cap', async () => {
    const chains = new MemoryChains()
    chains.l2Head = 5n
    const relayer = new Relayer(chains, {maxOutputsPerTick: 3})
    expect((await relayer.tick()).outputs).toEqual([1n, 2n, 3n])
    chains.addDeposit(1n)
    // The deposit lands in L2 block 6, proposed in the same pass as its relay.
    expect(await relayer.tick()).toMatchObject({outputs: [4n, 5n, 6n]})
    expect((await relayer.tick()).outputs).toEqual([])
  })
})
