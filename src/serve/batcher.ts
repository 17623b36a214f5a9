/**
 * Dynamic batching: texts from concurrent requests for one encoder are collected for at most
 * `windowMs` (or until `maxBatch` are waiting) and encoded in one call; each caller gets its row.
 */
import type {Encoder} from '../model/encoders/types.js'

type Pending = {text: string; resolve: (v: Float32Array) => void; reject: (e: unknown) => void}

export type BatcherStats = {batches: number; texts: number; maxBatch: number}

export class EncodeBatcher {
  private queue: Pending[] = []
  private timer: NodeJS.Timeout | undefined
  private running = Promise.resolve()
  readonly stats: BatcherStats = {batches: 0, texts: 0, maxBatch: 0}

  constructor(
    readonly encoder: Encoder,
    readonly options: {windowMs: number; maxBatch: number},
  ) {}

  encode(text: string): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({text, resolve, reject})
      if (this.queue.length >= this.options.maxBatch) this.flush()
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs)
    })
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.queue.splice(0, this.options.maxBatch)
    if (batch.length === 0) return
    if (this.queue.length) this.timer = setTimeout(() => this.flush(), this.options.windowMs)
    // One encoder call at a time, in arrival order.
    this.running = this.running.then(async () => {
      try {
        const out = await this.encoder.encode(batch.map((p) => p.text))
        const D = this.encoder.dim
        this.stats.batches++
        this.stats.texts += batch.length
        this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length)
        batch.forEach((p, i) => p.resolve(out.slice(i * D, (i + 1) * D)))
      } catch (err) {
        for (const p of batch) p.reject(err)
      }
    })
  }
}
