import {readdirSync} from 'node:fs'
import {join} from 'node:path'

export type WalkOptions = {
  /** Leave out an entry (and, for a folder, everything in it); `name` is its last path segment. */
  skip?: (name: string, isDirectory: boolean) => boolean
}

/**
 * The one folder walker of this project: every regular file under `root`, as paths relative to it
 * with forward slashes (on every platform: they are matched against globs and shown in messages),
 * sorted by code point. Symbolic links are not followed.
 */
export function walkFiles(root: string, options: WalkOptions = {}): string[] {
  const out: string[] = []
  const visit = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      if (options.skip?.(e.name, e.isDirectory())) continue
      const rel = prefix + e.name
      if (e.isDirectory()) visit(join(dir, e.name), rel + '/')
      else if (e.isFile()) out.push(rel)
    }
  }
  visit(root, '')
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}
