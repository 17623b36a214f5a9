import type {Hex} from 'viem'

/** A transaction as eth_getTransactionBy* returns it (only the fields a deposit needs). */
export type RpcTransaction = {
  type?: string
  sourceHash?: Hex
  from: Hex
  to: Hex | null
  mint?: Hex | null
  value: Hex
  gas: Hex
  isSystemTx?: boolean
  input: Hex
}

export const isDepositTransaction = (tx: unknown): tx is RpcTransaction =>
  Boolean(tx) && typeof tx === 'object' && String((tx as RpcTransaction).type).toLowerCase() === '0x7e'

/**
 * The raw bytes of a deposit transaction, serialized from its JSON form: what anvil should answer to
 * eth_getRawTransactionByHash but panics on instead. viem's OP Stack serializer writes the deposit
 * envelope (0x7e || rlp[sourceHash, from, to, mint, value, gas, isSystemTx, data]); it is loaded only
 * here, the first time a client asks, so the devnet's supervisor starts without it.
 */
export async function serializeDeposit(tx: RpcTransaction): Promise<Hex> {
  const {serializeTransaction} = await import('viem/op-stack')
  return serializeTransaction({
    type: 'deposit',
    sourceHash: tx.sourceHash!,
    from: tx.from,
    to: tx.to ?? undefined,
    mint: tx.mint ? BigInt(tx.mint) : undefined,
    value: BigInt(tx.value),
    gas: BigInt(tx.gas),
    isSystemTx: Boolean(tx.isSystemTx),
    data: tx.input,
  })
}
