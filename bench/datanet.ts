/**
 * Datanet benchmarks, each against a baseline measured in the same run:
 *
 *  - ingest + Merkle root of 100k records against @openzeppelin/merkle-tree:
 *    ours:     parseJsonl → toRecord (validate, RFC 8785, keccak256) → MerkleTree (raw-byte keccak)
 *    baseline: JSON.parse → `canonicalize` → viem keccak256 → StandardMerkleTree.of(…, ['bytes32','address'])
 *    Both roots must be identical; the ratio is baseline time / our time.
 *  - the hand-written keccak256 against @noble/hashes and viem's keccak256, and the hand-written
 *    Merkle tree against StandardMerkleTree.of, repeated (min and median);
 *  - `datanet add` of 1M records as 60 files in 60 calls against one call adding them all;
 *  - add + staging the version (streamed copy, sha256, Merkle root: what publish does before its
 *    transaction) of 1M and 10M records, each in a child process for its peak RSS, against
 *    StandardMerkleTree.of over the same 1M leaves (also in a child).
 *
 *   npx tsx bench/datanet.ts [--records 100000] [--scale 10000000] [--no-scale] [--parts ingest,keccak,merkle,add,scale]
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {parseArgs} from 'node:util'

import {keccak_256} from '@noble/hashes/sha3'

import {StandardMerkleTree} from '@openzeppelin/merkle-tree'
import canonicalize from 'canonicalize'
import {type Address, type Hex, getAddress, keccak256, stringToBytes} from 'viem'

import {parseJsonl} from '../src/datanet/formats.js'
import {toRecord} from '../src/datanet/ingest.js'
import {keccak256Into} from '../src/datanet/keccak.js'
import {addToDatanet, createDatanet, leavesOf} from '../src/datanet/local.js'
import {MerkleTree} from '../src/datanet/merkle.js'
import {DatanetStore} from '../src/datanet/store.js'
import {peakRssMiB, type Row, type Timings, printTable, timeRepeated} from './report.js'

export type DatanetBenchResult = {
  records: number
  ours: {ingestMs: number; rootMs: number; totalMs: number}
  baseline: {ingestMs: number; rootMs: number; totalMs: number}
  root: Hex
  rootRatio: number
  totalRatio: number
}

const WORDS = [
  'card',
  'charged',
  'twice',
  'refund',
  'login',
  'fails',
  'café',
  'naïve',
  'überweisung',
  '请帮忙',
  'заказ',
  '🙂',
  'invoice',
  'shipping',
  'late',
  'password',
  'reset',
  'crash',
  'app',
  'please',
]
const LABELS = ['billing', 'account', 'shipping', 'technical', 'other']

/** Deterministic synthetic support tickets as JSONL: text, label, contributor, and an extra field. */
export function syntheticJsonl(n: number, seed = 1, first = 0): string {
  let s = seed >>> 0
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32
  const contributors: Address[] = Array.from({length: 64}, (_, i) => getAddress(keccak256(stringToBytes(`contributor ${i}`)).slice(0, 42)))
  let out = ''
  for (let i = 0; i < n; i++) {
    const len = 6 + Math.floor(rnd() * 30)
    const words: string[] = []
    for (let w = 0; w < len; w++) words.push(WORDS[Math.floor(rnd() * WORDS.length)])
    out +=
      JSON.stringify({
        text: `#${first + i} ${words.join(' ')}`,
        label: LABELS[Math.floor(rnd() * LABELS.length)],
        contributor: contributors[Math.floor(rnd() * 64)],
        meta: {len, score: rnd()},
      }) + '\n'
  }
  return out
}

export function runDatanetBench(n = 100_000, log: (line: string) => void = console.log): DatanetBenchResult {
  const text = syntheticJsonl(n)
  const fallback = getAddress('0x0000000000000000000000000000000000000001')

  // ours
  let t0 = performance.now()
  const records = parseJsonl(text, 'bench.jsonl').map((r) => toRecord(r, 'bench.jsonl', {modality: 'text', defaultContributor: fallback}))
  let t1 = performance.now()
  const root = MerkleTree.of(leavesOf(records)).root
  let t2 = performance.now()
  const ours = {ingestMs: t1 - t0, rootMs: t2 - t1, totalMs: t2 - t0}

  // baseline
  t0 = performance.now()
  const values: Array<[string, string]> = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const row = JSON.parse(line) as Record<string, unknown>
    const {contributor, ...fields} = row
    values.push([keccak256(stringToBytes(canonicalize(fields)!)), getAddress(contributor as string)])
  }
  t1 = performance.now()
  const tree = StandardMerkleTree.of(values, ['bytes32', 'address'])
  t2 = performance.now()
  const baseline = {ingestMs: t1 - t0, rootMs: t2 - t1, totalMs: t2 - t0}

  if (tree.root !== root) throw new Error(`roots differ: ours ${root}, StandardMerkleTree ${tree.root}`)
  const result: DatanetBenchResult = {
    records: records.length,
    ours,
    baseline,
    root,
    rootRatio: baseline.rootMs / ours.rootMs,
    totalRatio: baseline.totalMs / ours.totalMs,
  }
  const f = (x: number) => `${x.toFixed(0).padStart(6)} ms`
  log(`datanet: ${records.length} records, root ${root} (identical to StandardMerkleTree.of)`)
  log(
    `  ingest (parse, validate, canonicalise, hash)  ours ${f(ours.ingestMs)}   baseline ${f(baseline.ingestMs)}   ${(baseline.ingestMs / ours.ingestMs).toFixed(1)}×`,
  )
  log(
    `  Merkle root                                   ours ${f(ours.rootMs)}   StandardMerkleTree.of ${f(baseline.rootMs)}   ${result.rootRatio.toFixed(1)}×`,
  )
  log(
    `  ingest + root                                 ours ${f(ours.totalMs)}   baseline ${f(baseline.totalMs)}   ${result.totalRatio.toFixed(1)}×  (target ≥ 5×)`,
  )
  return result
}

const note = (t: Timings, times: number) => `min ${t.min.toFixed(1)} ms, median of ${times}`

/** keccak256 of 100k 64-byte inputs (Merkle nodes) and 100k of ~200 bytes (records): ours, @noble/hashes, viem. */
export function keccakRows(count = 100_000, times = 5): Row[] {
  const rows: Row[] = []
  for (const size of [64, 200]) {
    const data = Uint8Array.from({length: count * size}, (_, i) => (i * 131 + 7) & 255)
    const out = new Uint8Array(32)
    const noble = timeRepeated(times, () => {
      for (let i = 0; i < count; i++) keccak_256(data.subarray(i * size, (i + 1) * size))
    })
    const viem = timeRepeated(times, () => {
      for (let i = 0; i < count; i++) keccak256(data.subarray(i * size, (i + 1) * size), 'bytes')
    })
    const ours = timeRepeated(times, () => {
      for (let i = 0; i < count; i++) keccak256Into(data, i * size, size, out, 0)
    })
    keccak256Into(data, 0, size, out, 0)
    if (Buffer.compare(out, keccak_256(data.subarray(0, size))) !== 0) throw new Error('keccak differs from @noble/hashes')
    rows.push({name: `keccak256 ${count}×${size} B, @noble/hashes (baseline)`, ms: noble.median, note: note(noble, times)})
    rows.push({name: `keccak256 ${count}×${size} B, viem`, ms: viem.median, baseline: noble.median, note: note(viem, times)})
    rows.push({name: `keccak256 ${count}×${size} B, ours`, ms: ours.median, baseline: noble.median, note: note(ours, times)})
  }
  return rows
}

/** The Merkle root of n leaves: ours against StandardMerkleTree.of, same leaves, same root. */
export function merkleRows(n = 100_000, times = 3): Row[] {
  const leaves = Array.from(
    {length: n},
    (_, i) => [keccak256(stringToBytes(`r${i}`)), getAddress(keccak256(stringToBytes(`c${i % 64}`)).slice(0, 42))] as const,
  )
  let ourRoot = ''
  let theirRoot = ''
  const theirs = timeRepeated(times, () => {
    theirRoot = StandardMerkleTree.of(leaves as unknown as Array<[string, string]>, ['bytes32', 'address']).root
  })
  const ours = timeRepeated(times, () => {
    ourRoot = MerkleTree.of(leaves).root
  })
  if (ourRoot !== theirRoot) throw new Error(`roots differ: ${ourRoot} vs ${theirRoot}`)
  return [
    {name: `Merkle root of ${n} leaves, StandardMerkleTree.of (baseline)`, ms: theirs.median, note: note(theirs, times)},
    {name: `Merkle root of ${n} leaves, ours`, ms: ours.median, baseline: theirs.median, note: note(ours, times)},
  ]
}

/** Writes n synthetic records as JSONL files of `perFile` records (each under the 5 MB limit). */
function writeRecordFiles(dir: string, n: number, perFile: number): string[] {
  mkdirSync(dir, {recursive: true})
  const files: string[] = []
  for (let first = 0, f = 0; first < n; first += perFile, f++) {
    const path = join(dir, `${String(f).padStart(5, '0')}.jsonl`)
    writeFileSync(path, syntheticJsonl(Math.min(perFile, n - first), f + 1, first))
    files.push(path)
  }
  return files
}

const contributor = getAddress('0x0000000000000000000000000000000000000001')

/** `datanet add` of n records as `files` files: one call against one call per file. */
export async function addCallsRows(n = 1_000_000, fileCount = 60): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ol-bench-add-'))
  try {
    const files = writeRecordFiles(join(dir, 'in'), n, Math.ceil(n / fileCount))
    const stateDir = join(dir, 'state')
    await createDatanet({name: 'one', stateDir})
    await createDatanet({name: 'many', stateDir})
    let t0 = performance.now()
    await addToDatanet({name: 'one', paths: files, contributor, stateDir})
    const one = performance.now() - t0
    const perCall: number[] = []
    for (const f of files) {
      t0 = performance.now()
      await addToDatanet({name: 'many', paths: [f], contributor, stateDir})
      perCall.push(performance.now() - t0)
    }
    const many = perCall.reduce((a, b) => a + b, 0)
    if (new DatanetStore('many', stateDir).draftCount() !== n) throw new Error('the calls staged another count')
    return [
      {name: `add ${n} records as ${files.length} files, one call (baseline)`, ms: one},
      {
        name: `add ${n} records as ${files.length} files, ${files.length} calls`,
        ms: many,
        baseline: one,
        note: `first call ${perCall[0].toFixed(0)} ms, last ${perCall.at(-1)!.toFixed(0)} ms`,
      },
    ]
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

type ChildResult = {ms: number; addMs?: number; stageMs?: number; peakRssMiB: number; root: string}

/** Runs this file as a child (`--child mode n`) and reads the JSON line it prints. */
function child(mode: 'ours' | 'standard', n: number): ChildResult {
  const self = fileURLToPath(import.meta.url)
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', mode, String(n)], {encoding: 'utf8', maxBuffer: 1 << 24})
  if (r.status !== 0) throw new Error(`bench child ${mode} ${n} failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!)
}

/** In a child process: add n records (files of 16k) then stage the version; or StandardMerkleTree.of over the same leaves. */
async function childMain(mode: string, n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ol-bench-scale-'))
  try {
    const files = writeRecordFiles(join(dir, 'in'), n, 16_000)
    const stateDir = join(dir, 'state')
    await createDatanet({name: 'd', stateDir})
    let t0 = performance.now()
    await addToDatanet({name: 'd', paths: files, contributor, stateDir})
    const addMs = performance.now() - t0
    const store = new DatanetStore('d', stateDir)
    let result: ChildResult
    if (mode === 'ours') {
      t0 = performance.now()
      const staged = store.prepareVersion(store.readManifest())
      const stageMs = performance.now() - t0
      staged.discard()
      result = {ms: addMs + stageMs, addMs, stageMs, peakRssMiB: 0, root: staged.root}
    } else {
      // The leaves as the reference takes them, read from the draft; only the tree is timed, but the RSS is the whole process's.
      const leaves: Array<[string, string]> = []
      store.forEachDraftRecord((r) => leaves.push([r.recordHash, r.contributor]))
      t0 = performance.now()
      const root = StandardMerkleTree.of(leaves, ['bytes32', 'address']).root
      result = {ms: performance.now() - t0, peakRssMiB: 0, root}
    }
    result.peakRssMiB = peakRssMiB()
    process.stdout.write(JSON.stringify(result) + '\n')
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Add + stage at 1M and `scale` records (children), against StandardMerkleTree.of at 1M. */
export function scaleRows(scale = 10_000_000): Row[] {
  const standard = child('standard', 1_000_000)
  const at1m = child('ours', 1_000_000)
  if (at1m.root !== standard.root) throw new Error(`roots differ at 1M: ${at1m.root} vs ${standard.root}`)
  const rows: Row[] = [
    {
      name: 'StandardMerkleTree.of, 1M leaves (baseline)',
      ms: standard.ms,
      note: `peak RSS ${standard.peakRssMiB.toFixed(0)} MiB, with the 1M leaves read in`,
    },
    {
      name: 'add + stage version, 1M records',
      ms: at1m.ms,
      baseline: standard.ms,
      note: `add ${at1m.addMs!.toFixed(0)} ms, stage ${at1m.stageMs!.toFixed(0)} ms; peak RSS ${at1m.peakRssMiB.toFixed(0)} MiB`,
    },
  ]
  if (scale > 1_000_000) {
    const big = child('ours', scale)
    rows.push({
      name: `add + stage version, ${scale / 1e6}M records`,
      ms: big.ms,
      baseline: standard.ms,
      note: `add ${big.addMs!.toFixed(0)} ms, stage ${big.stageMs!.toFixed(0)} ms; peak RSS ${big.peakRssMiB.toFixed(0)} MiB`,
    })
  }
  return rows
}

export const DATANET_PARTS = ['ingest', 'keccak', 'merkle', 'add', 'scale'] as const
type Part = (typeof DATANET_PARTS)[number]

/** Everything above (or the `parts` named); `scale: 0` leaves out the 1M/10M rows (minutes and gigabytes of disk). */
export async function runDatanetBenchAll(
  options: {records?: number; scale?: number; parts?: Part[]; log?: (line: string) => void} = {},
): Promise<void> {
  const log = options.log ?? console.log
  const parts = new Set(options.parts ?? DATANET_PARTS)
  if (parts.has('ingest')) runDatanetBench(options.records ?? 100_000, log)
  if (parts.has('keccak')) printTable('keccak256: hand-written against @noble/hashes and viem', keccakRows())
  if (parts.has('merkle')) printTable('Merkle root: hand-written against @openzeppelin/merkle-tree', merkleRows())
  if (options.scale === 0) return
  if (parts.has('add')) printTable('datanet add: many calls against one', await addCallsRows())
  if (parts.has('scale'))
    printTable('datanet at scale: add + stage a version (child processes, peak RSS)', scaleRows(options.scale ?? 10_000_000))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const {values} = parseArgs({
    options: {
      records: {type: 'string', default: '100000'},
      scale: {type: 'string', default: '10000000'},
      'no-scale': {type: 'boolean', default: false},
      parts: {type: 'string'},
      child: {type: 'string'},
    },
    allowPositionals: true,
  })
  const parts = values.parts?.split(',').map((x) => x.trim()) as Part[] | undefined
  const unknown = parts?.filter((x) => !DATANET_PARTS.includes(x))
  if (unknown?.length) throw new Error(`--parts: unknown ${unknown.join(', ')}; known: ${DATANET_PARTS.join(', ')}`)
  if (values.child) await childMain(values.child, Number(process.argv.at(-1)))
  else await runDatanetBenchAll({records: Number(values.records), scale: values['no-scale'] ? 0 : Number(values.scale), parts})
}
