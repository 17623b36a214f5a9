import {type Dirent, type FSWatcher, readdirSync, statSync, watch} from 'node:fs'
import {join} from 'node:path'

export type FolderWatch = {
  /** The folders watched now, relative to the root (forward slashes; '' is the root). */
  folders(): string[]
  close(): void
}

export type WatchFoldersOptions = {
  /** Called with the changed entry's path relative to the root (forward slashes). */
  onChange: (rel: string) => void
  /** Folders (relative, forward slashes) never watched, nor anything under them. */
  skip: (rel: string, name: string) => boolean
  /** A watcher that failed (a folder removed under it, too many watches); reported, not fatal. */
  onError?: (rel: string, err: Error) => void
}

/**
 * Watches every folder under `root` with one non-recursive fs.watch each. Folders, not files:
 * an editor that saves by writing a temp file and renaming it over the original (`sed -i`, vim,
 * most IDEs) replaces the file's inode, and a watch on the file itself goes blind after the first
 * save; a watch on its folder sees every rename into it. New folders are picked up when they
 * appear (their contents reported as changed), removed ones dropped.
 */
export function watchFolders(root: string, opts: WatchFoldersOptions): FolderWatch {
  const watchers = new Map<string, FSWatcher>()
  const drop = (rel: string) => {
    for (const [k, w] of watchers) {
      if (k === rel || (rel === '' ? true : k.startsWith(rel + '/'))) {
        w.close()
        watchers.delete(k)
      }
    }
  }

  /** Watches `rel` and the folders under it; returns the files found in folders not watched before. */
  const arm = (rel: string, found: string[]) => {
    if (watchers.has(rel)) return
    const abs = rel === '' ? root : join(root, rel)
    let w: FSWatcher
    try {
      w = watch(abs, {persistent: true}, (_type, name) => {
        if (!name) {
          // Some platforms drop the name on overflow: report the folder itself.
          opts.onChange(rel)
          return
        }
        const child = rel === '' ? name.toString() : `${rel}/${name.toString()}`
        const base = name.toString()
        // A rename event may be a folder appearing or going: look, and re-arm accordingly.
        let isDir = false
        try {
          isDir = statSync(join(root, child)).isDirectory()
        } catch {
          drop(child)
        }
        if (isDir && !opts.skip(child, base) && !watchers.has(child)) {
          const files: string[] = []
          arm(child, files)
          for (const f of files) opts.onChange(f)
        }
        opts.onChange(child)
      })
    } catch (err) {
      opts.onError?.(rel, err as Error)
      return
    }
    w.on('error', (err) => {
      drop(rel)
      opts.onError?.(rel, err)
    })
    watchers.set(rel, w)
    let entries: Dirent[]
    try {
      entries = readdirSync(abs, {withFileTypes: true})
    } catch {
      return
    }
    for (const e of entries) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) {
        if (!opts.skip(child, e.name)) arm(child, found)
      } else found.push(child)
    }
  }

  arm('', [])
  return {
    folders: () => [...watchers.keys()].sort(),
    close: () => drop(''),
  }
}
