import {relative, sep} from 'node:path'

import {type LoadedProjectConfig, loadProjectConfig} from '../config/index.js'
import {messageOf} from '../errors.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {globToRegExp} from './files.js'
import {type FolderWatch, watchFolders} from './folder-watch.js'
import {type DevDevnetSummary, type DevEvent, type DevSummary, type RunDevParameters, runDevOnce} from './pipeline.js'

export type DevView = {
  event(e: DevEvent): void
  summary(s: DevSummary): void
  status(text: string): void
  /** Stopping begins: a live view gives the terminal back, so the last lines stay on screen. */
  stopping?(): void
  close(): void
}

export type RunDevWatchParameters = RunDevParameters & {
  loaded: LoadedProjectConfig
  port?: number
  /** Stops it like SIGINT/SIGTERM do (tests, embedding). */
  signal?: AbortSignal
  debounceMs?: number
  /** How progress is shown; log lines on stderr by default (the command passes the ink view on a terminal). */
  view?: DevView
}

const IGNORED = ['.openledger', 'node_modules', '.git']

/** Whether a changed file (relative to the project, forward slashes) is the config or a datanet's input. */
export function isWatchedPath(loaded: LoadedProjectConfig, rel: string): boolean {
  if (IGNORED.some((d) => rel === d || rel.startsWith(d + '/'))) return false
  const configRel = relative(loaded.dir, loaded.path).split(sep).join('/')
  if (rel === configRel) return true
  for (const d of loaded.config.datanets ?? []) {
    for (const pattern of d.files) {
      const p = pattern.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/$/, '')
      if (/[*?[]/.test(p) ? globToRegExp(p).test(rel) : rel === p || rel.startsWith(p + '/')) return true
    }
  }
  return false
}

export function plainView(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): DevView {
  return {
    event: (e) => write(`${e.at.slice(11, 19)} ${e.scope.padEnd(8)} ${e.name ? `${e.name}: ` : ''}${e.message}`),
    summary: (s) =>
      write(
        `${new Date().toISOString().slice(11, 19)} dev      ${s.changed ? 'updated' : 'nothing changed'} in ${s.seconds} s; watching for changes (Ctrl-C stops)`,
      ),
    status: (text) => write(`${new Date().toISOString().slice(11, 19)} dev      ${text}`),
    close: () => {},
  }
}

export type DevWatchResult = {
  /** The last pass's summary (none when stopped before the first pass ended). */
  summary?: DevSummary
  /** A pass was still running when it stopped: the caller should exit rather than wait for it. */
  abandoned: boolean
  /** What became of the devnet: stopped (this run started it), left running (it did not), none. */
  devnet: 'stopped' | 'left-running' | 'none'
}

/** Resolves on the first SIGINT or SIGTERM (or abort); a second signal finds no handler and ends the process. */
function stopRequest(signal?: AbortSignal): {promise: Promise<string>; dispose(): void} {
  let dispose = () => {}
  const promise = new Promise<string>((resolveStop) => {
    const onInt = () => resolveStop('SIGINT')
    const onTerm = () => resolveStop('SIGTERM')
    const onAbort = () => resolveStop('abort')
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
    signal?.addEventListener('abort', onAbort, {once: true})
    if (signal?.aborted) onAbort()
    dispose = () => {
      process.removeListener('SIGINT', onInt)
      process.removeListener('SIGTERM', onTerm)
      signal?.removeEventListener('abort', onAbort)
    }
  })
  return {promise, dispose: () => dispose()}
}

/**
 * `openledger dev` without --once: one pass, then watch the project's folders (debounced) and run
 * again on a change to the config or a datanet's files. Each pass only redoes what changed
 * (datanets with new records, models whose root or config hash moved). A config error while
 * watching is reported and the last good state kept. SIGINT/SIGTERM (Ctrl-C) stop it at any point,
 * also during a pass: the inference server closes, and the devnet is stopped when this run started
 * it, left running (and said so) when it was already up.
 */
export async function runDevWatch(p: RunDevWatchParameters): Promise<DevWatchResult> {
  const view: DevView = p.view ?? plainView()
  const stop = stopRequest(p.signal)
  let loaded = p.loaded
  let devnet: (DevDevnetSummary & {stateDir: string}) | undefined
  let ownsDevnet = false
  const onDevnet = (d: DevDevnetSummary & {stateDir: string}) => {
    devnet = d
    if (d.started) ownsDevnet = true
    p.onDevnet?.(d)
  }
  const onEvent = (e: DevEvent) => {
    p.onEvent?.(e)
    view.event(e)
  }
  const stopped = Symbol('stopped')
  let server: Serving | undefined
  let watcher: FolderWatch | undefined
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let summary: DevSummary | undefined

  const finish = async (abandoned: boolean): Promise<DevWatchResult> => {
    view.stopping?.()
    stop.dispose()
    watcher?.close()
    clearTimeout(timer)
    await server?.close()
    let fate: DevWatchResult['devnet'] = 'none'
    if (devnet && ownsDevnet) {
      const {stopDevnet} = await import('../devnet/control.js')
      try {
        await stopDevnet(devnet.stateDir)
        view.status(`stopped the devnet this run started (L2 ${devnet.l2.rpcUrl})`)
      } catch (err) {
        view.status(`could not stop the devnet: ${messageOf(err)}`)
      }
      fate = 'stopped'
    } else if (devnet) {
      view.status(
        `left running: the devnet (L2 ${devnet.l2.rpcUrl}, supervisor pid ${devnet.supervisorPid}) was up before dev started; \`openledger devnet stop\` stops it`,
      )
      fate = 'left-running'
    }
    view.status(`stopped watching${abandoned ? ' (the pass in progress was abandoned)' : ''}`)
    view.close()
    return {summary, abandoned, devnet: fate}
  }

  const first = runDevOnce({...p, loaded, onEvent, onDevnet})
  first.catch(() => {})
  const firstOutcome = await Promise.race([first, stop.promise.then(() => stopped)]).catch(async (err) => {
    stop.dispose()
    view.close()
    throw err
  })
  if (firstOutcome === stopped) return finish(true)
  summary = firstOutcome as DevSummary
  view.summary(summary)

  server = await startServing(p, loaded, summary, view)

  let again = false
  const changed = new Set<string>()
  const pass = async () => {
    const files = [...changed]
    changed.clear()
    view.status(`changed: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`)
    try {
      loaded = loadProjectConfig(loaded.dir, relative(loaded.dir, loaded.path))
      summary = await runDevOnce({...p, loaded, onEvent, onDevnet})
      view.summary(summary)
      if (summary.models.some((m) => m.trained || m.published)) await server!.reload(loaded, summary)
    } catch (err) {
      view.status(`error: ${messageOf(err)} (fix it and save again)`)
    }
  }
  const schedule = () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      if (running) {
        again = true
        return
      }
      running = (async () => {
        do {
          again = false
          await pass()
        } while (again || changed.size > 0)
      })().finally(() => (running = undefined))
    }, p.debounceMs ?? 300)
  }

  watcher = watchFolders(loaded.dir, {
    skip: (rel, name) => name.startsWith('.') || IGNORED.some((d) => rel === d || rel.startsWith(d + '/')),
    onChange: (rel) => {
      if (!isWatchedPath(loaded, rel)) return
      changed.add(rel)
      schedule()
    },
    onError: (rel, err) => view.status(`not watching ${rel || '.'} any more: ${err.message}`),
  })

  await stop.promise
  return finish(running !== undefined)
}

type Serving = {reload(loaded: LoadedProjectConfig, summary: DevSummary): Promise<void>; close(): Promise<void>}

/**
 * Serves the config's models (src/serve) on serve.port (or --port). After a pass that trained or
 * published a model the server is replaced on the same port, so a model name answers with its
 * newest version.
 */
async function startServing(
  p: RunDevWatchParameters,
  first: LoadedProjectConfig,
  firstSummary: DevSummary,
  view: DevView,
): Promise<Serving> {
  const {createInferenceServer} = await import('../serve/server.js')
  let port = p.port ?? first.config.serve?.port ?? 8787
  let current: Awaited<ReturnType<typeof start>> | undefined
  async function start(loaded: LoadedProjectConfig, summary: DevSummary) {
    const network = (loaded.config.network ?? 'devnet') as 'devnet' | 'testnet' | 'mainnet'
    const srv = createInferenceServer({
      stateDir: defaultStateDir(loaded.dir),
      // Paid requests are settled by the staked agent (config "agent"), the account answerable for them.
      chain: {network, account: summary.agent?.account ?? p.account, stateDir: defaultStateDir(loaded.dir)},
    })
    const names = summary.models.map((m) => m.name)
    const {url, port: bound} = await srv.listen(port, '127.0.0.1')
    port = bound
    view.status(
      `serving ${names.length ? names.join(', ') : 'no models'} on ${url} (POST /v1/infer, GET /health); watching for changes (Ctrl-C stops)`,
    )
    p.onEvent?.({at: new Date().toISOString(), scope: 'serve', message: `serving on ${url}`})
    return srv
  }
  if ((firstSummary.models ?? []).length > 0) {
    try {
      current = await start(first, firstSummary)
    } catch (err) {
      view.status(`not serving: ${messageOf(err)}`)
    }
  }
  return {
    async reload(loaded, summary) {
      await current?.close()
      current = undefined
      try {
        current = await start(loaded, summary)
      } catch (err) {
        view.status(`not serving: ${messageOf(err)}`)
      }
    },
    async close() {
      await current?.close()
    },
  }
}
