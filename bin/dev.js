#!/usr/bin/env node
// For working on openledger itself: recompiles what changed in src/ (tsc --incremental) and runs
// the result, so the CLI never runs stale code. Users run bin/run.js.
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
} catch {
  process.exit(2)
}
const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
const flushed = (stream) => new Promise((resolve) => stream.write('', resolve))
await Promise.all([flushed(process.stdout), flushed(process.stderr)])
process.exit()
