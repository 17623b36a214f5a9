/**
 * Closes the one gap in Ignition's write-ahead journal. Ignition records TRANSACTION_PREPARE_SEND
 * (the nonce) before sending and TRANSACTION_SEND (the hash) after the node answered; a process
 * killed between the two leaves a nonce with no hash, and on the next run Ignition cannot tell the
 * transaction that used that nonce from one someone else sent: the run stops there, or deploys that
 * contract a second time. So every transaction is also logged, signed, before it is broadcast (transactions.jsonl
 * beside the journal), and `reconcileJournal` writes the missing TRANSACTION_SEND from that log
 * before Ignition reads the journal: Ignition then waits for the transaction that was sent.
 */
import {closeSync, constants, existsSync, openSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Hex, parseTransaction} from 'viem'

import type {EIP1193Provider} from '@nomicfoundation/ignition-core'

import {CorruptFileError} from '../store/atomic.js'
import type {SignedTransaction} from './provider.js'

export const JOURNAL_FILE = 'journal.jsonl'
export const SENT_LOG_FILE = 'transactions.jsonl'

/** Appends one line durably (O_DSYNC), as Ignition appends to its journal. */
function appendLine(path: string, line: string): void {
  const fd = openSync(path, constants.O_CREAT | constants.O_WRONLY | constants.O_APPEND | constants.O_DSYNC, 0o644)
  try {
    writeFileSync(fd, line)
  } finally {
    closeSync(fd)
  }
}

export function recordSigned(deploymentDir: string, tx: SignedTransaction): void {
  appendLine(join(deploymentDir, SENT_LOG_FILE), JSON.stringify(tx) + '\n')
}

function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return []
  const out: T[] = []
  const lines = readFileSync(path, 'utf8').split('\n')
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue
    try {
      out.push(JSON.parse(line) as T)
    } catch (err) {
      // A torn last line is what a kill during the append leaves: that write never happened.
      if (i === lines.length - 1) break
      throw new CorruptFileError(`${path}:${i + 1}`, 'not a JSON line', err)
    }
  }
  return out
}

export function readSentLog(deploymentDir: string): SignedTransaction[] {
  return readJsonLines<SignedTransaction>(join(deploymentDir, SENT_LOG_FILE))
}

type JournalLine = {type: string; futureId?: string; networkInteractionId?: number; nonce?: number; transaction?: {hash: Hex}}

export function readJournal(deploymentDir: string): JournalLine[] {
  return readJsonLines<JournalLine>(join(deploymentDir, JOURNAL_FILE))
}

export type Reconciled = {futureId: string; hash: Hex; nonce: number; rebroadcast: boolean}

/**
 * Writes TRANSACTION_SEND for every prepared send whose transaction is in the sent log, is not in the
 * journal, and the node knows (or accepts again: the same signed bytes, so the same hash). Returns what
 * it wrote.
 */
export async function reconcileJournal(deploymentDir: string, provider: EIP1193Provider): Promise<Reconciled[]> {
  const sent = readSentLog(deploymentDir)
  if (sent.length === 0) return []
  const pending = new Map<string, {futureId: string; networkInteractionId: number; nonce: number; hashes: Set<string>}>()
  const known = new Map<string, Set<string>>()
  for (const m of readJournal(deploymentDir)) {
    if (m.futureId === undefined || m.networkInteractionId === undefined) continue
    const key = `${m.futureId}\u0000${m.networkInteractionId}`
    if (m.type === 'TRANSACTION_PREPARE_SEND') {
      pending.set(key, {
        futureId: m.futureId,
        networkInteractionId: m.networkInteractionId,
        nonce: m.nonce!,
        hashes: known.get(key) ?? new Set(),
      })
    } else if (m.type === 'TRANSACTION_SEND') {
      pending.delete(key)
      const hashes = known.get(key) ?? new Set<string>()
      hashes.add(m.transaction!.hash.toLowerCase())
      known.set(key, hashes)
    } else if (m.type === 'ONCHAIN_INTERACTION_DROPPED' || m.type === 'ONCHAIN_INTERACTION_REPLACED_BY_USER') {
      pending.delete(key)
      known.delete(key)
    }
  }
  const written: Reconciled[] = []
  for (const p of pending.values()) {
    // The latest transaction signed with that nonce is the one the interrupted send broadcast.
    const tx = sent.filter((t) => t.nonce === p.nonce).at(-1)
    if (!tx || p.hashes.has(tx.hash.toLowerCase())) continue
    let rebroadcast = false
    if ((await provider.request({method: 'eth_getTransactionByHash', params: [tx.hash]})) === null) {
      try {
        await provider.request({method: 'eth_sendRawTransaction', params: [tx.raw]})
        rebroadcast = true
      } catch {
        // The nonce went to another transaction, or the fees no longer do: it was never mined, and
        // Ignition's own nonce check decides what to send instead.
        continue
      }
    }
    const parsed = parseTransaction(tx.raw)
    const fees =
      parsed.maxFeePerGas !== undefined
        ? {maxFeePerGas: bigintJson(parsed.maxFeePerGas), maxPriorityFeePerGas: bigintJson(parsed.maxPriorityFeePerGas ?? 0n)}
        : {gasPrice: bigintJson(parsed.gasPrice ?? 0n)}
    const message = {
      futureId: p.futureId,
      networkInteractionId: p.networkInteractionId,
      nonce: p.nonce,
      transaction: {fees, hash: tx.hash},
      type: 'TRANSACTION_SEND',
    }
    // Ignition's journal format: each message on a line of its own, preceded by a newline.
    appendLine(join(deploymentDir, JOURNAL_FILE), `\n${JSON.stringify(message)}`)
    written.push({futureId: p.futureId, hash: tx.hash, nonce: p.nonce, rebroadcast})
  }
  return written
}

/** How Ignition's journal writes a bigint. */
function bigintJson(value: bigint) {
  return {_kind: 'bigint', value: value.toString(10)}
}
