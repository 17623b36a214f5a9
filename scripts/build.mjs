// Build: TypeScript to dist/ (the programmatic API, its types, and the devnet supervisor), then the
// CLI as one esbuild bundle in dist/app/, then the oclif manifest so the CLI starts without loading
// or scanning commands.
// Runs from `npm ci` (prepare), so it must work offline with only devDependencies present.
import {execFileSync} from 'node:child_process'
import {rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {bundleCli} from './bundle-cli.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
// No update checks or other network calls from the build: installs must work offline.
const env = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}
const run = (cmd, args) => execFileSync(cmd, args, {cwd: root, stdio: 'inherit', env})

rmSync(join(root, 'dist'), {recursive: true, force: true})
run(bin('tsc'), ['-p', 'tsconfig.json'])
await bundleCli(root)
run(bin('oclif'), ['manifest'])
