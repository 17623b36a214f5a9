import {keccak256, parseEther} from 'viem'
import {getSourceHash, parseTransaction} from 'viem/op-stack'
import {describe, expect, it} from 'vitest'

import {depositTransaction} from '../../src/devnet/bridge/deposit-tx.js'

describe('OP deposit transactions', () => {
  const blockHash = keccak256('0x1234')
  const from = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
  const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
  const deposit = (logIndex: number) => depositTransaction({nonce: 0n, from, to, amount: parseEther('5'), l1BlockHash: blockHash, logIndex})

  it('carries the user-deposit source hash viem derives from the L1 log, one per log', () => {
    const sourceHash = (logIndex: number) => getSourceHash({domain: 'userDeposit', l1BlockHash: blockHash, l1LogIndex: logIndex})
    expect(parseTransaction(deposit(3).serialized)).toMatchObject({type: 'deposit', sourceHash: sourceHash(3)})
    expect(parseTransaction(deposit(4).serialized)).toMatchObject({type: 'deposit', sourceHash: sourceHash(4)})
    expect(sourceHash(4)).not.toBe(sourceHash(3))
    expect(deposit(4).hash).not.toBe(deposit(3).hash)
  })

  it('mints the amount to the depositor and moves it to the recipient', () => {
    const {serialized, hash} = deposit(0)
    expect(serialized.startsWith('0x7e')).toBe(true)
    expect(hash).toBe(keccak256(serialized))
    const tx = parseTransaction(serialized)
    expect(tx.type).toBe('deposit')
    expect(tx).toMatchObject({from: from.toLowerCase(), to: to.toLowerCase(), mint: parseEther('5'), value: parseEther('5')})
    expect((tx as {isSystemTx?: boolean}).isSystemTx ?? false).toBe(false)
  })
})
