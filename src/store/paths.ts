import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

/** The project's local state: `./.openledger/` of the working folder (OPENLEDGER_STATE_DIR overrides). */
export function stateDir(cwd: string = process.cwd()): string {
  return process.env.OPENLEDGER_STATE_DIR ? resolve(process.env.OPENLEDGER_STATE_DIR) : join(cwd, '.openledger')
}

/**
 * Machine-wide cache shared by every project (prebuilt devnet genesis states, embeddings):
 * OPENLEDGER_CACHE_DIR, else $XDG_CACHE_HOME/openledger, else ~/.cache/openledger.
 */
export function cacheDir(): string {
  if (process.env.OPENLEDGER_CACHE_DIR) return resolve(process.env.OPENLEDGER_CACHE_DIR)
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'openledger')
}
