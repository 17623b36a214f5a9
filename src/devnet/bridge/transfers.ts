import {join} from 'node:path'

import {type Account, type Address, type Hex, parseEventLogs} from 'viem'

import {formatOpen} from '../../chain/amounts.js'
import {readContract, writeContract} from '../../chain/contract.js'
import {OpenL2Bridge, OpenPortal} from '../../contracts/artifacts/index.js'
import {ExitCode, OpenledgerError} from '../../errors.js'
import {readJsonFile, writeJsonAtomic} from '../../store/atomic.js'
import {withLock} from '../../store/lock.js'
import {stateDir as defaultStateDir} from '../../store/paths.js'
import {poll} from '../../util/poll.js'
import {type LayerClients, layerClients} from '../clients.js'
import type {DevnetState} from '../state.js'
import {readerOn, writerOn} from './contexts.js'
import {depositTransaction} from './deposit-tx.js'

export class InsufficientBalanceError extends OpenledgerError {
  override name = 'InsufficientBalanceError'
  constructor(what: string, address: Address, balance: bigint, needed: bigint) {
    super('E_INSUFFICIENT_BALANCE', `${what} of ${formatOpen(needed)} exceeds the balance of ${address} (${formatOpen(balance)})`, {
      exitCode: ExitCode.failure,
    })
  }
}

export class RelayTimeoutError extends OpenledgerError {
  override name = 'RelayTimeoutError'
  constructor(what: string, ms: number) {
    super('E_RELAY_TIMEOUT', `${what} was not relayed within ${ms} ms`, {
      metaMessages: ['`openledger devnet logs` shows the relayer; re-running the same command resumes waiting, it does not send again.'],
    })
  }
}

export type DepositResult = {
  nonce: string
  from: Address
  to: Address
  amount: string
  l1TxHash: Hex
  l2TxHash: Hex
  l2BalanceBefore: string
  l2BalanceAfter: string
  /** True when this run finished a deposit an earlier, interrupted run had sent. */
  resumed: boolean
}

type JournalEntry = {l1TxHash: Hex; from: Address; to: Address; amount: string; status: 'sent' | 'credited'}

const journalPath = (dir: string) => join(dir, 'bridge', 'deposits.json')

function clientsFor(state: DevnetState) {
  return {
    l1: layerClients('l1', state.l1.chainId, state.l1.rpcUrl),
    l2: layerClients('l2', state.l2.chainId, state.l2.rpcUrl),
  }
}

/** Polls until the relayer's side of a transfer shows up; a relay that never comes is a RelayTimeoutError. */
const waitForRelay = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> =>
  poll(probe, {timeoutMs, intervalMs: 25, onTimeout: () => new RelayTimeoutError(what, timeoutMs)})

/**
 * Deposits OPEN from L1 to the L2: approve, OpenPortal.depositTransaction, then wait for the relayer's
 * L2 deposit transaction, whose hash is derived from the L1 log. Resumable: the L1 transaction is
 * journalled before waiting, and a re-run of the same deposit after an interruption finishes that one
 * instead of sending another.
 */
export async function depositToL2(
  state: DevnetState,
  account: Account,
  amount: bigint,
  to: Address = account.address,
  opts: {stateDir?: string; timeoutMs?: number} = {},
): Promise<DepositResult> {
  const dir = opts.stateDir ?? defaultStateDir()
  const {l1, l2} = clientsFor(state)
  const portal = state.contracts.OpenPortal
  const timeoutMs = opts.timeoutMs ?? 30_000

  return withLock(join(dir, 'bridge', 'deposits.lock'), async () => {
    const journal = readJsonFile<JournalEntry[]>(journalPath(dir)) ?? []
    const save = () => writeJsonAtomic(journalPath(dir), journal)
    let entry = journal.find((e) => e.status === 'sent' && e.from === account.address && e.to === to && e.amount === amount.toString())
    const resumed = entry !== undefined
    const l2BalanceBefore = await l2.public.getBalance({address: to})

    if (!entry) {
      const sender = writerOn(l1, state.contracts, account)
      const balance = await readContract(sender, 'OpenToken', 'balanceOf', [account.address])
      if (balance < amount) throw new InsufficientBalanceError('deposit', account.address, balance, amount)
      const allowance = await readContract(sender, 'OpenToken', 'allowance', [account.address, portal])
      if (allowance < amount) await writeContract(sender, {contract: 'OpenToken', functionName: 'approve', args: [portal, amount]})
      let sent: JournalEntry | undefined
      // Journalled as soon as it is sent, before its receipt: a re-run after an interruption resumes it.
      const onSent = (l1TxHash: Hex) => {
        sent = {l1TxHash, from: account.address, to, amount: amount.toString(), status: 'sent'}
        journal.push(sent)
        save()
      }
      await writeContract(sender, {contract: 'OpenPortal', functionName: 'depositTransaction', args: [to, amount], onSent}).catch((err) => {
        if (sent && err instanceof OpenledgerError && err.code === 'E_TX_REVERTED') {
          journal.splice(journal.indexOf(sent), 1)
          save()
          throw new OpenledgerError('E_DEPOSIT_FAILED', `the L1 deposit transaction ${sent.l1TxHash} reverted`)
        }
        throw err
      })
      entry = sent!
    }

    const receipt = await l1.public.waitForTransactionReceipt({hash: entry.l1TxHash, timeout: timeoutMs})
    const [event] = parseEventLogs({abi: OpenPortal.abi, eventName: 'DepositInitiated', logs: receipt.logs})
    if (receipt.status !== 'success' || !event) {
      journal.splice(journal.indexOf(entry), 1)
      save()
      throw new OpenledgerError('E_DEPOSIT_FAILED', `the L1 deposit transaction ${entry.l1TxHash} reverted`)
    }
    const l2Tx = depositTransaction({
      nonce: event.args.nonce,
      from: event.args.from,
      to: event.args.to,
      amount: event.args.amount,
      l1BlockHash: event.blockHash,
      logIndex: event.logIndex,
    })
    await waitForRelay(
      () => l2.public.getTransactionReceipt({hash: l2Tx.hash}).catch(() => undefined),
      timeoutMs,
      `deposit ${entry.l1TxHash}`,
    )
    entry.status = 'credited'
    save()
    const l2BalanceAfter = await l2.public.getBalance({address: to})
    return {
      nonce: event.args.nonce.toString(),
      from: account.address,
      to,
      amount: amount.toString(),
      l1TxHash: entry.l1TxHash,
      l2TxHash: l2Tx.hash,
      l2BalanceBefore: l2BalanceBefore.toString(),
      l2BalanceAfter: l2BalanceAfter.toString(),
      resumed,
    }
  })
}

export type WithdrawResult = {
  nonce: string
  from: Address
  to: Address
  amount: string
  l2TxHash: Hex
  l1TxHash: Hex
  l1BalanceBefore: string
  l1BalanceAfter: string
}

/** Withdraws native OPEN from the L2: burned by OpenL2Bridge, released on L1 by the relayer. */
export async function withdrawToL1(
  state: DevnetState,
  account: Account,
  amount: bigint,
  to: Address = account.address,
  opts: {timeoutMs?: number} = {},
): Promise<WithdrawResult> {
  const {l1, l2} = clientsFor(state)
  const portal = state.contracts.OpenPortal
  const timeoutMs = opts.timeoutMs ?? 30_000
  const balance = await l2.public.getBalance({address: account.address})
  if (balance < amount) throw new InsufficientBalanceError('withdrawal', account.address, balance, amount)
  const l1BalanceBefore = await readContract(readerOn(l1, state.contracts), 'OpenToken', 'balanceOf', [to])
  const {hash: l2TxHash, receipt} = await writeContract(writerOn(l2, state.contracts, account), {
    contract: 'OpenL2Bridge',
    functionName: 'initiateWithdrawal',
    args: [to],
    value: amount,
  })
  const [event] = parseEventLogs({abi: OpenL2Bridge.abi, eventName: 'WithdrawalInitiated', logs: receipt.logs})
  if (receipt.status !== 'success' || !event)
    throw new OpenledgerError('E_WITHDRAW_FAILED', `the L2 withdrawal transaction ${l2TxHash} reverted`)
  const nonce = event.args.nonce
  const l1TxHash = await waitForRelay(() => finalizedTx(l1, portal, nonce), timeoutMs, `withdrawal ${nonce}`)
  const l1BalanceAfter = await readContract(readerOn(l1, state.contracts), 'OpenToken', 'balanceOf', [to])
  return {
    nonce: nonce.toString(),
    from: account.address,
    to,
    amount: amount.toString(),
    l2TxHash,
    l1TxHash,
    l1BalanceBefore: l1BalanceBefore.toString(),
    l1BalanceAfter: l1BalanceAfter.toString(),
  }
}

async function finalizedTx(l1: LayerClients, portal: Address, nonce: bigint): Promise<Hex | undefined> {
  const logs = await l1.public.getContractEvents({
    address: portal,
    abi: OpenPortal.abi,
    eventName: 'WithdrawalFinalized',
    args: {nonce},
    fromBlock: 0n,
  })
  return logs[0]?.transactionHash ?? undefined
}
