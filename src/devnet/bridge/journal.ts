import {join} from 'node:path'

import {type Address, type Hex, type LocalAccount, type TransactionReceipt, keccak256} from 'viem'

import {readJsonFile, writeJsonAtomic} from '../../store/atomic.js'
import type {LayerClients} from '../clients.js'

/**
 * One transaction of a bridge operation, recorded before it is broadcast: the signed bytes, so a
 * rerun can only ever send this same transaction again (same nonce, same hash), never a second one.
 */
export type JournalTx = {
  chainId: number
  nonce: number
  hash: Hex
  raw: Hex
  /** sent: broadcast, outcome unknown; mined: has a receipt; dropped: its nonce went to another transaction. */
  status: 'sent' | 'mined' | 'dropped'
}

export type BridgeOperation = {
  id: string
  kind: 'deposit' | 'withdraw'
  from: Address
  to: Address
  amount: string
  l1ChainId: number
  l2ChainId: number
  createdAt: string
  status: 'pending' | 'done' | 'failed'
  /** Transactions by step name (approve, deposit; initiate, prove, finalize). */
  txs: Record<string, JournalTx>
}

/** `.openledger/bridge/journal.json`: every bridge operation this folder started, pending or done. */
export class BridgeJournal {
  readonly path: string
  readonly operations: BridgeOperation[]

  constructor(dir: string) {
    this.path = join(dir, 'bridge', 'journal.json')
    this.operations = readJsonFile<BridgeOperation[]>(this.path) ?? []
  }

  save(): void {
    writeJsonAtomic(this.path, this.operations)
  }

  /** The unfinished operation a rerun of the same command continues, if any. */
  pending(match: Omit<BridgeOperation, 'id' | 'createdAt' | 'status' | 'txs'>): BridgeOperation | undefined {
    return this.operations.find(
      (o) =>
        o.status === 'pending' &&
        o.kind === match.kind &&
        o.from === match.from &&
        o.to === match.to &&
        o.amount === match.amount &&
        o.l1ChainId === match.l1ChainId &&
        o.l2ChainId === match.l2ChainId,
    )
  }

  start(op: Omit<BridgeOperation, 'id' | 'createdAt' | 'status' | 'txs'>): BridgeOperation {
    const createdAt = new Date().toISOString()
    const entry: BridgeOperation = {...op, id: `${op.kind}-${createdAt}`, createdAt, status: 'pending', txs: {}}
    this.operations.push(entry)
    this.save()
    return entry
  }

  finish(op: BridgeOperation, status: 'done' | 'failed'): void {
    op.status = status
    this.save()
  }
}

export type TxRequest = {to: Address; data: Hex; value?: bigint}

/**
 * Sends step `step` of `op` exactly once, across any number of interrupted runs, and returns its
 * receipt (undefined when a recorded transaction was dropped: its nonce went to another
 * transaction, so it can never be mined and the step may be sent afresh).
 *
 * Order: sign, journal (atomic write), broadcast. Killed before the journal write, nothing was sent;
 * after it, the rerun finds the signed transaction and reconciles it by nonce: mined (use its
 * receipt), nonce still free (broadcast the same bytes again), nonce taken by another (dropped).
 */
export async function sendOnce(
  journal: BridgeJournal,
  op: BridgeOperation,
  step: string,
  layer: LayerClients,
  account: LocalAccount,
  request: TxRequest,
): Promise<TransactionReceipt> {
  const recorded = op.txs[step]
  if (recorded && recorded.status !== 'dropped') {
    const receipt = await reconcile(layer, account, recorded)
    if (receipt) {
      if (recorded.status !== 'mined') {
        recorded.status = 'mined'
        journal.save()
      }
      return receipt
    }
    recorded.status = 'dropped'
    journal.save()
  }
  const tx = await signAndRecord(journal, op, step, layer, account, request)
  await layer.public.sendRawTransaction({serializedTransaction: tx.raw})
  const receipt = await layer.public.waitForTransactionReceipt({hash: tx.hash})
  tx.status = 'mined'
  journal.save()
  return receipt
}

/**
 * Signs the step's transaction and records it in the journal, without broadcasting it: the first
 * half of sendOnce, and exactly the state a run killed between the two halves leaves behind.
 */
export async function signAndRecord(
  journal: BridgeJournal,
  op: BridgeOperation,
  step: string,
  layer: LayerClients,
  account: LocalAccount,
  request: TxRequest,
): Promise<JournalTx> {
  const wallet = layer.wallet(account)
  const prepared = await wallet.prepareTransactionRequest({account, chain: layer.chain, ...request})
  const raw = await wallet.signTransaction(prepared as never)
  const tx: JournalTx = {chainId: layer.chain.id, nonce: prepared.nonce!, hash: keccak256(raw), raw, status: 'sent'}
  const previous = op.txs[step]
  if (previous) op.txs[`${step}@dropped-${previous.nonce}`] = previous
  op.txs[step] = tx
  journal.save()
  return tx
}

/** The receipt of a journalled transaction, broadcasting it again while its nonce is still free. */
async function reconcile(layer: LayerClients, account: LocalAccount, tx: JournalTx): Promise<TransactionReceipt | undefined> {
  const receipt = await layer.public.getTransactionReceipt({hash: tx.hash}).catch(() => undefined)
  if (receipt) return receipt
  const next = await layer.public.getTransactionCount({address: account.address, blockTag: 'latest'})
  if (next > tx.nonce) return undefined
  await layer.public.sendRawTransaction({serializedTransaction: tx.raw}).catch((err: Error) => {
    // Still in the pool from the interrupted run: waiting for it is all there is to do.
    if (!/already known|already imported|nonce too low/i.test(err.message)) throw err
  })
  return layer.public.waitForTransactionReceipt({hash: tx.hash})
}
