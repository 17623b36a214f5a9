import type {Abi, Address, Hex, TransactionReceipt} from 'viem'

import {type ChainContext, type SignerContext, contractAddress} from '../chain/context.js'
import {type ContractName, artifacts} from '../contracts/artifacts/index.js'
import {ExitCode, OpenledgerError} from '../errors.js'
import {type DecodedRevert, toProtocolError} from './errors.js'

export type ProtocolCall = {
  contract: ContractName
  functionName: string
  args?: readonly unknown[]
  value?: bigint
  /** Maps the contract's custom errors to clear messages. */
  explain?: (revert: DecodedRevert) => OpenledgerError | undefined
}

/** How often to ask for a receipt: short, because the devnet mines instantly. */
const RECEIPT_POLL_MS = 100

/**
 * Simulates a call (so a revert is decoded before anything is sent), sends it from the signer and
 * waits for its receipt. Every failure becomes one OpenledgerError.
 */
export async function sendProtocolTx(ctx: SignerContext, call: ProtocolCall): Promise<TransactionReceipt> {
  const address = contractAddress(ctx, call.contract)
  const where = {contract: call.contract, functionName: call.functionName, account: ctx.account.address}
  let hash: Hex
  try {
    const {request} = await ctx.publicClient.simulateContract({
      address,
      abi: artifacts[call.contract].abi as Abi,
      functionName: call.functionName,
      args: call.args ?? [],
      value: call.value,
      account: ctx.account,
    } as never)
    hash = await ctx.walletClient.writeContract(request as never)
  } catch (err) {
    throw toProtocolError(err, where, call.explain)
  }
  const receipt = await ctx.publicClient.waitForTransactionReceipt({hash, pollingInterval: RECEIPT_POLL_MS})
  if (receipt.status !== 'success') {
    throw new OpenledgerError('E_TX_REVERTED', `${call.contract}.${call.functionName} transaction ${hash} reverted`, {exitCode: ExitCode.failure})
  }
  return receipt
}

/** Reads a view function of a deployed protocol contract. */
export async function readProtocol<T>(ctx: ChainContext, contract: ContractName, functionName: string, args: readonly unknown[] = []): Promise<T> {
  const address: Address = contractAddress(ctx, contract)
  return (await ctx.publicClient.readContract({address, abi: artifacts[contract].abi as Abi, functionName, args} as never)) as T
}
