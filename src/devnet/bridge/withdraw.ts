import {
  type Account,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  type Hex,
  type TransactionReceipt,
  encodeFunctionData,
  erc20Abi,
  parseEventLogs,
} from 'viem'
import {type GetL2OutputReturnType, buildProveWithdrawal, getL2Output, getWithdrawals} from 'viem/op-stack'

import {L2OutputOracle, L2ToL1MessagePasser, OptimismPortal} from '../../contracts/bedrock/index.js'
import {OpenledgerError} from '../../errors.js'
import {withLock} from '../../store/lock.js'
import {poll} from '../../util/poll.js'
import type {LayerClients} from '../clients.js'
import type {DevnetState} from '../state.js'
import {type BridgeEndpoints, L2_TO_L1_MESSAGE_PASSER} from './addresses.js'
import {InsufficientBalanceError, RelayTimeoutError, waitForRelay} from './errors.js'
import {BridgeJournal as Journal, sendOnce} from './journal.js'
import {type BridgeRunOptions, bridgeRun} from './run.js'

/** L2 gas the withdrawal's L1 call may use; a plain OPEN transfer to an account makes no call at all. */
export const WITHDRAWAL_GAS_LIMIT = 100_000n

export type WithdrawStage = 'waiting-to-prove' | 'waiting-to-finalize' | 'finalized'

export type WithdrawResult = {
  stage: WithdrawStage
  from: Address
  to: Address
  amount: string
  withdrawalHash: Hex
  l2TxHash: Hex
  proveTxHash?: Hex
  /** The finalizing transaction on L1 (the one that released the OPEN). */
  l1TxHash?: Hex
  /** When the withdrawal may be finalized (ISO time), while it waits. */
  finalizableAt?: string
  l1BalanceBefore: string
  l1BalanceAfter: string
  resumed: boolean
}

export type WithdrawOptions = BridgeRunOptions & {
  /** How long to wait for the finalization period before returning with stage waiting-to-finalize. */
  maxFinalizationWaitMs?: number
}

export class WithdrawalMismatchError extends OpenledgerError {
  override name = 'WithdrawalMismatchError'
  constructor(what: string) {
    super('E_WITHDRAWAL_MISMATCH', what)
  }
}

/**
 * Withdraws native OPEN from the L2 in OP Stack's three steps: initiate (L2ToL1MessagePasser on the
 * L2), prove (against the output root proposed for that L2 block, with an eth_getProof storage
 * proof), finalize (after the finalization period; the portal then transfers the OPEN on L1).
 * Journalled like deposits: a rerun continues the pending withdrawal and sends nothing twice. What
 * is reported finalized is checked against the L1 receipt: the portal's WithdrawalFinalized event
 * for this withdrawal with success, and an OPEN Transfer of exactly the amount to the recipient.
 */
export async function withdrawToL1(
  where: BridgeEndpoints | DevnetState,
  account: Account,
  amount: bigint,
  to: Address = account.address,
  opts: WithdrawOptions = {},
): Promise<WithdrawResult> {
  const {endpoints, signer, dir, l1, l2, timeoutMs, lockPath, match} = bridgeRun('withdraw', where, account, amount, to, opts)

  return withLock(lockPath, async () => {
    const journal = new Journal(dir)
    let op = journal.pending(match)
    const resumed = op !== undefined
    const l1Balance = () => l1.public.readContract({address: endpoints.token, abi: erc20Abi, functionName: 'balanceOf', args: [to]})
    const l1BalanceBefore = await l1Balance()
    if (!op) {
      const balance = await l2.public.getBalance({address: signer.address})
      if (balance < amount) throw new InsufficientBalanceError('withdrawal', signer.address, balance, amount)
      op = journal.start(match)
    }
    const fail = (err: OpenledgerError): never => {
      journal.finish(op!, 'failed')
      throw err
    }

    const initiated = await sendOnce(journal, op, 'initiate', l2, signer, {
      to: L2_TO_L1_MESSAGE_PASSER,
      value: amount,
      data: encodeFunctionData({abi: L2ToL1MessagePasser.abi, functionName: 'initiateWithdrawal', args: [to, WITHDRAWAL_GAS_LIMIT, '0x']}),
    })
    const [withdrawal] = getWithdrawals({logs: initiated.logs})
    if (initiated.status !== 'success' || !withdrawal)
      fail(new OpenledgerError('E_WITHDRAW_FAILED', `the L2 withdrawal transaction ${initiated.transactionHash} reverted`))
    if (withdrawal.target.toLowerCase() !== to.toLowerCase() || withdrawal.value !== amount)
      fail(new WithdrawalMismatchError(`the L2 withdrawal ${withdrawal.withdrawalHash} is not ${amount} wei to ${to}`))
    const base = {
      from: signer.address,
      to,
      amount: amount.toString(),
      withdrawalHash: withdrawal.withdrawalHash,
      l2TxHash: initiated.transactionHash,
      l1BalanceBefore: l1BalanceBefore.toString(),
      resumed,
    }

    const isFinalized = () =>
      l1.public.readContract({
        address: endpoints.portal,
        abi: OptimismPortal.abi,
        functionName: 'finalizedWithdrawals',
        args: [withdrawal.withdrawalHash],
      })
    const provenAt = async () =>
      (
        await l1.public.readContract({
          address: endpoints.portal,
          abi: OptimismPortal.abi,
          functionName: 'provenWithdrawals',
          args: [withdrawal.withdrawalHash],
        })
      )[1]

    let proveTxHash = op.txs.prove?.hash
    if (!(await isFinalized()) && !op.txs.finalize) {
      if ((await provenAt()) === 0n || op.txs.prove) {
        const output = await waitForOutput(l1, endpoints.oracle, initiated, timeoutMs).catch((err) => {
          // No output for that block yet (a public proposer publishes one every hour or so): say so;
          // the rerun proves it.
          if (err instanceof RelayTimeoutError) return undefined
          throw err
        })
        if (!output) return {...base, stage: 'waiting-to-prove', l1BalanceAfter: (await l1Balance()).toString()}
        const proved = await sendOnce(journal, op, 'prove', l1, signer, {
          to: endpoints.portal,
          data: await proveCalldata(l2, output, withdrawal),
        })
        if (proved.status !== 'success')
          fail(new OpenledgerError('E_WITHDRAW_FAILED', `proving withdrawal ${withdrawal.withdrawalHash} reverted`))
        proveTxHash = proved.transactionHash
      }
      const finalizableAt = await finalizationTime(l1, endpoints, withdrawal.withdrawalHash)
      const waitMs = finalizableAt * 1000 - Date.now()
      if (waitMs > (opts.maxFinalizationWaitMs ?? 60_000)) {
        return {
          ...base,
          stage: 'waiting-to-finalize',
          ...(proveTxHash ? {proveTxHash} : {}),
          finalizableAt: new Date(finalizableAt * 1000).toISOString(),
          l1BalanceAfter: (await l1Balance()).toString(),
        }
      }
      await waitUntilFinalizable(l1, endpoints.portal, signer.address, withdrawal, Math.max(waitMs, 0) + timeoutMs)
    }

    // Anyone may finalize a proven withdrawal: when someone else did, report their transaction.
    const finalized =
      (!op.txs.finalize && (await isFinalized()) && (await finalizedBy(l1, endpoints.portal, withdrawal.withdrawalHash))) ||
      (await sendOnce(journal, op, 'finalize', l1, signer, {
        to: endpoints.portal,
        data: encodeFunctionData({
          abi: OptimismPortal.abi,
          functionName: 'finalizeWithdrawalTransaction',
          args: [withdrawalTx(withdrawal)],
        }),
      }))
    checkFinalized(finalized, endpoints, withdrawal, to, amount, fail)
    journal.finish(op, 'done')
    return {
      ...base,
      stage: 'finalized',
      ...(proveTxHash ? {proveTxHash} : {}),
      l1TxHash: finalized.transactionHash,
      l1BalanceAfter: (await l1Balance()).toString(),
    }
  })
}

/** A withdrawal as viem's getWithdrawals decodes it from MessagePassed. */
type Withdrawal = ReturnType<typeof getWithdrawals>[number]

const withdrawalTx = (w: Withdrawal) => ({
  nonce: w.nonce,
  sender: w.sender,
  target: w.target,
  value: w.value,
  gasLimit: w.gasLimit,
  data: w.data,
})

/** The first output proposed at or after the withdrawal's L2 block (the proposer publishes it). */
async function waitForOutput(l1: LayerClients, oracle: Address, initiated: TransactionReceipt, timeoutMs: number) {
  await waitForRelay(
    async () => {
      const latest = await l1.public.readContract({address: oracle, abi: L2OutputOracle.abi, functionName: 'latestBlockNumber'})
      return latest >= initiated.blockNumber || undefined
    },
    timeoutMs,
    `the output root of L2 block ${initiated.blockNumber}`,
    l1.public.pollingInterval,
  )
  return getL2Output(l1.public, {l2BlockNumber: initiated.blockNumber, l2OutputOracleAddress: oracle})
}

async function proveCalldata(l2: LayerClients, output: GetL2OutputReturnType, withdrawal: Withdrawal): Promise<Hex> {
  const args = await buildProveWithdrawal(l2.public, {output, withdrawal})
  return encodeFunctionData({
    abi: OptimismPortal.abi,
    functionName: 'proveWithdrawalTransaction',
    args: [withdrawalTx(withdrawal), args.l2OutputIndex, args.outputRootProof, args.withdrawalProof],
  })
}

/**
 * Seconds since the epoch (chain time) after which the portal finalizes the withdrawal: the later
 * of its proof and its output's proposal, plus the oracle's finalization period.
 */
async function finalizationTime(l1: LayerClients, endpoints: BridgeEndpoints, withdrawalHash: Hex): Promise<number> {
  const [[, provenAt, outputIndex], period] = await Promise.all([
    l1.public.readContract({address: endpoints.portal, abi: OptimismPortal.abi, functionName: 'provenWithdrawals', args: [withdrawalHash]}),
    l1.public.readContract({address: endpoints.oracle, abi: L2OutputOracle.abi, functionName: 'finalizationPeriodSeconds'}),
  ])
  const output = await l1.public.readContract({
    address: endpoints.oracle,
    abi: L2OutputOracle.abi,
    functionName: 'getL2Output',
    args: [outputIndex],
  })
  // The chain's clock can run ahead of ours (`devnet time advance`): count from the later block time.
  const head = await l1.public.getBlock()
  const skew = Number(head.timestamp) - Math.floor(Date.now() / 1000)
  const at = Number(provenAt > output.timestamp ? provenAt : output.timestamp) + Number(period) + 1
  return at - Math.max(skew, 0)
}

async function finalizedBy(l1: LayerClients, portal: Address, withdrawalHash: Hex): Promise<TransactionReceipt | undefined> {
  const [log] = await l1.public.getContractEvents({
    address: portal,
    abi: OptimismPortal.abi,
    eventName: 'WithdrawalFinalized',
    args: {withdrawalHash},
    fromBlock: 0n,
  })
  return log ? l1.public.getTransactionReceipt({hash: log.transactionHash}) : undefined
}

const NOT_YET = /finalization period has not elapsed/

/** Polls the portal (a simulated finalize) until the finalization period has passed on chain. */
async function waitUntilFinalizable(l1: LayerClients, portal: Address, account: Address, withdrawal: Withdrawal, timeoutMs: number) {
  await poll(
    async () => {
      try {
        await l1.public.simulateContract({
          account,
          address: portal,
          abi: OptimismPortal.abi,
          functionName: 'finalizeWithdrawalTransaction',
          args: [withdrawalTx(withdrawal)],
          blockTag: 'pending',
        })
        return true
      } catch (err) {
        const reason = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined
        if (reason && NOT_YET.test((reason as ContractFunctionRevertedError).reason ?? '')) return undefined
        throw err
      }
    },
    {timeoutMs, intervalMs: 250, onTimeout: () => new RelayTimeoutError(`finalizing withdrawal ${withdrawal.withdrawalHash}`, timeoutMs)},
  )
}

function checkFinalized(
  receipt: TransactionReceipt,
  endpoints: BridgeEndpoints,
  withdrawal: Withdrawal,
  to: Address,
  amount: bigint,
  fail: (err: OpenledgerError) => never,
): void {
  if (receipt.status !== 'success')
    fail(
      new OpenledgerError('E_WITHDRAW_FAILED', `finalizing withdrawal ${withdrawal.withdrawalHash} reverted (${receipt.transactionHash})`),
    )
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()
  const finalized = parseEventLogs({abi: OptimismPortal.abi, eventName: 'WithdrawalFinalized', logs: receipt.logs, strict: true}).find(
    (l) => same(l.address, endpoints.portal) && l.args.withdrawalHash === withdrawal.withdrawalHash,
  )
  if (!finalized?.args.success)
    fail(new WithdrawalMismatchError(`the portal did not report withdrawal ${withdrawal.withdrawalHash} finalized with success`))
  const paid = parseEventLogs({abi: erc20Abi, eventName: 'Transfer', logs: receipt.logs, strict: true}).filter(
    (l) => same(l.address, endpoints.token) && same(l.args.from, endpoints.portal),
  )
  if (paid.length !== 1 || !same(paid[0].args.to, to) || paid[0].args.value !== amount)
    fail(new WithdrawalMismatchError(`the portal's payout in ${receipt.transactionHash} is not ${amount} wei of OPEN to ${to}`))
}
