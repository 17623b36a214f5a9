/** Multiproofs as @openzeppelin/merkle-tree makes them, on the project's tree (src/datanet/merkle.ts). */
import {StandardMerkleTree} from '@openzeppelin/merkle-tree'
import {type Address, type Hex, keccak256, toHex} from 'viem'
import {describe, expect, it} from 'vitest'

import type {MerkleLeaf} from '../../src/datanet/merkle.js'
import {DatanetVersionTree, attributionProofs, multiProof} from '../../src/protocol/proofs.js'

const contributor = (i: number) => `0x${keccak256(toHex(`c${i % 7}`)).slice(26)}` as Address
const leaves: MerkleLeaf[] = Array.from({length: 37}, (_, i) => [keccak256(toHex(`r${i}`)) as Hex, contributor(i)])

describe('multiProof', () => {
  it('equals StandardMerkleTree.getMultiProof for any set of leaves', () => {
    const ours = new DatanetVersionTree(leaves)
    const oz = StandardMerkleTree.of(leaves as unknown as [string, string][], ['bytes32', 'address'])
    expect(ours.root).toBe(oz.root)
    for (const picks of [[0], [5, 6], [1, 10, 36], Array.from({length: 37}, (_, i) => i), [3, 3, 9]]) {
      const want = oz.getMultiProof([...new Set(picks)])
      const mp = multiProof(
        ours.tree,
        picks.map((i) => ours.tree.treeIndexOf[i]),
      )
      expect(mp.proof).toEqual(want.proof)
      expect(mp.proofFlags).toEqual(want.proofFlags)
      // The leaves in the order OpenZeppelin gives them.
      const byTreeIndex = new Map(leaves.map((l, i) => [ours.tree.treeIndexOf[i], l]))
      expect(mp.leaves.map((t) => byTreeIndex.get(t))).toEqual(want.leaves)
      expect(StandardMerkleTree.verifyMultiProof(oz.root, ['bytes32', 'address'], want)).toBe(true)
    }
  })
})

describe('attributionProofs', () => {
  it('proves each contributor by a record of theirs, one multiproof per lineage datanet', () => {
    const tree = new DatanetVersionTree(leaves)
    const receipt = {
      contributors: [{address: contributor(1)}, {address: contributor(2)}],
      records: [
        {recordHash: leaves[2][0], contributor: contributor(2)},
        {recordHash: leaves[1][0], contributor: contributor(1)},
      ],
    }
    const [p] = attributionProofs(receipt, [undefined, tree])
    expect(p.lineageIndex).toBe(1n)
    expect(new Set(p.recordHashes)).toEqual(new Set([leaves[1][0], leaves[2][0]]))
    // Each leaf's contributor index points at its own contributor.
    p.recordHashes.forEach((h, k) => {
      const leaf = leaves.find((l) => l[0] === h)!
      expect(receipt.contributors[Number(p.contributorIndexes[k])].address).toBe(leaf[1])
    })
  })

  it('refuses, naming them, a contributor with no record in the lineage', () => {
    const tree = new DatanetVersionTree(leaves)
    const stranger = `0x${'12'.repeat(20)}` as Address
    expect(() =>
      attributionProofs({contributors: [{address: stranger}], records: [{recordHash: leaves[0][0], contributor: stranger}]}, [tree]),
    ).toThrow(new RegExp(`contributor ${stranger} has no record`, 'i'))
  })
})
