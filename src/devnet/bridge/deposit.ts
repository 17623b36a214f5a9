import {type Account, type Address, type Hex, encodeFunctionData, erc20Abi, parseEventLogs} from 'viem'

import {OptimismPortal} from '../../contracts/bedrock/index.js'
import {OpenledgerError} from '../../errors.js'
import {withLock} from '../../store/lock.js'
import type {DevnetState} from '../state.js'
import type {BridgeEndpoints} from './addresses.js'
import {decodeDeposit, depositTransaction} from './deposit-tx.js'
import {InsufficientBalanceError, waitForRelay} from './errors.js'
import {BridgeJournal, type TxRequest, sendOnce} from './journal.js'
import {type BridgeRunOptions, bridgeRun} from './run.js'

/** L2 gas a deposit may use: a plain value transfer needs 21,000; the portal charges L1 gas for it. */
export const DEPOSIT_GAS_LIMIT = 100_000n

export type DepositResult = {
  from: Address
  to: Address
  amount: string
  l1TxHash: Hex
  /** The L2 deposit transaction's source hash (keccak256 of the L1 block hash and log index, per the OP Stack). */
  sourceHash: Hex
  l2TxHash: Hex
  l2BalanceBefore: string
  l2BalanceAfter: string
  /** True when this run finished a deposit an earlier, interrupted run had started. */
  resumed: boolean
}

/** The L1 call that deposits `amount` OPEN for `to`: minted on the L2 to the sender, then sent on to `to`. */
export function depositRequest(endpoints: BridgeEndpoints, to: Address, amount: bigint): TxRequest {
  return {
    to: endpoints.portal,
    data: encodeFunctionData({
      abi: OptimismPortal.abi,
      functionName: 'depositERC20Transaction',
      args: [to, amount, amount, DEPOSIT_GAS_LIMIT, false, '0x'],
    }),
  }
}

export type {BridgeRunOptions} from './run.js'

/**
 * Deposits OPEN from L1 to the L2 through OptimismPortal.depositERC20Transaction (approve first when
 * the allowance is short), then waits for the L2 deposit transaction derived from the portal's
 * `TransactionDeposited` log. Every transaction is journalled before it is broadcast, so a rerun
 * after an interruption at any point finishes this deposit and never pays a second one.
 */
export async function depositToL2(
  where: BridgeEndpoints | DevnetState,
  account: Account,
  amount: bigint,
  to: Address = account.address,
  opts: BridgeRunOptions = {},
): Promise<DepositResult> {
  const {endpoints, signer, dir, l1, l2, timeoutMs, lockPath, match} = bridgeRun('deposit', where, account, amount, to, opts)

  return withLock(lockPath, async () => {
    const journal = new BridgeJournal(dir)
    let op = journal.pending(match)
    const resumed = op !== undefined
    const l2BalanceBefore = await l2.public.getBalance({address: to})
    if (!op) {
      const balance = await l1.public.readContract({
        address: endpoints.token,
        abi: erc20Abi,
        functionName: 'balanceOf',
        args: [signer.address],
      })
      if (balance < amount) throw new InsufficientBalanceError('deposit', signer.address, balance, amount)
      op = journal.start(match)
    }

    if (!op.txs.deposit) {
      const allowance = await l1.public.readContract({
        address: endpoints.token,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [signer.address, endpoints.portal],
      })
      if (allowance < amount || op.txs.approve) {
        const approved = await sendOnce(journal, op, 'approve', l1, signer, {
          to: endpoints.token,
          data: encodeFunctionData({abi: erc20Abi, functionName: 'approve', args: [endpoints.portal, amount]}),
        })
        if (approved.status !== 'success') {
          journal.finish(op, 'failed')
          throw new OpenledgerError('E_DEPOSIT_FAILED', `approving the portal reverted (${approved.transactionHash})`)
        }
      }
    }
    const receipt = await sendOnce(journal, op, 'deposit', l1, signer, depositRequest(endpoints, to, amount))
    const [log] = parseEventLogs({abi: OptimismPortal.abi, eventName: 'TransactionDeposited', logs: receipt.logs, strict: true}).filter(
      (l) => l.address.toLowerCase() === endpoints.portal.toLowerCase(),
    )
    const event = log && decodeDeposit(log.args, log.blockHash, log.logIndex)
    if (receipt.status !== 'success' || !event) {
      journal.finish(op, 'failed')
      throw new OpenledgerError('E_DEPOSIT_FAILED', `the L1 deposit transaction ${receipt.transactionHash} reverted`)
    }
    const l2Tx = depositTransaction(event)
    await waitForRelay(
      () => l2.public.getTransactionReceipt({hash: l2Tx.hash}).catch(() => undefined),
      timeoutMs,
      `deposit ${receipt.transactionHash}`,
      l2.public.pollingInterval,
    )
    journal.finish(op, 'done')
    const l2BalanceAfter = await l2.public.getBalance({address: to})
    return {
      from: signer.address,
      to,
      amount: amount.toString(),
      l1TxHash: receipt.transactionHash,
      sourceHash: l2Tx.sourceHash,
      l2TxHash: l2Tx.hash,
      l2BalanceBefore: l2BalanceBefore.toString(),
      l2BalanceAfter: l2BalanceAfter.toString(),
      resumed,
    }
  })
}
