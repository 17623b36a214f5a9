import {type Address, type Hex, type TransactionReceipt, parseEventLogs} from 'viem'
import {getTimeToFinalize, getWithdrawalStatus, getWithdrawals} from 'viem/op-stack'

import {OptimismPortal} from '../../contracts/bedrock/index.js'
import {UsageError} from '../../errors.js'
import type {BridgeEndpoints} from './addresses.js'
import {decodeDeposit, depositTransaction} from './deposit-tx.js'
import {bridgeClients} from './endpoints.js'

export type BridgeStatus =
  | {
      kind: 'deposit'
      /** waiting-for-relay: locked on L1, the L2 has not executed its deposit transaction yet. */
      stage: 'waiting-for-relay' | 'credited'
      from: Address
      to: Address
      amount: string
      l1TxHash: Hex
      l2TxHash: Hex
    }
  | {
      kind: 'withdrawal'
      /** viem's withdrawal stages, from the portal and the output oracle. */
      stage: 'waiting-to-prove' | 'ready-to-prove' | 'waiting-to-finalize' | 'ready-to-finalize' | 'finalized'
      from: Address
      to: Address
      amount: string
      withdrawalHash: Hex
      l2TxHash: Hex
      /** While waiting to finalize: when it can be (ISO time, by this machine's clock). */
      finalizableAt?: string
    }

/**
 * Where a bridge transfer is, from its transaction hash: an L2 transaction that initiated a
 * withdrawal, or an L1 transaction that deposited through the portal.
 */
export async function bridgeStatus(endpoints: BridgeEndpoints, txHash: Hex): Promise<BridgeStatus> {
  const {l1, l2} = bridgeClients(endpoints)
  const receiptOn = (layer: typeof l1) => layer.public.getTransactionReceipt({hash: txHash}).catch(() => undefined)
  const [l2Receipt, l1Receipt] = await Promise.all([receiptOn(l2), receiptOn(l1)])

  const withdrawal = l2Receipt && getWithdrawals({logs: l2Receipt.logs})[0]
  if (l2Receipt && withdrawal) {
    const targetChain = l2.chain as never
    const stage = await getWithdrawalStatus(l1.public, {receipt: l2Receipt, targetChain})
    let finalizableAt: string | undefined
    if (stage === 'waiting-to-finalize') {
      const {timestamp} = await getTimeToFinalize(l1.public, {withdrawalHash: withdrawal.withdrawalHash, targetChain})
      finalizableAt = new Date(timestamp).toISOString()
    }
    return {
      kind: 'withdrawal',
      stage,
      from: withdrawal.sender,
      to: withdrawal.target,
      amount: withdrawal.value.toString(),
      withdrawalHash: withdrawal.withdrawalHash,
      l2TxHash: txHash,
      ...(finalizableAt ? {finalizableAt} : {}),
    }
  }
  const deposit = l1Receipt && depositIn(l1Receipt, endpoints.portal)
  if (deposit) {
    const l2Tx = depositTransaction(deposit)
    const credited = await l2.public.getTransactionReceipt({hash: l2Tx.hash}).then(Boolean, () => false)
    return {
      kind: 'deposit',
      stage: credited ? 'credited' : 'waiting-for-relay',
      from: deposit.from,
      to: deposit.to,
      amount: deposit.mint.toString(),
      l1TxHash: txHash,
      l2TxHash: l2Tx.hash,
    }
  }
  throw new UsageError(
    l1Receipt || l2Receipt
      ? `transaction ${txHash} is neither a portal deposit on L1 nor a withdrawal on the L2`
      : `transaction ${txHash} is on neither chain (L1 ${endpoints.l1.rpcUrl}, L2 ${endpoints.l2.rpcUrl})`,
  )
}

function depositIn(receipt: TransactionReceipt, portal: Address) {
  const [log] = parseEventLogs({abi: OptimismPortal.abi, eventName: 'TransactionDeposited', logs: receipt.logs, strict: true}).filter(
    (l) => l.address.toLowerCase() === portal.toLowerCase(),
  )
  return log && decodeDeposit(log.args, log.blockHash, log.logIndex)
}
