/**
 * The EIP-1193 provider Ignition talks to: every JSON-RPC call goes to the node through viem's HTTP
 * transport, except the two a node cannot answer for a local key. `eth_accounts` names the user's
 * account and `eth_sendTransaction` is signed here and sent raw, so the key never leaves this process
 * and the node needs no unlocked account (a public RPC has none).
 */
import {type Hex, type LocalAccount, type TransactionSerializable, hexToBigInt, hexToNumber, http, keccak256} from 'viem'

import type {EIP1193Provider, RequestArguments} from '@nomicfoundation/ignition-core'

/** A transaction as signed, before it is sent: enough to find it again or send it again. */
export type SignedTransaction = {hash: Hex; nonce: number; from: Hex; raw: Hex}

export type SigningProviderOptions = {
  rpcUrl: string
  chainId: number
  account: LocalAccount
  /**
   * Called with each signed transaction before it is broadcast, and awaited: the caller records it
   * (src/deploy/sent-log.ts) so that a process killed right after the broadcast still knows the hash.
   */
  beforeSend?: (tx: SignedTransaction) => void | Promise<void>
  /** Called after the node accepted a transaction. */
  afterSend?: (tx: SignedTransaction) => void | Promise<void>
}

type TxRequest = {
  from?: Hex
  to?: Hex
  value?: Hex
  data?: Hex
  nonce?: Hex
  gas?: Hex
  gasPrice?: Hex
  maxFeePerGas?: Hex
  maxPriorityFeePerGas?: Hex
}

export function signingProvider(options: SigningProviderOptions): EIP1193Provider {
  // No retries: a retried eth_sendRawTransaction can answer "already known" or "nonce too low" for a
  // transaction that went through, and Ignition has its own retry loop for receipts.
  const transport = http(options.rpcUrl, {retryCount: 0})({})
  const {account} = options
  const forward = async (method: string, params?: unknown): Promise<unknown> => {
    try {
      return await transport.request({method, params} as never)
    } catch (err) {
      throw asProviderError(err)
    }
  }
  return {
    async request({method, params}: RequestArguments): Promise<any> {
      if (method === 'eth_accounts' || method === 'eth_requestAccounts') return [account.address]
      if (method !== 'eth_sendTransaction') return forward(method, params)
      const tx = (params as TxRequest[])[0]
      if (!tx || (tx.from && tx.from.toLowerCase() !== account.address.toLowerCase())) {
        throw Object.assign(new Error(`cannot sign for ${tx?.from}: only ${account.address} is available`), {code: 4100})
      }
      const raw = await account.signTransaction(toSerializable(tx, options.chainId))
      const signed: SignedTransaction = {hash: keccak256(raw), nonce: hexToNumber(tx.nonce ?? '0x0'), from: account.address, raw}
      await options.beforeSend?.(signed)
      try {
        await forward('eth_sendRawTransaction', [raw])
      } catch (err) {
        // The node has it already (a resend of the same bytes): the hash is still this one.
        if (!/already known|already imported/i.test((err as Error).message)) throw err
      }
      await options.afterSend?.(signed)
      return signed.hash
    },
  }
}

function toSerializable(tx: TxRequest, chainId: number): TransactionSerializable {
  const common = {
    chainId,
    to: tx.to ?? null,
    value: tx.value ? hexToBigInt(tx.value) : 0n,
    data: tx.data,
    nonce: tx.nonce === undefined ? undefined : hexToNumber(tx.nonce),
    gas: tx.gas === undefined ? undefined : hexToBigInt(tx.gas),
  }
  if (tx.maxFeePerGas !== undefined) {
    return {
      ...common,
      type: 'eip1559',
      maxFeePerGas: hexToBigInt(tx.maxFeePerGas),
      maxPriorityFeePerGas: hexToBigInt(tx.maxPriorityFeePerGas ?? '0x0'),
    }
  }
  return {...common, type: 'legacy', gasPrice: tx.gasPrice === undefined ? undefined : hexToBigInt(tx.gasPrice)}
}

/**
 * A node's JSON-RPC error as EIP-1193 describes it (message, code, data at the top): viem wraps it in
 * its own error classes, and Ignition reads `data` to decode a revert.
 */
function asProviderError(err: unknown): Error {
  let e: unknown = err
  while (e instanceof Error) {
    if (e.name === 'RpcRequestError') {
      const r = e as Error & {code: number; data?: unknown; details?: string}
      return Object.assign(new Error(r.details ?? r.message), {code: r.code, data: r.data})
    }
    e = e.cause
  }
  return err as Error
}
