import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdirSync, openSync, writeSync, closeSync} from 'node:fs'
import {dirname} from 'node:path'

import {resolveAnvilBinary} from './anvil-binary.js'
import {AnvilStartError, PortInUseError} from './errors.js'
import {isPortFree} from './ports.js'
import {jsonRpc} from './rpc.js'
import {poll} from '../util/poll.js'

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
  /** Forks this endpoint (anvil's --fork-url) at forkBlockNumber. */
  forkUrl?: string
  forkBlockNumber?: bigint
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
  private child?: ChildProcess
  /** Resolves once the process has exited (never rejects). */
  private exited?: Promise<void>
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
    if (o.forkUrl) args.push('--fork-url', o.forkUrl)
    if (o.forkBlockNumber !== undefined) args.push('--fork-block-number', o.forkBlockNumber.toString())
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

    let ready!: (port: number) => void
    let failed!: (reason: string) => void
    const listening = new Promise<number>((resolve, reject) => {
      ready = resolve
      failed = (reason) => reject(new Error(reason))
    })

    // node:child_process rather than execa: the detached supervisor spawns anvil first thing, and
    // execa's ~100 modules would delay every devnet start (bench: `npm run bench -- cli`).
    const child = spawn(file, args, {stdio: ['ignore', 'pipe', 'pipe']})
    this.child = child
    // Off Linux there is no parent-death signal: at least a normal exit of ours takes anvil along.
    const killOnExit = () => child.kill('SIGKILL')
    process.once('exit', killOnExit)
    this.exited = new Promise<void>((resolve) => {
      child.once('close', () => resolve())
      child.once('error', (err) => {
        failed(err.message)
        resolve()
      })
    }).finally(() => process.off('exit', killOnExit))

    let pending = ''
    const onOutput = (chunk: Buffer) => {
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
    }
    // stdout and stderr as one stream, as a terminal would show them.
    child.stdout!.on('data', onOutput)
    child.stderr!.on('data', onOutput)

    void this.exited.then(() => {
      this.closeLog()
      const wasRunning = this.status === 'started'
      const code = child.exitCode
      const signal = child.signalCode
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

  /**
   * Polls eth_chainId until anvil answers; checks that it is the chain we asked for. No deadline of
   * its own: start() races it against the start timeout.
   */
  private async probe(): Promise<void> {
    const answered = async () => {
      if (this.status !== 'starting') throw new Error('exited while starting')
      const id = await jsonRpc<string>(this.rpcUrl, 'eth_chainId').catch(() => undefined)
      if (id === undefined) return undefined
      if (Number.parseInt(id, 16) !== this.options.chainId)
        throw new Error(`answered chain id ${Number.parseInt(id, 16)}, expected ${this.options.chainId}`)
      return true
    }
    await poll(answered, {timeoutMs: Number.POSITIVE_INFINITY})
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
        this.exited!.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), stopTimeoutMs)
        }),
      ])
      clearTimeout(timer)
      if (timedOut) {
        child.kill('SIGKILL')
        await this.exited
      }
    } else {
      await this.exited
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
