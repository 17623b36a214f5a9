import {encodePacked, keccak256, parseEther} from 'viem'
import {getSourceHash, parseTransaction} from 'viem/op-stack'
import {describe, expect, it} from 'vitest'

import {type DepositEvent, decodeDeposit, depositTransaction} from '../../src/devnet/bridge/deposit-tx.js'

describe('OP deposit transactions', () => {
  const blockHash = keccak256('0x1234')
  const from = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
  const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
  const event = (logIndex: number, over: Partial<DepositEvent> = {}): DepositEvent => ({
    from,
    to,
    mint: parseEther('5'),
    value: parseEther('5'),
    gasLimit: 100_000n,
    isCreation: false,
    data: '0x',
    l1BlockHash: blockHash,
    logIndex,
    ...over,
  })

  it('carries the user-deposit source hash viem derives from the L1 log, one per log', () => {
    const sourceHash = (logIndex: number) => getSourceHash({domain: 'userDeposit', l1BlockHash: blockHash, l1LogIndex: logIndex})
    // The spec's formula, written out: keccak256(bytes32(0), keccak256(l1BlockHash, bytes32(logIndex))).
    const spec = keccak256(
      encodePacked(['bytes32', 'bytes32'], [`0x${'0'.repeat(64)}`, keccak256(encodePacked(['bytes32', 'uint256'], [blockHash, 3n]))]),
    )
    expect(sourceHash(3)).toBe(spec)
    expect(parseTransaction(depositTransaction(event(3)).serialized)).toMatchObject({type: 'deposit', sourceHash: spec})
    expect(depositTransaction(event(3)).sourceHash).toBe(spec)
    expect(sourceHash(4)).not.toBe(sourceHash(3))
    expect(depositTransaction(event(4)).hash).not.toBe(depositTransaction(event(3)).hash)
  })

  it('mints the amount to the depositor and moves it to the recipient', () => {
    const {serialized, hash} = depositTransaction(event(0))
    expect(serialized.startsWith('0x7e')).toBe(true)
    expect(hash).toBe(keccak256(serialized))
    const tx = parseTransaction(serialized)
    expect(tx.type).toBe('deposit')
    expect(tx).toMatchObject({from: from.toLowerCase(), to: to.toLowerCase(), mint: parseEther('5'), value: parseEther('5'), gas: 100_000n})
    expect((tx as {isSystemTx?: boolean}).isSystemTx ?? false).toBe(false)
  })

  it('decodes the portal’s opaqueData as op-node does: encodePacked(mint, value, gasLimit, isCreation, data)', () => {
    const opaqueData = encodePacked(['uint256', 'uint256', 'uint64', 'bool', 'bytes'], [7n, 3n, 200_000n, false, '0xdeadbeef'])
    expect(decodeDeposit({from, to, version: 0n, opaqueData}, blockHash, 9)).toEqual(
      event(9, {mint: 7n, value: 3n, gasLimit: 200_000n, data: '0xdeadbeef'}),
    )
    const creation = encodePacked(['uint256', 'uint256', 'uint64', 'bool'], [0n, 0n, 21_000n, true])
    expect(decodeDeposit({from, to, version: 0n, opaqueData: creation}, blockHash, 0)).toMatchObject({isCreation: true, data: '0x'})
    // A version or a layout this code does not know is not derived at all.
    expect(decodeDeposit({from, to, version: 1n, opaqueData}, blockHash, 9)).toBeUndefined()
    expect(decodeDeposit({from, to, version: 0n, opaqueData: '0x01'}, blockHash, 9)).toBeUndefined()
  })
})
