/** The chain layer (src/chain/contract.ts) against a real anvil with the protocol deployed. */
import {describe, expect, it} from 'vitest'

import {readContract, writeContract} from '../../src/chain/contract.js'
import {ProtocolError} from '../../src/chain/revert.js'
import type {OpenledgerError} from '../../src/errors.js'
import {useProtocol} from '../helpers/contracts.js'

const p = useProtocol()

async function failure(promise: Promise<unknown>): Promise<OpenledgerError> {
  const err = await promise.then(
    () => undefined,
    (e: OpenledgerError) => e,
  )
  if (!err) throw new Error('expected a failure, but it succeeded')
  return err
}

describe('writeContract and readContract', () => {
  it('send, report the hash before the receipt, and return both', async () => {
    const ctx = p.signer(1)
    const sent: string[] = []
    const {hash, receipt} = await writeContract(ctx, {
      contract: 'ModelRegistry',
      functionName: 'registerModel',
      args: ['layer-test', 'base'],
      onSent: (h) => sent.push(h),
    })
    expect(sent).toEqual([hash])
    expect([receipt.transactionHash, receipt.status, receipt.from.toLowerCase()]).toEqual([
      hash,
      'success',
      ctx.account.address.toLowerCase(),
    ])
    const id = await readContract(ctx, 'ModelRegistry', 'modelIdByName', ['layer-test'])
    const [owner, name] = await readContract(ctx, 'ModelRegistry', 'getModel', [id])
    expect([owner, name]).toEqual([ctx.account.address, 'layer-test'])
  })

  it('decode a revert before sending: explained, generic, or access control', async () => {
    const ctx = p.signer(2)
    const before = await p.publicClient.getTransactionCount({address: ctx.account.address})
    const explained = await failure(
      writeContract(ctx, {
        contract: 'Staking',
        functionName: 'completeWithdrawal',
        explain: (r) =>
          r.errorName === 'NoPendingWithdrawal' ? new ProtocolError('E_NO_PENDING_WITHDRAWAL', 'nothing pending') : undefined,
      }),
    )
    expect([explained.code, explained.shortMessage]).toEqual(['E_NO_PENDING_WITHDRAWAL', 'nothing pending'])
    const generic = await failure(writeContract(ctx, {contract: 'Staking', functionName: 'completeWithdrawal'}))
    expect([generic.code, generic.shortMessage]).toEqual(['E_REVERTED', 'Staking.completeWithdrawal reverted with NoPendingWithdrawal()'])
    const denied = await failure(writeContract(ctx, {contract: 'Staking', functionName: 'slash', args: [p.accounts[3].address, 1n, 'x']}))
    expect([denied.code, denied.shortMessage]).toEqual(['E_NOT_AUTHORIZED', `account ${ctx.account.address} lacks SLASHER_ROLE on Staking`])
    // Nothing was sent.
    expect(await p.publicClient.getTransactionCount({address: ctx.account.address})).toBe(before)
  })

  it('are typed by the contract ABIs', async () => {
    const ctx = p.signer(1)
    // These lines are checked by the type-check (npx tsc -p tsconfig.check.json), not run.
    const typeChecks = () => {
      // @ts-expect-error: not a function of Staking
      void readContract(ctx, 'Staking', 'noSuchFunction')
      // @ts-expect-error: stakeOf takes an address
      void readContract(ctx, 'Staking', 'stakeOf', [1n])
      // @ts-expect-error: a view function is not a write
      void writeContract(ctx, {contract: 'Staking', functionName: 'stakeOf', args: [ctx.account.address]})
      // @ts-expect-error: registerModel takes two strings
      void writeContract(ctx, {contract: 'ModelRegistry', functionName: 'registerModel', args: ['only-one']})
    }
    expect(typeof typeChecks).toBe('function')
    const cooldown: bigint = await readContract(ctx, 'Staking', 'cooldown')
    expect(cooldown).toBeGreaterThan(0n)
  })
})
