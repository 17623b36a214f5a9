import {StandardMerkleTree} from '@openzeppelin/merkle-tree'
import {processProof as ozProcessProof} from '@openzeppelin/merkle-tree/dist/core.js'
import {standardLeafHash} from '@openzeppelin/merkle-tree/dist/hashes.js'
import fc from 'fast-check'
import {type Address, type Hex, getAddress} from 'viem'
import {describe, expect, it} from 'vitest'

import {
  MerkleTree,
  leafHash,
  leafHashesOf,
  merkleProof,
  merkleRoot,
  merkleRootInPlace,
  processProof,
  verifyMerkleProof,
} from '../../src/datanet/merkle.js'

const hex32 = fc.uint8Array({minLength: 32, maxLength: 32}).map((b) => ('0x' + Buffer.from(b).toString('hex')) as Hex)
const address = fc.uint8Array({minLength: 20, maxLength: 20}).map((b) => getAddress('0x' + Buffer.from(b).toString('hex')) as Address)
const leaf = fc.tuple(hex32, address)
const ENC = ['bytes32', 'address']

describe('Merkle tree against @openzeppelin/merkle-tree', () => {
  it('gives the same root and proofs for random leaf sets (1, 2, 3 … leaves)', () => {
    fc.assert(
      fc.property(fc.array(leaf, {minLength: 1, maxLength: 70}), (leaves) => {
        const oz = StandardMerkleTree.of(
          leaves.map((l) => [...l]),
          ENC,
        )
        const ours = MerkleTree.of(leaves)
        expect(ours.root).toBe(oz.root)
        expect(merkleRoot(leaves)).toBe(oz.root)
        for (let i = 0; i < leaves.length; i++) {
          const proof = ours.proof(i)
          expect(proof).toEqual(oz.getProof(i))
          expect(StandardMerkleTree.verify(oz.root, ENC, [...leaves[i]], proof)).toBe(true)
          expect(ozProcessProof(standardLeafHash(ENC, [...leaves[i]]), proof)).toBe(oz.root)
          expect(verifyMerkleProof(ours.root, leaves[i], proof)).toBe(true)
        }
      }),
      {numRuns: 200},
    )
  })

  it('builds the same root in place from leaf hashes written at the end of the node array', () => {
    fc.assert(
      fc.property(fc.array(leaf, {minLength: 1, maxLength: 300}), (leaves) => {
        const n = leaves.length
        const nodes = new Uint8Array((2 * n - 1) * 32)
        nodes.set(leafHashesOf(leaves), (n - 1) * 32)
        expect(merkleRootInPlace(nodes, n)).toBe(
          StandardMerkleTree.of(
            leaves.map((l) => [...l]),
            ENC,
          ).root,
        )
        // The whole array is the tree StandardMerkleTree lays out.
        expect(nodes).toEqual(MerkleTree.of(leaves).nodes)
      }),
      {numRuns: 150},
    )
    expect(() => merkleRootInPlace(new Uint8Array(64), 2)).toThrow(/3 nodes/)
  })

  it('handles exactly 1, 2 and 3 leaves', () => {
    for (const n of [1, 2, 3]) {
      fc.assert(
        fc.property(fc.array(leaf, {minLength: n, maxLength: n}), (leaves) => {
          const oz = StandardMerkleTree.of(
            leaves.map((l) => [...l]),
            ENC,
          )
          expect(merkleRoot(leaves)).toBe(oz.root)
          for (const l of leaves) expect(merkleProof(leaves, l)).toEqual(oz.getProof([...l]))
        }),
        {numRuns: 50},
      )
    }
    const one: [Hex, Address] = [('0x' + 'ab'.repeat(32)) as Hex, getAddress('0x' + '11'.repeat(20))]
    expect(merkleRoot([one])).toBe(leafHash(one))
    expect(merkleProof([one], one)).toEqual([])
  })

  it('orders leaves whose hashes share a 32-bit prefix by the whole hash', () => {
    // Leaf hashes are not chosen here, so exercise the sort directly with crafted hashes.
    const hashes = new Uint8Array(5 * 32)
    for (let i = 0; i < 5; i++) {
      hashes.set([0xaa, 0xbb, 0xcc, 0xdd], i * 32)
      hashes[i * 32 + 31] = 5 - i
    }
    const tree = MerkleTree.fromLeafHashes(hashes)
    // Sorted leaf k sits at index 2n-2-k; input i has byte 5-i, so input 4 is smallest.
    expect(Array.from(tree.treeIndexOf)).toEqual([4, 5, 6, 7, 8])
  })

  it('rejects proofs for other leaves and malformed input', () => {
    const leaves = fc.sample(leaf, 9)
    const tree = MerkleTree.of(leaves)
    expect(verifyMerkleProof(tree.root, leaves[1], tree.proof(0))).toBe(false)
    expect(processProof(leafHash(leaves[0]), tree.proof(0))).toBe(tree.root)
    expect(() => MerkleTree.of([])).toThrow(/at least one leaf/)
    expect(() => MerkleTree.of([['0x12', leaves[0][1]]])).toThrow(/32 bytes/)
    expect(() => MerkleTree.of([[leaves[0][0], '0x12' as Address]])).toThrow(/20-byte/)
  })
})
