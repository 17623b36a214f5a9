import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {dirname, join, resolve, sep} from 'node:path'

import {defineConfig} from 'vitest/config'

/**
 * Three projects, so that the quick part can run alone (`npm run test:unit`):
 * - unit: no chain, no built CLI;
 * - chain: starts anvil (a devnet, or the contracts on a bare anvil), in-process;
 * - e2e: runs the built CLI (bin/run.js → dist/); its globalSetup builds dist/ first, so it never
 *   tests stale code.
 * A file's project follows from what it (or a test helper it imports) uses, not from its folder:
 * a new test lands in the right project without editing this list.
 */
const ROOT = import.meta.dirname
const E2E = /helpers\/cli\.js|bin\/run\.js|['"]bin['"],\s*['"]run\.js['"]|pkg\.main/
const CHAIN =
  /anvil|helpers\/contracts\.js|publish\/helpers\.js|src\/devnet\/|from '\.\.\/\.\.\/src\/(chain\/context|protocol|publish\/pay)/i

/** The source of a test file and of every test helper it imports (relative imports under test/), transitively. */
function sourceWithHelpers(file: string, seen = new Set<string>()): string {
  if (seen.has(file)) return ''
  seen.add(file)
  const text = readFileSync(file, 'utf8')
  let all = text
  for (const m of text.matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), m[1].replace(/\.js$/, '.ts'))
    if (target.startsWith(join(ROOT, 'test')) && existsSync(target)) all += sourceWithHelpers(target, seen)
  }
  return all
}

const files = ['test', 'src']
  .flatMap((dir) => readdirSync(join(ROOT, dir), {recursive: true, encoding: 'utf8'}).map((f) => `${dir}/${f.split(sep).join('/')}`))
  .filter((f) => f.endsWith('.test.ts') && !f.includes('node_modules/'))
  .sort()
const projectOf = (file: string): 'unit' | 'chain' | 'e2e' => {
  const text = sourceWithHelpers(join(ROOT, file))
  if (E2E.test(text)) return 'e2e'
  if (CHAIN.test(text)) return 'chain'
  return 'unit'
}
const byProject: Record<'unit' | 'chain' | 'e2e', string[]> = {unit: [], chain: [], e2e: []}
for (const f of files) byProject[projectOf(f)].push(f)

// Tests run against real anvil processes and real ONNX Runtime sessions: forks (not VM pools, which
// break onnxruntime's typed arrays), generous timeouts, no retries (a flake is a bug to fix).
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    retry: 0,
    reporters: ['default'],
    projects: [
      {extends: true, test: {name: 'unit', include: byProject.unit}},
      {extends: true, test: {name: 'chain', include: byProject.chain}},
      {extends: true, test: {name: 'e2e', include: byProject.e2e, globalSetup: ['test/helpers/build-dist.ts']}},
    ],
  },
})
