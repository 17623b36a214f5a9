import type {Address, Hex} from 'viem'

import {type DepositEvent, depositTransaction} from './deposit-tx.js'

export type WithdrawalEvent = {nonce: bigint; from: Address; to: Address; amount: bigint}

/**
 * What the relayer needs from the two chains. The devnet implements it over viem clients
 * (chain-handles.ts); tests implement it in memory, so relay logic is tested without processes.
 */
export interface BridgeChains {
  l1BlockNumber(): Promise<bigint>
  l2BlockNumber(): Promise<bigint>
  /** The hash of block `n` (undefined when there is none): tells a revert from new blocks. */
  l1BlockHash(n: bigint): Promise<Hex | undefined>
  l2BlockHash(n: bigint): Promise<Hex | undefined>
  depositEvents(fromBlock: bigint, toBlock: bigint): Promise<DepositEvent[]>
  withdrawalEvents(fromBlock: bigint, toBlock: bigint): Promise<WithdrawalEvent[]>
  /** Whether the L2 already has this transaction (a deposit is delivered once). */
  l2HasTransaction(hash: Hex): Promise<boolean>
  sendL2Deposit(serialized: Hex): Promise<Hex>
  isWithdrawalFinalized(nonce: bigint): Promise<boolean>
  finalizeWithdrawal(event: WithdrawalEvent): Promise<Hex>
}

export type RelayResult = {deposits: Hex[]; withdrawals: bigint[]}

export type RelayerOptions = {
  intervalMs?: number
  onError?: (err: unknown) => void
  onRelay?: (result: RelayResult) => void
}

/**
 * Follows OpenPortal deposits on L1 and OpenL2Bridge withdrawals on L2 and completes each on the
 * other side. Idempotent by construction: a deposit's L2 transaction hash is derived from its L1 log
 * and skipped when present; a withdrawal nonce is skipped once finalised on L1. So scanning a range
 * twice, restarting, or a chain revert (snapshot restore) never pays twice.
 *
 * A revert is detected by the hash of the last block handled, not by the head number: after a
 * restore and a new deposit the head can be back at the same height with a different block.
 */
export class Relayer {
  private l1Cursor = -1n
  private l2Cursor = -1n
  private l1CursorHash?: Hex
  private l2CursorHash?: Hex
  private timer?: NodeJS.Timeout
  private running?: Promise<void>
  private stopped = false

  constructor(
    private readonly chains: BridgeChains,
    private readonly options: RelayerOptions = {},
  ) {}

  /** Marks everything up to the current heads as handled (e.g. a loaded genesis, already relayed). */
  async skipToHeads(): Promise<void> {
    const [l1Head, l2Head] = await Promise.all([this.chains.l1BlockNumber(), this.chains.l2BlockNumber()])
    this.l1Cursor = l1Head
    this.l2Cursor = l2Head
    ;[this.l1CursorHash, this.l2CursorHash] = await Promise.all([this.chains.l1BlockHash(l1Head), this.chains.l2BlockHash(l2Head)])
  }

  /** One pass over every block not seen yet on both chains. */
  async tick(): Promise<RelayResult> {
    const result: RelayResult = {deposits: [], withdrawals: []}
    const [l1Head, l2Head] = await Promise.all([this.chains.l1BlockNumber(), this.chains.l2BlockNumber()])
    // A revert (devnet restore/reset) replaced the blocks we handled: rescan from the start. Every
    // step is idempotent, so rescanning costs time, never money.
    if (this.l1Cursor >= 0n && (await this.chains.l1BlockHash(this.l1Cursor)) !== this.l1CursorHash) this.l1Cursor = -1n
    if (this.l2Cursor >= 0n && (await this.chains.l2BlockHash(this.l2Cursor)) !== this.l2CursorHash) this.l2Cursor = -1n

    if (l1Head > this.l1Cursor) {
      for (const event of await this.chains.depositEvents(this.l1Cursor + 1n, l1Head)) {
        const tx = depositTransaction(event)
        if (await this.chains.l2HasTransaction(tx.hash)) continue
        await this.chains.sendL2Deposit(tx.serialized)
        result.deposits.push(tx.hash)
      }
      this.l1Cursor = l1Head
      this.l1CursorHash = await this.chains.l1BlockHash(l1Head)
    }
    if (l2Head > this.l2Cursor) {
      for (const event of await this.chains.withdrawalEvents(this.l2Cursor + 1n, l2Head)) {
        if (await this.chains.isWithdrawalFinalized(event.nonce)) continue
        await this.chains.finalizeWithdrawal(event)
        result.withdrawals.push(event.nonce)
      }
      this.l2Cursor = l2Head
      this.l2CursorHash = await this.chains.l2BlockHash(l2Head)
    }
    if (result.deposits.length || result.withdrawals.length) this.options.onRelay?.(result)
    return result
  }

  /** Polls until stop(); errors are reported and the next pass retries. */
  start(): void {
    const interval = this.options.intervalMs ?? 50
    const loop = async () => {
      if (this.stopped) return
      this.running = this.tick().then(
        () => undefined,
        (err) => this.options.onError?.(err),
      )
      await this.running
      if (!this.stopped) this.timer = setTimeout(loop, interval)
    }
    void loop()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }
}
