/**
 * Proof of Attribution on-chain: for each contributor a settlement pays, a Merkle multiproof that a
 * record of theirs is a leaf of a datanet version in the model version's lineage. InferenceSettlement
 * recomputes each leaf from (recordHash, contributor) and checks the multiproof against the root
 * ModelRegistry holds for that lineage entry, so a settlement can only pay real contributors.
 *
 * Multiproofs follow @openzeppelin/merkle-tree's getMultiProof on the same tree layout
 * (src/datanet/merkle.ts), which OpenZeppelin's MerkleProof.multiProofVerify checks: one multiproof
 * per datanet version costs less than a proof per contributor once contributors share branches.
 */
import {type Address, type Hex, getAddress} from 'viem'

import type {Receipt} from '../attribution/receipt.js'
import {type MerkleLeaf, MerkleTree} from '../datanet/merkle.js'
import {PaymentError} from '../publish/errors.js'

/** One RecordProof of InferenceSettlement: records of one lineage entry proven together. */
export type RecordProofArgs = {
  lineageIndex: bigint
  recordHashes: Hex[]
  contributorIndexes: bigint[]
  proof: Hex[]
  proofFlags: boolean[]
}

/**
 * OpenZeppelin's multiproof of the leaves at `treeIndexes` (tree positions, not input order): the
 * leaves in descending tree index (the order MerkleProof.processMultiProof consumes them), the
 * sibling hashes it needs and, per step, whether the sibling comes from the leaves/stack.
 */
export function multiProof(tree: MerkleTree, treeIndexes: number[]): {leaves: number[]; proof: Hex[]; proofFlags: boolean[]} {
  const leaves = [...new Set(treeIndexes)].sort((a, b) => b - a)
  const queue = [...leaves]
  const proof: Hex[] = []
  const proofFlags: boolean[] = []
  while (queue.length > 0 && queue[0] > 0) {
    const j = queue.shift()!
    const sibling = j % 2 === 1 ? j + 1 : j - 1
    const parent = (j - 1) >> 1
    if (sibling === queue[0]) {
      proofFlags.push(true)
      queue.shift()
    } else {
      proofFlags.push(false)
      proof.push(tree.node(sibling))
    }
    queue.push(parent)
  }
  return {leaves, proof, proofFlags}
}

const leafKey = (recordHash: string, contributor: string) => `${recordHash.toLowerCase()}:${contributor.toLowerCase()}`

/** A datanet version's tree with each leaf's tree position, to prove records of it. */
export class DatanetVersionTree {
  readonly tree: MerkleTree
  private readonly positions = new Map<string, number>()

  constructor(leaves: ReadonlyArray<MerkleLeaf>) {
    this.tree = MerkleTree.of(leaves)
    leaves.forEach(([h, a], i) => this.positions.set(leafKey(h, a), this.tree.treeIndexOf[i]))
  }

  get root(): Hex {
    return this.tree.root
  }

  /** The tree position of the leaf (recordHash, contributor), if it is one. */
  position(recordHash: string, contributor: string): number | undefined {
    return this.positions.get(leafKey(recordHash, contributor))
  }
}

/** What proving needs of a receipt: who is paid, and the records listed (any order). */
export type ProvableReceipt = {
  contributors: ReadonlyArray<{address: string}>
  records: ReadonlyArray<{recordHash: string; contributor: string}>
}

/**
 * The proofs a settlement of `receipt` carries: for each contributor it pays, the first listed
 * record of theirs not already used (a contributor listed twice needs two), located in one of the
 * lineage's trees (`lineage[i]` is the tree of the model version's i-th datanet, or undefined when
 * that version's records are not at hand). Throws, naming the contributor, when a paid contributor
 * has no record in any of them: such a settlement would be refused on-chain.
 */
export function attributionProofs(receipt: ProvableReceipt, lineage: ReadonlyArray<DatanetVersionTree | undefined>): RecordProofArgs[] {
  const groups = new Map<number, Array<{recordHash: Hex; contributorIndex: number; position: number}>>()
  const used = new Set<string>()
  receipt.contributors.forEach(({address}, ci) => {
    const records = receipt.records.filter((r) => r.contributor.toLowerCase() === address.toLowerCase())
    for (const r of records) {
      for (let li = 0; li < lineage.length; li++) {
        const position = lineage[li]?.position(r.recordHash, address)
        if (position === undefined || used.has(`${li}:${position}`)) continue
        used.add(`${li}:${position}`)
        const g = groups.get(li) ?? []
        g.push({recordHash: r.recordHash as Hex, contributorIndex: ci, position})
        groups.set(li, g)
        return
      }
    }
    throw new PaymentError(`contributor ${address} has no record in the model's published datanet versions: nothing can prove it`, {
      metaMessages: [`The receipt lists ${records.length} record(s) of theirs; none is an unused leaf of the lineage's datanet versions.`],
    })
  })
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([li, items]) => {
      const tree = lineage[li]!.tree
      const byPosition = new Map(items.map((it) => [it.position, it]))
      const mp = multiProof(
        tree,
        items.map((it) => it.position),
      )
      const ordered = mp.leaves.map((pos) => byPosition.get(pos)!)
      return {
        lineageIndex: BigInt(li),
        recordHashes: ordered.map((it) => it.recordHash),
        contributorIndexes: ordered.map((it) => BigInt(it.contributorIndex)),
        proof: mp.proof,
        proofFlags: mp.proofFlags,
      }
    })
}

/** The contributors and weights a settlement of `receipt` pays (checksummed, 1e18 weights). */
export function receiptPayees(receipt: Receipt): {contributors: Address[]; weights: bigint[]} {
  return {contributors: receipt.contributors.map((c) => getAddress(c.address)), weights: receipt.contributors.map((c) => BigInt(c.weight))}
}
