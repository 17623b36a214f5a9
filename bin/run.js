#!/usr/bin/env node
// Node 22+ keeps compiled code between runs (a no-op on Node 20, which has no such cache).
import module from 'node:module'

module.enableCompileCache?.()
// The bundle (npm run build, scripts/bundle-cli.mjs): oclif in one file, each command an entry with
// shared chunks, so a command reads a few files instead of resolving hundreds of modules.
const {execute} = await import('../dist/app/main.js')

await execute({dir: import.meta.url})
// Idle keep-alive sockets to the chains would hold the process open for seconds after the command
// is done, so exit explicitly (a foreground devnet returns only once stopped) — but only once
// stdout and stderr are flushed: on POSIX a pipe is written asynchronously, and exiting early would
// cut a large --json document short.
const flushed = (stream) => new Promise((resolve) => stream.write('', resolve))
await Promise.all([flushed(process.stdout), flushed(process.stderr)])
process.exit()
