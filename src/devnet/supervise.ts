import {type DevnetProgress, type StartDevnetOptions, startDevnet} from './supervisor.js'
import type {DevnetState} from './state.js'

export type SuperviseHooks = {
  onProgress?: (e: DevnetProgress) => void
  onReady: (state: DevnetState) => void
}

export type SuperviseOutcome = {reason: 'signal' | 'chain-exited' | 'stopped'; detail?: string}

/**
 * Runs a devnet until SIGINT/SIGTERM/SIGHUP or until a chain dies, then stops it. Shared by the
 * foreground `devnet start` and the detached supervisor process.
 */
export async function superviseDevnet(options: StartDevnetOptions, hooks: SuperviseHooks): Promise<SuperviseOutcome> {
  // Listen before starting, so a signal during start-up still stops what was started.
  let signalled: ((s: string) => void) | undefined
  let early: string | undefined
  const signal = new Promise<string>((resolve) => (signalled = resolve))
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => {
    const h = () => {
      early ??= s
      signalled?.(s)
    }
    process.on(s, h)
    return [s, h] as const
  })
  try {
    const devnet = await startDevnet({...options, onProgress: hooks.onProgress})
    if (early) {
      await devnet.stop()
      return {reason: 'signal', detail: early}
    }
    hooks.onReady(devnet.state)
    const outcome = await Promise.race([signal.then((s): SuperviseOutcome => ({reason: 'signal', detail: s})), devnet.done])
    await devnet.stop()
    return outcome
  } finally {
    for (const [s, h] of handlers) process.off(s, h)
  }
}
