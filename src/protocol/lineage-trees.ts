/**
 * The Merkle trees of the datanet versions a model artifact was trained on, to prove the records a
 * receipt pays. training.json lists every record the model used; when none was excluded those are
 * the whole version, so the artifact alone rebuilds the tree (checked against the root). Otherwise
 * the version's records come from the local datanet store, checked against the same root.
 */
import {join} from 'node:path'

import type {Hex} from 'viem'

import type {MerkleLeaf} from '../datanet/merkle.js'
import {readJsonFile} from '../store/atomic.js'
import {DatanetVersionTree} from './proofs.js'

type TrainingJson = {
  datanet?: {name: string; id: string | null; version: number | 'draft'; root: string}
  records?: Array<{recordHash: string; contributor: string}>
  excludedRecords?: string[]
}

const cache = new Map<string, Promise<DatanetVersionTree | undefined>>()

/** The artifact's datanet version tree when its records rebuild `root`, else the local store's. */
async function artifactTree(artifactDir: string, stateDir?: string): Promise<DatanetVersionTree | undefined> {
  const training = readJsonFile<TrainingJson>(join(artifactDir, 'training.json'))
  if (!training?.datanet || !training.records?.length) return undefined
  const root = training.datanet.root.toLowerCase()
  if (!training.excludedRecords?.length) {
    const tree = new DatanetVersionTree(training.records.map((r) => [r.recordHash as Hex, r.contributor as Hex] as MerkleLeaf))
    if (tree.root === root) return tree
  }
  if (training.datanet.version === 'draft') return undefined
  try {
    const {loadDatanetVersion} = await import('../datanet/local.js')
    const v = await loadDatanetVersion(training.datanet.name, {version: training.datanet.version, stateDir})
    const tree = new DatanetVersionTree(v.records.map((r) => [r.recordHash as Hex, r.contributor as Hex] as MerkleLeaf))
    return tree.root === root ? tree : undefined
  } catch {
    // No local copy of the datanet: its records cannot be proven from here.
    return undefined
  }
}

/**
 * For each entry of a model version's lineage (its datanet roots, in order), the tree of that
 * version's records when this artifact was trained on it, else undefined. Trees are kept per
 * artifact folder: building one hashes every record of the version.
 */
export async function lineageTrees(
  artifactDir: string,
  lineageRoots: ReadonlyArray<Hex>,
  opts: {stateDir?: string} = {},
): Promise<Array<DatanetVersionTree | undefined>> {
  let p = cache.get(artifactDir)
  if (!p) {
    p = artifactTree(artifactDir, opts.stateDir)
    cache.set(artifactDir, p)
    p.catch(() => cache.delete(artifactDir))
  }
  const tree = await p
  return lineageRoots.map((root) => (tree && tree.root === root.toLowerCase() ? tree : undefined))
}
