/**
 * Datanet ingest + Merkle root for 100k records, against @openzeppelin/merkle-tree in the same run.
 *
 *   npx tsx bench/datanet.ts [records]
 *
 * ours:     parseJsonl → toRecord (validate, RFC 8785, keccak256) → MerkleTree (raw-byte keccak)
 * baseline: JSON.parse → `canonicalize` → viem keccak256 → StandardMerkleTree.of(…, ['bytes32','address'])
 * Both roots must be identical; the ratio is baseline time / our time.
 */
import {pathToFileURL} from 'node:url'

import {StandardMerkleTree} from '@openzeppelin/merkle-tree'
import canonicalize from 'canonicalize'
import {type Address, type Hex, getAddress, keccak256, stringToBytes} from 'viem'

import {parseJsonl} from '../src/datanet/formats.js'
import {toRecord} from '../src/datanet/ingest.js'
import {leavesOf} from '../src/datanet/local.js'
import {MerkleTree} from '../src/datanet/merkle.js'

export type DatanetBenchResult = {
  records: number
  ours: {ingestMs: number; rootMs: number; totalMs: number}
  baseline: {ingestMs: number; rootMs: number; totalMs: number}
  root: Hex
  rootRatio: number
  totalRatio: number
}

const WORDS = ['card', 'charged', 'twice', 'refund', 'login', 'fails', 'café', 'naïve', 'überweisung', '请帮忙', 'заказ', '🙂', 'invoice', 'shipping', 'late', 'password', 'reset', 'crash', 'app', 'please']
const LABELS = ['billing', 'account', 'shipping', 'technical', 'other']

/** Deterministic synthetic support tickets as JSONL: text, label, contributor, and an extra field. */
export function syntheticJsonl(n: number, seed = 1): string {
  let s = seed >>> 0
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
  const contributors: Address[] = Array.from({length: 64}, (_, i) => getAddress(keccak256(stringToBytes(`contributor ${i}`)).slice(0, 42)))
  let out = ''
  for (let i = 0; i < n; i++) {
    const len = 6 + Math.floor(rnd() * 30)
    const words: string[] = []
    for (let w = 0; w < len; w++) words.push(WORDS[Math.floor(rnd() * WORDS.length)])
    out += JSON.stringify({text: `#${i} ${words.join(' ')}`, label: LABELS[Math.floor(rnd() * LABELS.length)], contributor: contributors[Math.floor(rnd() * 64)], meta: {len, score: rnd()}}) + '\n'
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
  const result: DatanetBenchResult = {records: records.length, ours, baseline, root, rootRatio: baseline.rootMs / ours.rootMs, totalRatio: baseline.totalMs / ours.totalMs}
  const f = (x: number) => `${x.toFixed(0).padStart(6)} ms`
  log(`datanet: ${records.length} records, root ${root} (identical to StandardMerkleTree.of)`)
  log(`  ingest (parse, validate, canonicalise, hash)  ours ${f(ours.ingestMs)}   baseline ${f(baseline.ingestMs)}   ${(baseline.ingestMs / ours.ingestMs).toFixed(1)}×`)
  log(`  Merkle root                                   ours ${f(ours.rootMs)}   StandardMerkleTree.of ${f(baseline.rootMs)}   ${result.rootRatio.toFixed(1)}×`)
  log(`  ingest + root                                 ours ${f(ours.totalMs)}   baseline ${f(baseline.totalMs)}   ${result.totalRatio.toFixed(1)}×  (target ≥ 5×)`)
  return result
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runDatanetBench(process.argv[2] ? Number(process.argv[2]) : undefined)
}
