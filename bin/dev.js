#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step), for working on openledger itself. tsx is
// registered from this package's own node_modules, so it works from any folder.
import {register} from 'tsx/esm/api'

register()
const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
const flushed = (stream) => new Promise((resolve) => stream.write('', resolve))
await Promise.all([flushed(process.stdout), flushed(process.stderr)])
process.exit()
