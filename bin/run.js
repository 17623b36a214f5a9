#!/usr/bin/env node
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
// Idle keep-alive sockets to the chains would hold the process open for seconds after the command
// is done; every command has finished its work here (a foreground devnet returns only once stopped).
process.exit()
