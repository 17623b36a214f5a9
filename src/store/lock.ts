import {closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'

import {ExitCode, OpenledgerError} from '../errors.js'
import {isProcessAlive} from './process.js'

export class LockedError extends OpenledgerError {
  override name = 'LockedError'
  constructor(path: string, pid: number) {
    super('E_LOCKED', `${path} is locked by another openledger process (pid ${pid})`, {
      exitCode: ExitCode.state,
      metaMessages: ['Wait for it to finish, or remove the lock file if that process is gone.'],
    })
  }
}

/**
 * An exclusive lock between openledger processes: a file created with O_EXCL holding our pid.
 * A lock left by a process that died is taken over. Returns the release function.
 */
export function acquireLock(path: string): () => void {
  mkdirSync(dirname(path), {recursive: true})
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(path, {force: true})
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) throw new LockedError(path, pid)
      rmSync(path, {force: true}) // stale: its owner is gone
    }
  }
  throw new LockedError(path, -1)
}

/** Runs `fn` holding the lock at `path`. */
export async function withLock<R>(path: string, fn: () => Promise<R> | R): Promise<R> {
  const release = acquireLock(path)
  try {
    return await fn()
  } finally {
    release()
  }
}
