/**
 * The one micro-batcher: items given one at a time are handed to `run` in batches of at most
 * `maxSize`, each caller getting the result at its own index. A batch starts when `maxSize` items
 * wait or `maxWaitMs` after the first of them arrived; batches run one at a time, in arrival order,
 * and items that arrive while one runs go together into the next (that wait already paid for the
 * window). `close` flushes what waits and resolves once every batch has finished.
 *
 * Used for the encoder (texts of concurrent requests, one ONNX Runtime call), attribution (the
 * queries of one model, one pass over its training matrix) and payment (one `settleBatch`).
 */
import {ClosedError} from './errors.js'

export type MicroBatcherOptions = {
  /** Largest batch handed to `run`. */
  maxSize: number
  /**
   * How long the first waiting item waits for company, in ms. 0: only for what arrives in the same
   * turn of the event loop (everything node:http parsed from the sockets that were ready), which
   * adds no latency when the work itself is cheap.
   */
  maxWaitMs: number
}

export type BatcherStats = {batches: number; items: number; largest: number}

type Waiting<In, Out> = {item: In; resolve: (v: Out) => void; reject: (e: unknown) => void}

export class MicroBatcher<In, Out> {
  private queue: Waiting<In, Out>[] = []
  private cancelWait: (() => void) | undefined
  private running: Promise<void> | undefined
  private closed = false
  readonly stats: BatcherStats = {batches: 0, items: 0, largest: 0}

  /** `run` returns one result per item, in the items' order; a throw fails the whole batch. */
  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    readonly options: MicroBatcherOptions,
  ) {
    if (!(options.maxSize >= 1)) throw new RangeError(`maxSize must be at least 1, got ${options.maxSize}`)
  }

  add(item: In): Promise<Out> {
    if (this.closed) return Promise.reject(new ClosedError())
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({item, resolve, reject})
      if (this.queue.length >= this.options.maxSize) this.start()
      else if (!this.running && !this.cancelWait) this.wait()
    })
  }

  /** Items waiting for a batch (not counting the one running). */
  get waiting(): number {
    return this.queue.length
  }

  /** Stops taking items, runs every waiting one now, resolves when all batches are done. */
  async close(): Promise<void> {
    this.closed = true
    this.start()
    while (this.running) await this.running
  }

  private wait(): void {
    if (this.options.maxWaitMs > 0) {
      const t = setTimeout(() => this.start(), this.options.maxWaitMs)
      this.cancelWait = () => clearTimeout(t)
    } else {
      const t = setImmediate(() => this.start())
      this.cancelWait = () => clearImmediate(t)
    }
  }

  private start(): void {
    this.cancelWait?.()
    this.cancelWait = undefined
    if (this.running || this.queue.length === 0) return
    const batch = this.queue.splice(0, this.options.maxSize)
    this.running = this.runBatch(batch).finally(() => {
      this.running = undefined
      // Whatever arrived meanwhile has waited at least one batch: send it now.
      if (this.queue.length) this.start()
    })
  }

  private async runBatch(batch: Waiting<In, Out>[]): Promise<void> {
    try {
      const out = await this.run(batch.map((w) => w.item))
      if (out.length !== batch.length) throw new Error(`a batch of ${batch.length} gave ${out.length} results`)
      this.stats.batches++
      this.stats.items += batch.length
      this.stats.largest = Math.max(this.stats.largest, batch.length)
      batch.forEach((w, i) => w.resolve(out[i]))
    } catch (err) {
      for (const w of batch) w.reject(err)
    }
  }
}
