import {existsSync, readdirSync, statSync} from 'node:fs'
import {join, relative, resolve, sep} from 'node:path'

import {ConfigError} from '../config/index.js'

const GLOB_CHARS = /[*?[]/

/** A glob (`*`, `**`, `?`, `[abc]`) over forward-slash paths as a RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/'
        re += slash ? '(?:[^/]*/)*' : '.*'
        i += slash ? 2 : 1
      } else re += '[^/]*'
    } else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1)
      if (end < 0) re += '\\['
      else {
        re += '[' + glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']'
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

/** Files under `dir` (relative, forward slashes), skipping hidden entries and node_modules. */
function walk(root: string, dir: string, out: string[]): void {
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue
    const p = join(dir, e.name)
    if (e.isDirectory()) walk(root, p, out)
    else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'))
  }
}

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
        const files: string[] = []
        walk(abs, abs, files)
        for (const f of files) out.add(relative(projectDir, join(abs, f)).split(sep).join('/'))
      } else out.add(relative(projectDir, abs).split(sep).join('/'))
      return
    }
    if (all === undefined) {
      all = []
      walk(projectDir, projectDir, all)
    }
    const re = globToRegExp(p)
    const hits = all.filter((f) => re.test(f))
    if (hits.length === 0) throw new ConfigError(configFile, where, `"${pattern}" matches no file`)
    for (const h of hits) out.add(h)
  })
  return [...out].sort()
}
