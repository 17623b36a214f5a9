import {type Address, type Hex, hexToBigInt, hexToNumber, keccak256, size, slice} from 'viem'
import {getSourceHash, serializeTransaction} from 'viem/op-stack'

/**
 * An OptimismPortal `TransactionDeposited` event, decoded, with where it sits on L1: everything the
 * L2 deposit transaction is derived from.
 */
export type DepositEvent = {
  /** The L1 sender (aliased by the portal when a contract), or the depositor account for system deposits. */
  from: Address
  to: Address
  /** OPEN locked in the portal and minted on the L2 to `from`. */
  mint: bigint
  /** OPEN sent from `from` to `to` on the L2 (at most what `from` holds there after the mint). */
  value: bigint
  gasLimit: bigint
  isCreation: boolean
  data: Hex
  l1BlockHash: Hex
  logIndex: number
}

/** The only `TransactionDeposited` version the portal emits (DEPOSIT_VERSION). */
export const DEPOSIT_VERSION = 0n

/** The fixed head of opaqueData: encodePacked(uint256 mint, uint256 value, uint64 gasLimit, bool isCreation). */
const OPAQUE_HEAD = 32 + 32 + 8 + 1

/**
 * Decodes a `TransactionDeposited(from, to, version, opaqueData)` log as op-node does
 * (opaqueData = encodePacked(mint, value, gasLimit, isCreation, data)). Undefined for a version or
 * a layout this code does not know: such a log is not a deposit it may derive.
 */
export function decodeDeposit(
  args: {from: Address; to: Address; version: bigint; opaqueData: Hex},
  l1BlockHash: Hex,
  logIndex: number,
): DepositEvent | undefined {
  if (args.version !== DEPOSIT_VERSION || size(args.opaqueData) < OPAQUE_HEAD) return undefined
  const o = args.opaqueData
  return {
    from: args.from,
    to: args.to,
    mint: hexToBigInt(slice(o, 0, 32)),
    value: hexToBigInt(slice(o, 32, 64)),
    gasLimit: hexToBigInt(slice(o, 64, 72)),
    isCreation: hexToNumber(slice(o, 72, 73)) !== 0,
    data: size(o) > OPAQUE_HEAD ? slice(o, OPAQUE_HEAD) : '0x',
    l1BlockHash,
    logIndex,
  }
}

/**
 * The L2 deposit transaction (type 0x7e) derived from a deposit event, as the OP Stack specifies:
 * the user-deposit source hash keccak256(bytes32(0), keccak256(l1BlockHash, bytes32(logIndex)))
 * makes it unique per L1 log, so its hash is known before it is sent and can be waited for.
 */
export function depositTransaction(event: DepositEvent): {serialized: Hex; hash: Hex; sourceHash: Hex} {
  const sourceHash = getSourceHash({domain: 'userDeposit', l1BlockHash: event.l1BlockHash, l1LogIndex: event.logIndex})
  const serialized = serializeTransaction({
    type: 'deposit',
    sourceHash,
    from: event.from,
    ...(event.isCreation ? {} : {to: event.to}),
    mint: event.mint,
    value: event.value,
    gas: event.gasLimit,
    isSystemTx: false,
    data: event.data,
  })
  return {serialized, hash: keccak256(serialized), sourceHash}
}
