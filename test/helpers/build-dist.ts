import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..')

/** The newest modification time among the build's inputs; folders count too, so a deleted or renamed file does. */
function newestInput(): number {
  let newest = 0
  const see = (path: string) => (newest = Math.max(newest, statSync(path).mtimeMs))
  for (const f of ['package.json', 'tsconfig.json', join('scripts', 'build.mjs'), join('scripts', 'bundle-cli.mjs')]) see(join(ROOT, f))
  const src = join(ROOT, 'src')
  see(src)
  for (const rel of readdirSync(src, {recursive: true, encoding: 'utf8'})) see(join(src, rel))
  return newest
}

/**
 * globalSetup of the e2e project: builds dist/ and the oclif manifest (scripts/build.mjs, as
 * `npm run build`) before any test runs bin/run.js, so the end-to-end tests always run the code in
 * the working tree. The build is skipped only when its last output (oclif.manifest.json, written
 * after dist/) is newer than every source file and folder; OPENLEDGER_TEST_BUILD=always forces it.
 */
export default function setup(): void {
  const stamp = join(ROOT, 'oclif.manifest.json')
  const fresh =
    process.env.OPENLEDGER_TEST_BUILD !== 'always' &&
    existsSync(join(ROOT, 'dist', 'index.js')) &&
    existsSync(join(ROOT, 'dist', 'app', 'main.js')) &&
    existsSync(stamp) &&
    statSync(stamp).mtimeMs > newestInput()
  if (fresh) return
  process.stderr.write('e2e: building dist/ (a source is newer than the last build)\n')
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], {cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit']})
}
