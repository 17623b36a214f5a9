import {concat, keccak256, numberToHex, pad, parseEther} from 'viem'
import {parseTransaction} from 'viem/op-stack'
import {describe, expect, it} from 'vitest'

import {depositSourceHash, depositTransaction} from '../../src/devnet/bridge/deposit-tx.js'

describe('OP deposit transactions', () => {
  const blockHash = keccak256('0x1234')

  it('derives the user-deposit source hash of the OP Stack spec', () => {
    // keccak256(bytes32(uint256(0)) ++ keccak256(l1BlockHash ++ bytes32(logIndex)))
    const depositId = keccak256(concat([blockHash, pad(numberToHex(3), {size: 32})]))
    const expected = keccak256(concat([`0x${'00'.repeat(32)}`, depositId]))
    expect(depositSourceHash(blockHash, 3)).toBe(expected)
    expect(depositSourceHash(blockHash, 4)).not.toBe(expected)
  })

  it('mints the amount to the depositor and moves it to the recipient', () => {
    const from = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
    const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    const {serialized, hash} = depositTransaction({nonce: 0n, from, to, amount: parseEther('5'), l1BlockHash: blockHash, logIndex: 0})
    expect(serialized.startsWith('0x7e')).toBe(true)
    expect(hash).toBe(keccak256(serialized))
    const tx = parseTransaction(serialized)
    expect(tx.type).toBe('deposit')
    expect(tx).toMatchObject({from: from.toLowerCase(), to: to.toLowerCase(), mint: parseEther('5'), value: parseEther('5')})
    expect((tx as {isSystemTx?: boolean}).isSystemTx ?? false).toBe(false)
  })
})
