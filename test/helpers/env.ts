import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * One genesis cache for the whole test run (built once, then loaded by every devnet the tests
 * start), never the user's own ~/.cache/openledger.
 */
export const TEST_CACHE_DIR = join(tmpdir(), 'openledger-test-cache')
process.env.OPENLEDGER_CACHE_DIR = TEST_CACHE_DIR

/** A fresh empty folder, removed when `cleanup` runs. */
export function tempDir(prefix = 'openledger-'): {dir: string; cleanup: () => void} {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}
