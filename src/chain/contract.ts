/**
 * The one way to reach a deployed contract: typed reads, and writes that simulate (so a revert is
 * decoded before anything is sent), send from the signer and wait for the receipt. Types come from
 * the `as const` ABIs in src/contracts/artifacts/, so a wrong function name or argument is a
 * compile error. Writes return the hash and the receipt, for callers that journal what they sent.
 */
import type {
  Abi,
  Address,
  ContractFunctionArgs,
  ContractFunctionName,
  ContractFunctionReturnType,
  Hash,
  ReadContractParameters,
  TransactionReceipt,
} from 'viem'

import {type ChainContext, type SignerContext, contractAddress} from './context.js'
import {type ContractName, artifacts} from '../contracts/artifacts/index.js'
import {ExitCode, OpenledgerError} from '../errors.js'
import {type ExplainRevert, toChainError} from './revert.js'

/** What a read needs: a public client and the contract addresses of its chain. */
export type ContractReader = Pick<ChainContext, 'publicClient' | 'contracts' | 'chain' | 'devnet'>
/** What a write needs besides: the signer and its wallet client. */
export type ContractWriter = ContractReader & Pick<SignerContext, 'account' | 'walletClient'>

export type ContractAbi<C extends ContractName> = (typeof artifacts)[C]['abi']
type Mutability = 'nonpayable' | 'payable'
type ViewMutability = 'view' | 'pure'

export type WriteFunctionName<C extends ContractName> = ContractFunctionName<ContractAbi<C>, Mutability>
export type ReadFunctionName<C extends ContractName> = ContractFunctionName<ContractAbi<C>, ViewMutability>

export type WriteCall<C extends ContractName, F extends WriteFunctionName<C>> = {
  contract: C
  functionName: F
  args?: ContractFunctionArgs<ContractAbi<C>, Mutability, F>
  value?: bigint
  /** Maps the contract's custom errors to clear messages. */
  explain?: ExplainRevert
  /** Called with the hash once sent, before waiting: journal it, so an interrupted run can resume. */
  onSent?: (hash: Hash) => void
}

export type WriteResult = {hash: Hash; receipt: TransactionReceipt}

/** How often at most to ask for a receipt: short, because the devnet mines instantly. */
const RECEIPT_POLL_MS = 100

/**
 * Simulates, sends from the signer and waits for the receipt. Every failure becomes one
 * OpenledgerError; a mined but reverted transaction too (with its hash).
 */
export async function writeContract<C extends ContractName, F extends WriteFunctionName<C>>(
  ctx: ContractWriter,
  call: WriteCall<C, F>,
): Promise<WriteResult> {
  // The call was checked against the contract's own ABI in the signature; viem's generics cannot
  // follow a contract chosen by name, so the request is built over the plain Abi type.
  return writeContractAt(ctx, {...call, address: contractAddress(ctx, call.contract), abi: artifacts[call.contract].abi})
}

/** A write to a contract given by address and ABI (checked by the caller's own types, if any). */
export type WriteAtCall = {
  address: Address
  abi: Abi
  functionName: string
  args?: unknown
  value?: bigint
  /** The contract's name in messages; the address when not given. */
  contract?: string
  explain?: ExplainRevert
  onSent?: (hash: Hash) => void
}

/** writeContract for a contract not named in this folder's state (tests' own deployments). */
export async function writeContractAt(
  ctx: Pick<ContractWriter, 'publicClient' | 'account' | 'walletClient'>,
  call: WriteAtCall,
): Promise<WriteResult> {
  const contract = call.contract ?? call.address
  const where = {contract, functionName: call.functionName, account: ctx.account.address}
  let hash: Hash
  try {
    const {request} = await ctx.publicClient.simulateContract({
      address: call.address,
      abi: call.abi,
      functionName: call.functionName,
      args: argList(call.args),
      value: call.value,
      account: ctx.account,
    })
    hash = await ctx.walletClient.writeContract(request)
  } catch (err) {
    throw toChainError(err, where, call.explain)
  }
  call.onSent?.(hash)
  const pollingInterval = Math.min(ctx.publicClient.pollingInterval, RECEIPT_POLL_MS)
  const receipt = await ctx.publicClient.waitForTransactionReceipt({hash, pollingInterval})
  if (receipt.status !== 'success') {
    throw new OpenledgerError('E_TX_REVERTED', `${contract}.${call.functionName} transaction ${hash} reverted`, {
      exitCode: ExitCode.failure,
    })
  }
  return {hash, receipt}
}

/** Reads a view function of a deployed contract; a failure becomes one OpenledgerError. */
export async function readContract<
  C extends ContractName,
  F extends ReadFunctionName<C>,
  const A extends ContractFunctionArgs<ContractAbi<C>, ViewMutability, F>,
>(ctx: ContractReader, contract: C, functionName: F, args?: A): Promise<ContractFunctionReturnType<ContractAbi<C>, ViewMutability, F, A>> {
  const params: ReadContractParameters<ContractAbi<C>, F, A> = {
    address: contractAddress(ctx, contract),
    abi: artifacts[contract].abi,
    functionName,
    args,
  }
  try {
    return await ctx.publicClient.readContract(params)
  } catch (err) {
    throw toChainError(err, {contract, functionName})
  }
}

/** The arguments as the plain list viem's untyped overload takes (undefined for none). */
function argList(args: unknown): readonly unknown[] | undefined {
  return Array.isArray(args) ? args : undefined
}
