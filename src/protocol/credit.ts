/**
 * Prepaid credit in InferenceSettlement: what a payer's signed authorizations spend when a server
 * settles paid requests for them. Deposit, withdraw (what is unspent) and read it.
 */
import {type Address, type Hex, getAddress} from 'viem'

import type {ChainContext, SignerContext} from '../chain/context.js'
import {contractAddress} from '../chain/context.js'
import {readContract, writeContract} from '../chain/contract.js'
import {formatOpen} from '../chain/amounts.js'
import {type DecodedRevert, ProtocolError} from '../chain/revert.js'
import {UsageError} from '../errors.js'

export type CreditResult = {address: Address; credit: bigint; settlement: Address; transactionHash?: Hex; amount?: bigint}

export async function creditOf(ctx: ChainContext, address: Address): Promise<CreditResult> {
  return {
    address,
    credit: await readContract(ctx, 'InferenceSettlement', 'credit', [address]),
    settlement: getAddress(contractAddress(ctx, 'InferenceSettlement')),
  }
}

export async function depositCredit(ctx: SignerContext, amount: bigint): Promise<CreditResult> {
  if (amount <= 0n) throw new UsageError('the amount must be more than 0 OPEN')
  const {receipt} = await writeContract(ctx, {contract: 'InferenceSettlement', functionName: 'deposit', value: amount})
  return {...(await creditOf(ctx, ctx.account.address)), amount, transactionHash: receipt.transactionHash}
}

export async function withdrawCredit(ctx: SignerContext, amount?: bigint): Promise<CreditResult> {
  const all = amount === undefined
  const value = amount ?? (await creditOf(ctx, ctx.account.address)).credit
  if (value <= 0n) throw new ProtocolError('E_NO_CREDIT', `account ${ctx.account.address} has no credit to withdraw`)
  const {receipt} = await writeContract(ctx, {
    contract: 'InferenceSettlement',
    functionName: 'withdraw',
    args: [value],
    explain: ({errorName, args}: DecodedRevert) =>
      errorName === 'InsufficientCredit'
        ? new ProtocolError('E_INSUFFICIENT_CREDIT', `cannot withdraw ${formatOpen(value)}: the credit is ${formatOpen(args[1] as bigint)}`)
        : undefined,
  })
  return {...(await creditOf(ctx, ctx.account.address)), amount: all ? value : amount, transactionHash: receipt.transactionHash}
}
