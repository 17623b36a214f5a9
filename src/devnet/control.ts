import {existsSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {ExitCode, OpenledgerError, UsageError} from '../errors.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {DevnetNotRunningError} from './errors.js'
import {type ProcessIdentity, isSameProcess} from './process-identity.js'
import {removeSavedDevnet} from './recovery.js'
import {blockNumber, jsonRpc, takeSnapshot} from './rpc.js'
import {poll} from '../util/poll.js'
import {
  type DevnetState,
  devnetDir,
  devnetStatePath,
  isProcessAlive,
  isSupervisorAlive,
  readDevnetState,
  removeDevnetState,
  writeDevnetState,
} from './state.js'

export type DevnetStatus =
  | {running: false; stateFile: string; stale: boolean}
  | {
      running: true
      supervisorPid: number
      startedAt: string
      uptimeSeconds: number
      l1: {rpcUrl: string; chainId: number; blockNumber: string; pid: number}
      l2: {rpcUrl: string; chainId: number; blockNumber: string; pid: number}
      contracts: Record<string, string>
      snapshots: string[]
      genesis: DevnetState['genesis']
    }

/** The devnet of this folder, asked live: the supervisor's pid and both chains' block numbers. */
export async function devnetStatus(dir = defaultStateDir()): Promise<DevnetStatus> {
  const state = readDevnetState(dir)
  if (!state || !isSupervisorAlive(state)) return {running: false, stateFile: devnetStatePath(dir), stale: Boolean(state)}
  // Plain JSON-RPC, not viem clients: status is asked often (scripts poll it) and must start fast.
  const [b1, b2] = await Promise.all([blockNumber(state.l1.rpcUrl), blockNumber(state.l2.rpcUrl)]).catch((err) => {
    throw new OpenledgerError(
      'E_DEVNET_UNREACHABLE',
      `the devnet supervisor (pid ${state.supervisorPid}) runs but its chains do not answer`,
      {cause: err},
    )
  })
  return {
    running: true,
    supervisorPid: state.supervisorPid,
    startedAt: state.startedAt,
    uptimeSeconds: Math.round((Date.now() - Date.parse(state.startedAt)) / 1000),
    l1: {rpcUrl: state.l1.rpcUrl, chainId: state.l1.chainId, blockNumber: b1.toString(), pid: state.l1.pid},
    l2: {rpcUrl: state.l2.rpcUrl, chainId: state.l2.chainId, blockNumber: b2.toString(), pid: state.l2.pid},
    contracts: state.contracts,
    snapshots: Object.keys(state.snapshots).filter((n) => n !== 'genesis'),
    genesis: state.genesis,
  }
}

export function requireRunningDevnet(dir = defaultStateDir()): DevnetState {
  const state = readDevnetState(dir)
  if (!state || !isSupervisorAlive(state)) throw new DevnetNotRunningError(devnetStatePath(dir))
  return state
}

/** A process the devnet started, as its state file recorded it. Older state files hold the pid only. */
type Recorded = {pid: number; identity?: ProcessIdentity}

/** Whether `p` is still the process recorded at start: only then may it be signalled. */
const isStill = (p: Recorded) => (p.identity ? isSameProcess(p.identity) : isProcessAlive(p.pid))

/** Signals a recorded process if, and only if, it is still the one the devnet started. */
function signalIfOurs(p: Recorded, signal: NodeJS.Signals): void {
  if (!isStill(p)) return
  try {
    process.kill(p.pid, signal)
  } catch {}
}

/** Whether every process exited within the time (polled: they are not our children, so no exit event). */
async function waitForExit(processes: Recorded[], timeoutMs: number): Promise<boolean> {
  const allGone = () => processes.every((p) => !isStill(p))
  return poll(allGone, {timeoutMs, intervalMs: 20}).catch(() => allGone())
}

export type StopResult = {stopped: true; supervisorPid: number; forced: boolean}

/**
 * Stops the devnet of this folder: SIGTERM to its supervisor (which stops the relayer, then both
 * anvils), SIGKILL after the timeout, and the anvils are checked gone. With nothing running it is
 * an error (exit 3), after removing a stale state file.
 */
export async function stopDevnet(dir = defaultStateDir(), timeoutMs = 10_000): Promise<StopResult> {
  const state = readDevnetState(dir)
  if (!state || !isSupervisorAlive(state)) {
    if (state) removeDevnetState(dir)
    throw new DevnetNotRunningError(devnetStatePath(dir))
  }
  // Every signal below goes to a pid only while it is still the process recorded at start (start
  // time and command line): a pid freed by a dead anvil may already belong to someone else.
  const all: Recorded[] = [
    {pid: state.supervisorPid, identity: state.supervisor},
    {pid: state.l1.pid, identity: state.l1.process},
    {pid: state.l2.pid, identity: state.l2.process},
  ]
  signalIfOurs(all[0], 'SIGTERM')
  let forced = false
  if (!(await waitForExit(all, timeoutMs))) {
    forced = true
    for (const p of all) signalIfOurs(p, 'SIGKILL')
    await waitForExit(all, 5000)
  }
  if (existsSync(devnetStatePath(dir))) removeDevnetState(dir)
  // A stopped devnet starts from genesis next time: only a crash leaves a state to resume.
  removeSavedDevnet(dir)
  return {stopped: true, supervisorPid: state.supervisorPid, forced}
}

const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function checkSnapshotName(name: string): void {
  if (!SNAPSHOT_NAME.test(name)) throw new UsageError(`snapshot name "${name}" must be letters, digits, '.', '_' or '-' (at most 64)`)
  if (name === 'genesis') throw new UsageError('"genesis" is reserved: `openledger devnet reset` returns to it')
}

export type SnapshotResult = {name: string; l1BlockNumber: string; l2BlockNumber: string}

/** Saves both chains' state under a name (evm_snapshot): restore returns both to exactly this point. */
export async function snapshotDevnet(name: string, dir = defaultStateDir()): Promise<SnapshotResult> {
  checkSnapshotName(name)
  const state = requireRunningDevnet(dir)
  const ids = await takeSnapshot(state.l1.rpcUrl, state.l2.rpcUrl)
  const [b1, b2] = await Promise.all([blockNumber(state.l1.rpcUrl), blockNumber(state.l2.rpcUrl)])
  state.snapshots[name] = ids
  writeDevnetState(state, dir)
  return {name, l1BlockNumber: b1.toString(), l2BlockNumber: b2.toString()}
}

/**
 * Returns both chains to a named snapshot (or to the genesis for reset). anvil consumes a snapshot
 * when reverting to it, so it is taken again at once and the name stays usable; snapshots taken
 * after it are gone (their chain history no longer exists).
 */
export async function restoreDevnet(name: string, dir = defaultStateDir()): Promise<SnapshotResult> {
  const state = requireRunningDevnet(dir)
  const ids = state.snapshots[name]
  if (!ids) {
    const known = Object.keys(state.snapshots).filter((n) => n !== 'genesis')
    throw new UsageError(`no snapshot named "${name}" in this devnet session${known.length ? ` (known: ${known.join(', ')})` : ''}`)
  }
  const [ok1, ok2] = await Promise.all([
    jsonRpc<boolean>(state.l1.rpcUrl, 'evm_revert', [ids.l1]),
    jsonRpc<boolean>(state.l2.rpcUrl, 'evm_revert', [ids.l2]),
  ])
  if (!ok1 || !ok2)
    throw new OpenledgerError('E_SNAPSHOT_REVERT', `anvil refused to revert to snapshot "${name}"`, {exitCode: ExitCode.state})
  // Snapshots taken after this one no longer exist on the chains.
  const order = Object.entries(state.snapshots).sort((a, b) => Number(BigInt(a[1].l1) - BigInt(b[1].l1)))
  const after = new Set(order.filter(([, v]) => BigInt(v.l1) > BigInt(ids.l1)).map(([n]) => n))
  for (const n of after) delete state.snapshots[n]
  state.snapshots[name] = await takeSnapshot(state.l1.rpcUrl, state.l2.rpcUrl)
  writeDevnetState(state, dir)
  const [b1, b2] = await Promise.all([blockNumber(state.l1.rpcUrl), blockNumber(state.l2.rpcUrl)])
  return {name, l1BlockNumber: b1.toString(), l2BlockNumber: b2.toString()}
}

/** The devnet's log files: the supervisor's and each anvil's. */
export function devnetLogFiles(dir = defaultStateDir()): Record<'supervisor' | 'l1' | 'l2', string> {
  const d = devnetDir(dir)
  return {supervisor: join(d, 'supervisor.log'), l1: join(d, 'l1.log'), l2: join(d, 'l2.log')}
}

/** The last `lines` lines of a log file ('' when it does not exist yet). */
export function tailFile(path: string, lines: number): string {
  if (!existsSync(path)) return ''
  const size = statSync(path).size
  const text = readFileSync(path, 'utf8').slice(size > 4_000_000 ? -4_000_000 : 0)
  const all = text.split('\n')
  if (all.at(-1) === '') all.pop()
  return all.slice(-lines).join('\n')
}
