import {spawn} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync} from 'node:fs'
import {dirname, extname} from 'node:path'
import {fileURLToPath} from 'node:url'

import {ExitCode, OpenledgerError} from '../errors.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {devnetLogFiles, tailFile} from './control.js'
import type {DevnetState} from './state.js'
import type {StartDevnetOptions} from './supervisor.js'

/** Messages a detached supervisor sends its launcher over IPC. */
export type SupervisorMessage =
  | {type: 'ready'; state: DevnetState}
  | {type: 'error'; error: {code: string; name: string; message: string; details?: string; hints?: string[]; exitCode: number}}

// The supervisor's entry: the bundled one (dist/app/, one file to load: it starts faster) when
// built, else the module beside this one (.ts when run from source).
const supervisorScript = () => {
  const bundled = fileURLToPath(new URL('../app/devnet/supervisor-main.js', import.meta.url))
  if (existsSync(bundled)) return bundled
  return fileURLToPath(new URL(`./supervisor-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url))
}

/**
 * Starts the devnet in a background supervisor process (its own session, output appended to
 * .openledger/devnet/supervisor.log) and waits until it reports ready or failed over IPC.
 */
export async function startDetached(options: StartDevnetOptions = {}, opts: {timeoutMs?: number} = {}): Promise<DevnetState> {
  const dir = options.stateDir ?? defaultStateDir()
  const logPath = devnetLogFiles(dir).supervisor
  mkdirSync(dirname(logPath), {recursive: true})
  const log = openSync(logPath, 'a')
  const child = spawn(
    process.execPath,
    [...process.execArgv, supervisorScript(), JSON.stringify({...options, stateDir: dir, onProgress: undefined})],
    {
      detached: true,
      stdio: ['ignore', log, log, 'ipc'],
    },
  )
  closeSync(log)
  const timeoutMs = opts.timeoutMs ?? 120_000
  try {
    const message = await new Promise<SupervisorMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the devnet supervisor within ${timeoutMs} ms`)), timeoutMs)
      child.once('message', (m) => {
        clearTimeout(timer)
        resolve(m as SupervisorMessage)
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`the devnet supervisor exited before it was ready (${signal ?? `code ${code}`})`))
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
    })
    if (message.type === 'error') {
      const e = message.error
      throw new OpenledgerError(e.code, e.message, {details: e.details, metaMessages: e.hints, exitCode: e.exitCode})
    }
    return message.state
  } catch (err) {
    if (err instanceof OpenledgerError) throw err
    if (child.exitCode === null) child.kill('SIGKILL')
    throw new OpenledgerError('E_DEVNET_START', (err as Error).message, {
      details: tailFile(logPath, 10) || undefined,
      exitCode: ExitCode.failure,
    })
  } finally {
    child.removeAllListeners()
    if (child.connected) child.disconnect()
    child.unref()
  }
}
