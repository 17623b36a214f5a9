import {existsSync, mkdirSync, openSync, writeSync, closeSync} from 'node:fs'
import {dirname} from 'node:path'

import {type ResultPromise, execa} from 'execa'

import {resolveAnvilBinary} from './anvil-binary.js'
import {AnvilStartError, PortInUseError} from './errors.js'
import {isPortFree} from './ports.js'

export type AnvilStatus = 'idle' | 'starting' | 'started' | 'stopping' | 'stopped'

export type AnvilInstanceOptions = {
  /** 'L1' or 'L2': used in messages. */
  label: string
  host?: string
  /** 0 picks a free port; the real one is read from anvil's "Listening on" line. */
  port: number
  /** The CLI flag that set the port, named when it is taken. */
  portFlag: string
  chainId: number
  /** Runs anvil with `--network optimism` (OP deposit transactions, L1 fee fields in receipts). */
  optimism?: boolean
  /** Seconds between blocks; undefined mines a block per transaction. */
  blockTime?: number
  /** Ether (or native OPEN on the L2) given to each dev account at genesis. */
  balance?: number
  loadState?: string
  /** Appends anvil's output to this file. */
  logFile?: string
  /** Generous by default: anvil can be slow to start on a loaded CI machine. */
  startTimeoutMs?: number
  stopTimeoutMs?: number
}

const KEEP_LINES = 20

/**
 * One anvil process, supervised as a small state machine (idle → starting → started → stopping →
 * stopped). Ready means anvil printed "Listening on" and answered eth_chainId with the chain id we
 * asked for. On Linux anvil is started under `setpriv --pdeathsig SIGKILL`, so it dies with its
 * supervisor even when the supervisor is killed with SIGKILL: no orphaned anvils.
 */
export class AnvilInstance {
  status: AnvilStatus = 'idle'
  /** The last lines anvil printed, for error messages. */
  readonly lastLines: string[] = []
  port: number
  private child?: ResultPromise
  private exitListeners: Array<(code: number | null, signal: string | null) => void> = []
  private logFd?: number

  constructor(readonly options: AnvilInstanceOptions) {
    this.port = options.port
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1'
  }

  get rpcUrl(): string {
    return `http://${this.host}:${this.port}`
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Called once if the process exits while it was meant to be running. */
  onUnexpectedExit(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(listener)
  }

  args(): string[] {
    const o = this.options
    const args = ['--host', this.host, '--port', String(o.port), '--chain-id', String(o.chainId)]
    if (o.optimism) args.push('--network', 'optimism')
    if (o.blockTime !== undefined) args.push('--block-time', String(o.blockTime))
    if (o.balance !== undefined) args.push('--balance', String(o.balance))
    if (o.loadState) args.push('--load-state', o.loadState)
    return args
  }

  async start(): Promise<void> {
    if (this.status !== 'idle') throw new Error(`${this.options.label} anvil is ${this.status}, not idle`)
    this.status = 'starting'
    const o = this.options
    if (!(await isPortFree(o.port, this.host))) {
      this.status = 'stopped'
      throw new PortInUseError(o.portFlag, o.port)
    }
    const bin = resolveAnvilBinary()
    const [file, args] = withParentDeathSignal(bin, this.args())
    if (o.logFile) {
      mkdirSync(dirname(o.logFile), {recursive: true})
      this.logFd = openSync(o.logFile, 'a')
    }

    const child = execa(file, args, {reject: false, cleanup: true, stdin: 'ignore', buffer: false, all: true})
    this.child = child
    let ready: (port: number) => void
    let failed: (reason: string) => void
    const listening = new Promise<number>((resolve, reject) => {
      ready = resolve
      failed = (reason) => reject(new Error(reason))
    })

    let pending = ''
    child.all!.on('data', (chunk: Buffer) => {
      const text = chunk.toString()
      if (this.logFd !== undefined) writeSync(this.logFd, text)
      pending += text
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const raw of lines) {
        // eslint-disable-next-line no-control-regex
        const line = raw.replace(/\u001B\[[0-9;]*m/g, '').trimEnd()
        if (line === '') continue
        this.lastLines.push(line)
        if (this.lastLines.length > KEEP_LINES) this.lastLines.shift()
        const m = /Listening on (\S+):(\d+)/.exec(line)
        if (m) ready(Number(m[2]))
        if (/address already in use/i.test(line)) failed('address already in use')
      }
    })

    child.then((result) => {
      this.closeLog()
      const wasRunning = this.status === 'started'
      const code = result.exitCode ?? null
      const signal = result.signal ?? null
      if (this.status === 'starting') failed(`exited before listening (${signal ?? `code ${code}`})`)
      this.status = 'stopped'
      if (wasRunning) for (const l of this.exitListeners) l(code, signal)
    })

    const timeoutMs = o.startTimeoutMs ?? 30_000
    let timer: NodeJS.Timeout | undefined
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not listening after ${timeoutMs} ms`)), timeoutMs)
      })
      this.port = await Promise.race([listening, timeout])
      await Promise.race([this.probe(), timeout])
    } catch (err) {
      clearTimeout(timer)
      await this.kill()
      const reason = (err as Error).message
      if (/address already in use/i.test(reason)) throw new PortInUseError(o.portFlag, o.port)
      throw new AnvilStartError(o.label, reason, this.lastLines)
    }
    clearTimeout(timer)
    this.status = 'started'
  }

  /** Polls eth_chainId until anvil answers; checks that it is the chain we asked for. */
  private async probe(): Promise<void> {
    for (;;) {
      try {
        const res = await fetch(this.rpcUrl, {
          method: 'POST',
          headers: {'content-type': 'application/json'},
          body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: []}),
        })
        const body = (await res.json()) as {result?: string}
        if (body.result) {
          const id = Number.parseInt(body.result, 16)
          if (id !== this.options.chainId) throw new Error(`answered chain id ${id}, expected ${this.options.chainId}`)
          return
        }
      } catch (err) {
        if ((err as Error).message.startsWith('answered chain id')) throw err
      }
      if (this.status !== 'starting') throw new Error('exited while starting')
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  /** SIGTERM, then SIGKILL if anvil is still there after the stop timeout. Idempotent. */
  async stop(): Promise<void> {
    if (!this.child || this.status === 'stopped' || this.status === 'idle') {
      this.status = 'stopped'
      return
    }
    this.status = 'stopping'
    await this.kill()
  }

  private async kill(): Promise<void> {
    const child = this.child
    if (!child) return
    const stopTimeoutMs = this.options.stopTimeoutMs ?? 5000
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const timedOut = await Promise.race([
        child.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), stopTimeoutMs)
        }),
      ])
      clearTimeout(timer)
      if (timedOut) {
        child.kill('SIGKILL')
        await child
      }
    } else {
      await child
    }
    this.closeLog()
    this.status = 'stopped'
  }

  private closeLog(): void {
    if (this.logFd !== undefined) {
      closeSync(this.logFd)
      this.logFd = undefined
    }
  }
}

const SETPRIV = '/usr/bin/setpriv'

/** On Linux, ask the kernel to SIGKILL anvil when its parent dies (PR_SET_PDEATHSIG via setpriv). */
function withParentDeathSignal(bin: string, args: string[]): [string, string[]] {
  if (process.platform === 'linux' && existsSync(SETPRIV)) return [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', bin, ...args]]
  return [bin, args]
}
