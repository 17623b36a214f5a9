import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * One genesis cache for the whole test run (built once, then loaded by every devnet the tests
 * start), never the user's own ~/.cache/openledger.
 */
export const TEST_CACHE_DIR = join(tmpdir(), 'openledger-test-cache')
process.env.OPENLEDGER_CACHE_DIR = TEST_CACHE_DIR

export type TempDir = {dir: string; cleanup: () => void}

/**
 * The tests' one way to get a scratch folder: a fresh empty one under the OS temp folder, removed
 * when `cleanup` runs (call it from afterEach/afterAll).
 */
export function tempDir(prefix = 'openledger-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}
