#!/usr/bin/env node
// For working on openledger itself: recompiles what changed in src/ (tsc --incremental, for dist/
// and the types) and rebundles the CLI (esbuild, well under a second), so it never runs stale code.
// Users run bin/run.js.
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
try {
  execFileSync(
    process.execPath,
    [
      `${root}node_modules/typescript/bin/tsc`,
      '-p',
      `${root}tsconfig.json`,
      '--incremental',
      '--tsBuildInfoFile',
      `${root}node_modules/.cache/openledger.tsbuildinfo`,
    ],
    {stdio: 'inherit'},
  )
  const {bundleCli} = await import('../scripts/bundle-cli.mjs')
  await bundleCli(root)
} catch {
  process.exit(2)
}
const {execute} = await import('../dist/app/main.js')
await execute({development: true, dir: import.meta.url})
const flushed = (stream) => new Promise((resolve) => stream.write('', resolve))
await Promise.all([flushed(process.stdout), flushed(process.stderr)])
process.exit()
