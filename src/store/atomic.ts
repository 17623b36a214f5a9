import {randomBytes} from 'node:crypto'
import {closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {ExitCode, OpenledgerError} from '../errors.js'
import {toJsonText} from '../ui/json.js'

/**
 * Writes a file so that readers see the old content or the new, never half of it:
 * a temp file in the same folder, fsync, then rename over the target.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), {recursive: true})
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    const fd = openSync(tmp, 'w')
    try {
      const buf = typeof data === 'string' ? Buffer.from(data) : data
      let off = 0
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, {force: true})
    throw err
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, toJsonText(value) + '\n')
}

export class CorruptFileError extends OpenledgerError {
  override name = 'CorruptFileError'
  constructor(path: string, reason: string, cause?: unknown) {
    super('E_CORRUPT_FILE', `${path} is corrupt: ${reason}`, {
      cause,
      exitCode: ExitCode.state,
      metaMessages: ['Fix or delete the file; openledger writes it again where it can.'],
    })
  }
}

/** Reads JSON; a missing file gives `undefined`, an unreadable one a CorruptFileError naming it. */
export function readJsonFile<T>(path: string): T | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    return JSON.parse(text) as T
  } catch (err) {
    throw new CorruptFileError(path, `not valid JSON (${(err as Error).message})`, err)
  }
}
