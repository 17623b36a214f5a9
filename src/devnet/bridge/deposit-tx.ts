import {type Address, type Hex, keccak256} from 'viem'
import {getSourceHash, serializeTransaction} from 'viem/op-stack'

/** An OpenPortal `DepositInitiated` event, with where it sits on L1. */
export type DepositEvent = {
  nonce: bigint
  from: Address
  to: Address
  amount: bigint
  l1BlockHash: Hex
  logIndex: number
}

/** Gas the L2 may use to deliver a deposit; prepaid on L1 in the OP Stack, never charged on L2. */
export const DEPOSIT_GAS = 1_000_000n

/**
 * The L2 deposit transaction (type 0x7e) that credits a deposit: `mint` creates the OPEN on the L2
 * for `from`, and `value` moves it to `to`. Its hash is known before it is sent, so the sender of
 * the L1 deposit can wait for exactly this transaction.
 */
export function depositTransaction(event: DepositEvent): {serialized: Hex; hash: Hex} {
  const serialized = serializeTransaction({
    type: 'deposit',
    // The OP Stack user-deposit source hash: unique per L1 log, derivable by anyone from it.
    sourceHash: getSourceHash({domain: 'userDeposit', l1BlockHash: event.l1BlockHash, l1LogIndex: event.logIndex}),
    from: event.from,
    to: event.to,
    mint: event.amount,
    value: event.amount,
    gas: DEPOSIT_GAS,
    isSystemTx: false,
    data: '0x',
  })
  return {serialized, hash: keccak256(serialized)}
}
