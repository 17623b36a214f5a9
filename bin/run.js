#!/usr/bin/env node
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
// Idle keep-alive sockets to the chains would hold the process open for seconds after the command
// is done, so exit explicitly (a foreground devnet returns only once stopped) — but only once
// stdout and stderr are flushed: on POSIX a pipe is written asynchronously, and exiting early would
// cut a large --json document short.
const flushed = (stream) => new Promise((resolve) => stream.write('', resolve))
await Promise.all([flushed(process.stdout), flushed(process.stderr)])
process.exit()
