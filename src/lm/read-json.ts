import {existsSync, readFileSync} from 'node:fs'

import {UsageError} from '../errors.js'

/** A JSON file the user supplied (tokenizer, adapter config, shard index); errors are one line naming it. */
export function readJson<T>(path: string): T {
  if (!existsSync(path)) throw new UsageError(`${path} is missing`)
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${(err as Error).message})`, {cause: err})
  }
}
