import {existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import type {Hex} from 'viem'

import {readJsonFile, writeFileAtomic, writeJsonAtomic} from '../store/atomic.js'
import {devnetDir} from './state.js'
import type {DevnetDeployment} from './state.js'
import {jsonRpc} from './rpc.js'

/**
 * Crash recovery: the last state of both chains, kept on disk while the devnet runs, so that
 * `devnet start` after a crash (an anvil or the supervisor killed) resumes where it was instead of
 * starting from genesis. A clean `devnet stop` removes it: the next start is a fresh genesis.
 *
 * Our own dump on each new block (anvil_dumpState, written atomically) rather than anvil's
 * `--state-interval`: anvil writes its file in place, so a kill during the write would leave half a
 * state, and a timer of whole seconds loses the last second's blocks.
 */
const RECOVERY_FORMAT = 1

export type RecoveryMeta = {
  format: number
  /** The genesis the saved chains grew from; another genesis (new contracts) does not resume them. */
  genesisKey: string
  deployments: DevnetDeployment[]
  l1: {blockNumber: string; blockHash: Hex}
  l2: {blockNumber: string; blockHash: Hex}
  savedAt: string
}

export type SavedDevnet = {meta: RecoveryMeta; l1StatePath: string; l2StatePath: string}

export const recoveryDir = (stateDir?: string) => join(devnetDir(stateDir), 'recovery')
const paths = (stateDir?: string) => {
  const d = recoveryDir(stateDir)
  return {meta: join(d, 'meta.json'), l1: join(d, 'l1.json'), l2: join(d, 'l2.json')}
}

/** The state a crashed devnet left, when complete and of this genesis; else undefined (and why). */
export function findSavedDevnet(genesisKey: string, stateDir?: string): {saved?: SavedDevnet; discarded?: string} {
  const p = paths(stateDir)
  const meta = readJsonFile<RecoveryMeta>(p.meta)
  if (!meta) return {}
  if (meta.format !== RECOVERY_FORMAT || !existsSync(p.l1) || !existsSync(p.l2)) return {discarded: 'the saved state is incomplete'}
  if (meta.genesisKey !== genesisKey) return {discarded: 'the saved state grew from another genesis (the contracts changed)'}
  return {saved: {meta, l1StatePath: p.l1, l2StatePath: p.l2}}
}

export function removeSavedDevnet(stateDir?: string): void {
  rmSync(recoveryDir(stateDir), {recursive: true, force: true})
}

type Head = {number: Hex; hash: Hex}

/**
 * Saves a chain whenever it has a new head block (checked every `intervalMs`), at most once per
 * `minGapMs`: a dump holds anvil's state lock and costs a few milliseconds per 100 kB of state, so
 * a burst of transactions is saved once at its end rather than after each block. The chain's file
 * is rewritten first, then the meta file: a crash between them leaves the previous meta, which
 * only names blocks the files already hold or have passed. Deposits or withdrawals caught between
 * the two chains' dumps are completed by the relayer on resume (it rescans, and every relay step
 * checks the other chain first).
 */
export class StateKeeper {
  private timer?: NodeJS.Timeout
  private running?: Promise<void>
  private stopped = false
  private saved: {l1?: Head; l2?: Head} = {}
  private lastSaveAt = 0

  constructor(
    private readonly chains: {l1: string; l2: string},
    private readonly what: {genesisKey: string; deployments: DevnetDeployment[]; stateDir?: string},
    private readonly options: {intervalMs?: number; minGapMs?: number; onError?: (err: unknown) => void} = {},
  ) {}

  start(): void {
    const loop = async () => {
      if (this.stopped) return
      this.running = this.saveIfChanged().then(
        () => undefined,
        (err) => this.options.onError?.(err),
      )
      await this.running
      if (!this.stopped) this.timer = setTimeout(loop, this.options.intervalMs ?? 100)
    }
    void loop()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  /** Saves each chain whose head moved since its last save; true when it saved. */
  async saveIfChanged(): Promise<boolean> {
    if (Date.now() - this.lastSaveAt < (this.options.minGapMs ?? 250)) return false
    const [h1, h2] = await Promise.all([head(this.chains.l1), head(this.chains.l2)])
    const moved = (['l1', 'l2'] as const).filter((c) => this.saved[c]?.hash !== (c === 'l1' ? h1 : h2).hash)
    if (!moved.length) return false
    const p = paths(this.what.stateDir)
    const heads = {l1: h1, l2: h2}
    await Promise.all(moved.map(async (c) => writeFileAtomic(p[c], await dump(this.chains[c]))))
    for (const c of moved) this.saved[c] = heads[c]
    writeJsonAtomic(p.meta, {
      format: RECOVERY_FORMAT,
      genesisKey: this.what.genesisKey,
      deployments: this.what.deployments,
      l1: {blockNumber: BigInt(this.saved.l1!.number).toString(), blockHash: this.saved.l1!.hash},
      l2: {blockNumber: BigInt(this.saved.l2!.number).toString(), blockHash: this.saved.l2!.hash},
      savedAt: new Date().toISOString(),
    } satisfies RecoveryMeta)
    this.lastSaveAt = Date.now()
    return true
  }
}

const head = (url: string) => jsonRpc<Head>(url, 'eth_getBlockByNumber', ['latest', false])

/** anvil_dumpState answers gzip as hex; --load-state reads the JSON inside. */
async function dump(url: string): Promise<Buffer> {
  const hex = await jsonRpc<Hex>(url, 'anvil_dumpState', [], 30_000)
  return gunzipSync(Buffer.from(hex.slice(2), 'hex'))
}
