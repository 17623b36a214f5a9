import {type FSWatcher, watch} from 'node:fs'
import {relative, resolve, sep} from 'node:path'

import {type LoadedProjectConfig, loadProjectConfig} from '../config/index.js'
import {messageOf} from '../errors.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {globToRegExp} from './files.js'
import {type DevEvent, type DevSummary, type RunDevParameters, runDevOnce} from './pipeline.js'

export type DevView = {
  event(e: DevEvent): void
  summary(s: DevSummary): void
  status(text: string): void
  close(): void
}

export type RunDevWatchParameters = RunDevParameters & {
  loaded: LoadedProjectConfig
  port?: number
  /** Stops watching (tests); SIGINT and SIGTERM do too. */
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

/**
 * `openledger dev` without --once: one pass, then watch the config and the datanets' files
 * (fs.watch, debounced) and run again on a change. Each pass only redoes what changed (datanets
 * with new records, models whose root or config hash moved). A config error while watching is
 * reported and the last good state kept. Resolves with the last summary once stopped.
 */
export async function runDevWatch(p: RunDevWatchParameters): Promise<DevSummary> {
  const view: DevView = p.view ?? plainView()
  let loaded = p.loaded
  const onEvent = (e: DevEvent) => {
    p.onEvent?.(e)
    view.event(e)
  }
  let summary: DevSummary
  try {
    summary = await runDevOnce({...p, loaded, onEvent})
  } catch (err) {
    view.close()
    throw err
  }
  view.summary(summary)

  const server = await startServing(p, loaded, summary, view)

  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  const changed = new Set<string>()
  const pass = async () => {
    const files = [...changed]
    changed.clear()
    view.status(`changed: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`)
    try {
      loaded = loadProjectConfig(loaded.dir, relative(loaded.dir, loaded.path))
      summary = await runDevOnce({...p, loaded, onEvent})
      view.summary(summary)
      if (summary.models.some((m) => m.trained || m.published)) await server.reload(loaded, summary)
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

  const watcher: FSWatcher = watch(loaded.dir, {recursive: true}, (_type, file) => {
    if (!file) return
    const rel = relative(loaded.dir, resolve(loaded.dir, file.toString())).split(sep).join('/')
    if (!isWatchedPath(loaded, rel)) return
    changed.add(rel)
    schedule()
  })

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    p.signal?.addEventListener('abort', stop, {once: true})
    if (p.signal?.aborted) stop()
  })
  watcher.close()
  clearTimeout(timer)
  await running
  await server.close()
  view.status('stopped watching; the devnet is still up (`openledger devnet stop` stops it)')
  view.close()
  return summary
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
      chain: {network, account: p.account, stateDir: defaultStateDir(loaded.dir)},
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
