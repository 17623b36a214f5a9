import {existsSync, statSync} from 'node:fs'
import {join, relative, resolve, sep} from 'node:path'

import picomatch from 'picomatch'

import {ConfigError} from '../config/index.js'
import {walkFiles} from '../store/walk.js'

const GLOB_CHARS = /[*?[]/

/** A glob (`*`, `**`, `?`, `[abc]`, `{a,b}`) over forward-slash paths as a RegExp (picomatch; dotfiles only when named). */
export function globToRegExp(glob: string): RegExp {
  return picomatch.makeRe(glob)
}

/** Files under `dir` (relative, forward slashes), skipping hidden entries and node_modules. */
const projectFiles = (dir: string) => walkFiles(dir, {skip: (name) => name.startsWith('.') || name === 'node_modules'})

/**
 * The files a datanet's `files` list names, relative to the config's folder: plain paths (files or
 * folders) as they are, globs matched against the project's files. Sorted and de-duplicated; a
 * path or glob that names nothing is a ConfigError naming its JSON path.
 */
export function expandFiles(projectDir: string, patterns: string[], jsonPath: string, configFile: string): string[] {
  const out = new Set<string>()
  let all: string[] | undefined
  patterns.forEach((pattern, i) => {
    const where = `${jsonPath}[${i}]`
    const p = pattern.replace(/\\/g, '/').replace(/^\.\//, '')
    if (!GLOB_CHARS.test(p)) {
      const abs = resolve(projectDir, p)
      if (!existsSync(abs)) throw new ConfigError(configFile, where, `"${pattern}": no such file or folder`)
      if (statSync(abs).isDirectory()) {
        for (const f of projectFiles(abs)) out.add(relative(projectDir, join(abs, f)).split(sep).join('/'))
      } else out.add(relative(projectDir, abs).split(sep).join('/'))
      return
    }
    all ??= projectFiles(projectDir)
    const re = globToRegExp(p)
    const hits = all.filter((f) => re.test(f))
    if (hits.length === 0) throw new ConfigError(configFile, where, `"${pattern}" matches no file`)
    for (const h of hits) out.add(h)
  })
  return [...out].sort()
}
