import {type Address, type Hex, concat, keccak256, numberToHex, pad} from 'viem'
import {serializeTransaction} from 'viem/op-stack'

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
 * The OP Stack user-deposit source hash: keccak256(bytes32(0) ‖ keccak256(l1BlockHash ‖ bytes32(logIndex))).
 * It makes each deposit's L2 transaction unique and derivable by anyone from the L1 log.
 */
export function depositSourceHash(l1BlockHash: Hex, logIndex: number): Hex {
  const depositId = keccak256(concat([l1BlockHash, pad(numberToHex(logIndex), {size: 32})]))
  return keccak256(concat([pad('0x00', {size: 32}), depositId]))
}

/**
 * The L2 deposit transaction (type 0x7e) that credits a deposit: `mint` creates the OPEN on the L2
 * for `from`, and `value` moves it to `to`. Its hash is known before it is sent, so the sender of
 * the L1 deposit can wait for exactly this transaction.
 */
export function depositTransaction(event: DepositEvent): {serialized: Hex; hash: Hex} {
  const serialized = serializeTransaction({
    type: 'deposit',
    sourceHash: depositSourceHash(event.l1BlockHash, event.logIndex),
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
