import type {Hex} from 'viem'

import {type DepositEvent, depositTransaction} from './deposit-tx.js'

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
  /** The portal's `TransactionDeposited` events in these L1 blocks, decoded. */
  depositEvents(fromBlock: bigint, toBlock: bigint): Promise<DepositEvent[]>
  /** Whether the L2 already has this transaction (a deposit is delivered once). */
  l2HasTransaction(hash: Hex): Promise<boolean>
  sendL2Deposit(serialized: Hex): Promise<Hex>
  /** The L2 block whose output root the L2OutputOracle takes next. */
  nextOutputBlock(): Promise<bigint>
  /** Proposes the output root of L2 block `n` to the L2OutputOracle. */
  proposeOutput(n: bigint): Promise<Hex>
}

export type RelayResult = {deposits: Hex[]; outputs: bigint[]}

export type RelayerOptions = {
  intervalMs?: number
  /** Most output roots proposed in one pass, so a long backlog never holds up deposits. */
  maxOutputsPerTick?: number
  onError?: (err: unknown) => void
  onRelay?: (result: RelayResult) => void
}

/**
 * The devnet's op-node and op-proposer in one loop. It derives an L2 deposit transaction from each
 * OptimismPortal `TransactionDeposited` log and delivers it, and proposes the L2's output roots to
 * the L2OutputOracle so withdrawals can be proven against them. Idempotent by construction: a
 * deposit's L2 transaction hash is derived from its L1 log and skipped when present; the oracle
 * says which block it takes next. So scanning a range twice, restarting, or a chain revert
 * (snapshot restore) never credits twice.
 *
 * A revert is detected by the hash of the last block handled, not by the head number: after a
 * restore and a new deposit the head can be back at the same height with a different block.
 */
export class Relayer {
  private l1Cursor = -1n
  private l1CursorHash?: Hex
  private timer?: NodeJS.Timeout
  private running?: Promise<void>
  private stopped = false

  constructor(
    private readonly chains: BridgeChains,
    private readonly options: RelayerOptions = {},
  ) {}

  /** Marks every deposit up to the current L1 head as handled (e.g. a loaded genesis, already relayed). */
  async skipToHeads(): Promise<void> {
    const l1Head = await this.chains.l1BlockNumber()
    this.l1Cursor = l1Head
    this.l1CursorHash = await this.chains.l1BlockHash(l1Head)
  }

  /** One pass: deposits in every L1 block not seen yet, then output roots up to the L2 head. */
  async tick(): Promise<RelayResult> {
    const result: RelayResult = {deposits: [], outputs: []}
    const l1Head = await this.chains.l1BlockNumber()
    // A revert (devnet restore/reset) replaced the blocks we handled: rescan from the start. Every
    // step is idempotent, so rescanning costs time, never money.
    if (this.l1Cursor >= 0n && (await this.chains.l1BlockHash(this.l1Cursor)) !== this.l1CursorHash) this.l1Cursor = -1n

    if (l1Head > this.l1Cursor) {
      for (const event of await this.chains.depositEvents(this.l1Cursor + 1n, l1Head)) {
        // Stopping mid-pass leaves the cursor where it was: the next start rescans, idempotently.
        if (this.stopped) return result
        const tx = depositTransaction(event)
        if (await this.chains.l2HasTransaction(tx.hash)) continue
        await this.chains.sendL2Deposit(tx.serialized)
        result.deposits.push(tx.hash)
      }
      this.l1Cursor = l1Head
      this.l1CursorHash = await this.chains.l1BlockHash(l1Head)
    }
    // Outputs after the deposits, so a deposit's own L2 block is proposed in the same pass.
    const l2Head = await this.chains.l2BlockNumber()
    const max = this.options.maxOutputsPerTick ?? 64
    // The oracle is asked each time: it names the next block by its own submission interval.
    for (
      let next = await this.chains.nextOutputBlock();
      next <= l2Head && result.outputs.length < max && !this.stopped;
      next = await this.chains.nextOutputBlock()
    ) {
      await this.chains.proposeOutput(next)
      result.outputs.push(next)
    }
    if (result.deposits.length || result.outputs.length) this.options.onRelay?.(result)
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
