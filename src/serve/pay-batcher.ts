import type {SignerContext} from '../chain/context.js'
import {type SettleItem, type SettleReturnType, settleInferences} from '../publish/pay.js'

/**
 * Settles a server's paid requests in batches: requests that arrive while a settlement is being
 * sent, or within `windowMs` of the first, go on-chain together in one `settleBatch` transaction
 * (one signer, one nonce sequence, one transaction instead of one per request).
 */
export class PayBatcher {
  private pending: Array<{item: SettleItem; resolve: (r: SettleReturnType) => void; reject: (e: unknown) => void}> = []
  private running?: Promise<void>
  settlements = 0
  settled = 0

  constructor(
    private readonly signer: () => Promise<SignerContext>,
    private readonly options: {stateDir?: string; windowMs?: number; maxBatch?: number} = {},
  ) {}

  settle(item: SettleItem): Promise<SettleReturnType> {
    return new Promise((resolve, reject) => {
      this.pending.push({item, resolve, reject})
      this.running ??= this.drain()
    })
  }

  /** Resolves once every request given so far is settled (or failed). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  private async drain(): Promise<void> {
    await new Promise((r) => setTimeout(r, this.options.windowMs ?? 20))
    while (this.pending.length) {
      const batch = this.pending.splice(0, this.options.maxBatch ?? 32)
      try {
        const results = await settleInferences(await this.signer(), batch.map((b) => b.item), {stateDir: this.options.stateDir})
        this.settlements++
        this.settled += batch.length
        batch.forEach((b, k) => b.resolve(results[k]))
      } catch (err) {
        for (const b of batch) b.reject(err)
      }
    }
    this.running = undefined
  }
}
