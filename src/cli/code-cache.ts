/**
 * Loads a CommonJS bundle (dist/app/oclif.cjs) through V8's code cache. Every command starts by
 * loading oclif, ~700 KB of JavaScript: compiling it, and the functions a run calls, is about a third
 * of the CLI's own start-up. Node 20 has no compile cache of its own (module.enableCompileCache is
 * Node 22), so the compiled code is kept the way v8-compile-cache does: vm.Script's cachedData, in
 * the user's cache folder, keyed by the bundle and the Node version (npm run bench -- cli).
 *
 * The cache is written once, when the process exits, so that it holds every function the run
 * compiled, not only the module's top level; a cache V8 refuses (another Node, other V8 flags) is
 * rewritten the same way. Failing to read or write it only costs the time it would have saved.
 */
import {existsSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import {basename, dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

import {writeFileAtomic} from '../store/atomic.js'
import {cacheDir} from '../store/paths.js'

/** FNV-1a over the path: tells apart two installs of openledger sharing one cache folder. */
function pathKey(path: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(16).padStart(8, '0')
}

/**
 * The cache file for `file` as it is now, under this Node: `prefix` names this file of this install
 * under this Node; the rest changes with every build.
 */
function cacheFileFor(file: string): {path: string; prefix: string} {
  const {size, mtimeMs} = statSync(file)
  const prefix = `${basename(file)}-${pathKey(file)}-${process.version}-${process.arch}-`
  return {path: join(cacheDir(), 'v8', `${prefix}${size}-${Math.round(mtimeMs)}.bin`), prefix}
}

function readCache(path: string): Buffer | undefined {
  try {
    return existsSync(path) ? readFileSync(path) : undefined
  } catch {
    return undefined
  }
}

/**
 * Runs the CommonJS file at `url` (a file: URL) as Node's require would, and returns its exports.
 * The file sees `importModule` as `__openledgerImport` (see scripts/bundle-cli.mjs: a script from
 * the code cache cannot use import() itself).
 */
export function requireWithCodeCache(url: string, importModule: (specifier: string) => Promise<unknown>): unknown {
  const file = fileURLToPath(url)
  const source = readFileSync(file, 'utf8')
  const {path: cacheFile, prefix} = cacheFileFor(file)
  const cachedData = readCache(cacheFile)
  const wrapped = `(function (exports, require, module, __filename, __dirname, __openledgerImport) {${source}\n})`
  const script = new vm.Script(wrapped, {filename: file, cachedData})
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        writeFileAtomic(cacheFile, script.createCachedData())
        // Caches of earlier builds of this file are not read again.
        for (const f of readdirSync(dirname(cacheFile)))
          if (f.startsWith(prefix) && f !== basename(cacheFile)) rmSync(join(dirname(cacheFile), f), {force: true})
      } catch {}
    })
  }
  const module = {exports: {}}
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file), importModule)
  return module.exports
}
