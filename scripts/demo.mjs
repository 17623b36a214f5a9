#!/usr/bin/env node
// The demo flow behind `npm run demo`: every step is a real `openledger` command run the way a user
// runs it, in a fresh folder, against a real devnet. Any failing step stops the demo with its exit code.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js')
const keep = process.argv.includes('--keep')
const work = mkdtempSync(join(tmpdir(), 'openledger-demo-'))

function step(title, args, {json = true} = {}) {
  process.stdout.write(`\n$ openledger ${args.join(' ')}\n`)
  const r = spawnSync(process.execPath, [bin, ...args, ...(json ? ['--json'] : [])], {cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
  if (r.status !== 0) {
    process.stdout.write(r.stdout)
    process.stderr.write(`demo step failed: ${title} (exit ${r.status})\n`)
    cleanup()
    process.exit(r.status ?? 1)
  }
  const out = json ? JSON.parse(r.stdout) : r.stdout
  return out
}

function cleanup() {
  spawnSync(process.execPath, [bin, 'devnet', 'stop'], {cwd: work, stdio: 'ignore'})
  if (!keep) rmSync(work, {recursive: true, force: true})
}

const show = (o) => process.stdout.write(JSON.stringify(o, null, 2) + '\n')

process.stdout.write(`openledger demo in ${work}\n`)
step('doctor', ['doctor'], {json: false}) && process.stdout.write('(doctor passed)\n')
const devnet = step('start the devnet', ['devnet', 'start', '--detach', '--l1-port', '0', '--l2-port', '0'])
show({l1: devnet.l1, l2: devnet.l2, contracts: devnet.contracts})
show(step('deposit 5 OPEN from L1 to L2', ['bridge', 'deposit', '5']))
show(step('withdraw 2 OPEN from L2 to L1', ['bridge', 'withdraw', '2', '--account', '1']))
show(step('devnet status', ['devnet', 'status']))
step('stop the devnet', ['devnet', 'stop'])
cleanup()
process.stdout.write('\ndemo complete\n')
