/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export type PollOptions = {
  /** Give up after this long (ms). */
  timeoutMs: number
  /** Pause between probes (ms); default 10, since what we wait on (anvil, a local process) answers in milliseconds. */
  intervalMs?: number
  /** The error thrown when the time is up; default a plain "timed out after N ms". */
  onTimeout?: () => Error
}

/**
 * The one way this project waits for a condition: calls `probe` until it returns something other
 * than `undefined` (or `false`) and returns that, or throws once `timeoutMs` has passed. A probe
 * that throws stops the wait with its error (catch inside the probe what should be retried).
 */
export async function poll<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, options: PollOptions): Promise<T> {
  const end = Date.now() + options.timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() >= end) throw options.onTimeout?.() ?? new Error(`timed out after ${options.timeoutMs} ms`)
    await sleep(options.intervalMs ?? 10)
  }
}
