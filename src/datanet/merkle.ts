import type {Address, Hex} from 'viem'

import {checksumAddress} from '../chain/address.js'
import {compare32, hexInto, toHex} from './bytes.js'
import {keccak256Into, keccak256x64Into} from './keccak.js'

/** A leaf as @openzeppelin/merkle-tree's StandardMerkleTree sees it with ['bytes32', 'address']. */
export type MerkleLeaf = readonly [recordHash: Hex, contributor: Address]

export const LEAF_ENCODING = ['bytes32', 'address'] as const

export class MerkleInputError extends Error {
  override name = 'MerkleInputError'
}

const preimage = new Uint8Array(64)
const inner = new Uint8Array(32)

/**
 * Leaf hash into out[offset…]: keccak256(keccak256(abi.encode(bytes32 recordHash, address
 * contributor))), as StandardMerkleTree hashes its leaves. abi.encode puts the address right-aligned
 * in a 32-byte word, so the preimage is recordHash ‖ 12 zero bytes ‖ 20 address bytes.
 */
export function leafHashInto(
  recordHash: Uint8Array,
  rhOffset: number,
  contributor: Uint8Array,
  cOffset: number,
  out: Uint8Array,
  offset: number,
): void {
  preimage.set(recordHash.subarray(rhOffset, rhOffset + 32), 0)
  preimage.fill(0, 32, 44)
  preimage.set(contributor.subarray(cOffset, cOffset + 20), 44)
  keccak256x64Into(preimage, 0, inner, 0)
  keccak256Into(inner, 0, 32, out, offset)
}

/** Writes the hash of leaf i of `leaves` into out[i*32…]. */
export function leafHashesOf(leaves: ReadonlyArray<MerkleLeaf>): Uint8Array {
  const out = new Uint8Array(leaves.length * 32)
  const rh = new Uint8Array(32)
  const addr = new Uint8Array(20)
  for (let i = 0; i < leaves.length; i++) {
    const [h, a] = leaves[i]
    if (typeof h !== 'string' || !hexInto(h, 32, rh, 0))
      throw new MerkleInputError(`leaf ${i}: recordHash ${String(h)} is not 32 bytes of 0x-hex`)
    if (typeof a !== 'string' || !hexInto(a, 20, addr, 0))
      throw new MerkleInputError(`leaf ${i}: contributor ${String(a)} is not a 20-byte address`)
    leafHashInto(rh, 0, addr, 0, out, i * 32)
  }
  return out
}

/** The leaf hash of one leaf, as 0x-hex. */
export function leafHash(leaf: MerkleLeaf): Hex {
  return toHex(leafHashesOf([leaf]))
}

/**
 * Orders leaf hashes as StandardMerkleTree does (ascending as 256-bit numbers). Returns the
 * original index of each sorted position. The common case sorts (first 32 bits, index) packed in
 * a float64 natively, then settles the rare equal prefixes with a full comparison.
 */
export function sortLeafHashes(hashes: Uint8Array): Uint32Array {
  const n = hashes.length >>> 5
  const order = new Uint32Array(n)
  const prefix = (i: number) => ((hashes[i * 32] << 24) | (hashes[i * 32 + 1] << 16) | (hashes[i * 32 + 2] << 8) | hashes[i * 32 + 3]) >>> 0
  if (n <= 1 << 21) {
    const keys = new Float64Array(n)
    for (let i = 0; i < n; i++) keys[i] = prefix(i) * 2097152 + i
    keys.sort()
    for (let i = 0; i < n; i++) order[i] = keys[i] % 2097152
    // Runs sharing a 32-bit prefix: order them by the whole hash.
    let start = 0
    while (start < n) {
      let end = start + 1
      const p = prefix(order[start])
      while (end < n && prefix(order[end]) === p) end++
      if (end - start > 1) {
        const run = Array.from(order.subarray(start, end)).sort((a, b) => compare32(hashes, a * 32, hashes, b * 32) || a - b)
        order.set(run, start)
      }
      start = end
    }
    return order
  }
  const idx = Array.from({length: n}, (_, i) => i)
  idx.sort((a, b) => compare32(hashes, a * 32, hashes, b * 32) || a - b)
  order.set(idx)
  return order
}

/**
 * A Merkle tree laid out exactly as @openzeppelin/merkle-tree lays it out: an array of 2n-1 nodes,
 * the sorted leaves at the end in reverse order (sorted leaf i at index 2n-2-i), node i the hash of
 * its children 2i+1 and 2i+2, hashed as a sorted pair; the root at index 0. Same root, same proofs.
 */
export class MerkleTree {
  /** Node i at nodes[i*32…i*32+32). */
  readonly nodes: Uint8Array
  /** Tree index of the leaf given at each input position. */
  readonly treeIndexOf: Uint32Array
  readonly leafCount: number

  private constructor(nodes: Uint8Array, treeIndexOf: Uint32Array) {
    this.nodes = nodes
    this.treeIndexOf = treeIndexOf
    this.leafCount = treeIndexOf.length
  }

  /** Builds the tree from leaf hashes (32 bytes each, concatenated, in input order). */
  static fromLeafHashes(hashes: Uint8Array): MerkleTree {
    const n = hashes.length >>> 5
    if (n === 0 || hashes.length !== n * 32) throw new MerkleInputError('a Merkle tree needs at least one leaf')
    const m = 2 * n - 1
    const nodes = new Uint8Array(m * 32)
    const order = sortLeafHashes(hashes)
    const treeIndexOf = new Uint32Array(n)
    for (let i = 0; i < n; i++) {
      const t = m - 1 - i
      nodes.set(hashes.subarray(order[i] * 32, order[i] * 32 + 32), t * 32)
      treeIndexOf[order[i]] = t
    }
    hashInnerNodes(nodes, n)
    return new MerkleTree(nodes, treeIndexOf)
  }

  static of(leaves: ReadonlyArray<MerkleLeaf>): MerkleTree {
    return MerkleTree.fromLeafHashes(leafHashesOf(leaves))
  }

  get root(): Hex {
    return toHex(this.nodes, 0, 32)
  }

  node(treeIndex: number): Hex {
    return toHex(this.nodes, treeIndex * 32, 32)
  }

  /** The proof of the leaf given at input position `index`: sibling hashes from leaf to root. */
  proof(index: number): Hex[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.leafCount) throw new MerkleInputError(`no leaf at index ${index}`)
    let t = this.treeIndexOf[index]
    const proof: Hex[] = []
    while (t > 0) {
      const sibling = t % 2 === 1 ? t + 1 : t - 1
      proof.push(this.node(sibling))
      t = (t - 1) >> 1
    }
    return proof
  }
}

/** Node i = hash of the sorted pair (2i+1, 2i+2), for every inner node of a tree of n leaves, bottom up. */
function hashInnerNodes(nodes: Uint8Array, n: number): void {
  const pair = new Uint8Array(64)
  for (let i = n - 2; i >= 0; i--) {
    const l = (2 * i + 1) * 32
    const r = l + 32
    if (compare32(nodes, l, nodes, r) <= 0) {
      // The children are adjacent and already in order: hash them in place.
      keccak256x64Into(nodes, l, nodes, i * 32)
    } else {
      pair.set(nodes.subarray(r, r + 32), 0)
      pair.set(nodes.subarray(l, l + 32), 32)
      keccak256x64Into(pair, 0, nodes, i * 32)
    }
  }
}

/**
 * The root of a tree whose n leaf hashes the caller wrote, in input order, at the end of `nodes`
 * (2n-1 nodes of 32 bytes: leaf i at node n-1+i). The leaves are sorted in place and the inner
 * nodes hashed into the same array, so the memory is the tree itself plus 12 bytes a leaf for the
 * sort, with no second copy of the leaves: how a version of millions of records gets its root.
 */
export function merkleRootInPlace(nodes: Uint8Array, n: number): Hex {
  if (n < 1 || nodes.length !== (2 * n - 1) * 32)
    throw new MerkleInputError(`a tree of ${n} leaves has ${2 * n - 1} nodes, not ${nodes.length / 32}`)
  const base = (n - 1) * 32
  const order = sortLeafHashes(nodes.subarray(base))
  // Leaf position k (node n-1+k) takes the input leaf order[n-1-k]: sorted descending, as
  // StandardMerkleTree lays them out. Applied in place by following each cycle of the permutation.
  const done = new Uint8Array(n)
  const tmp = new Uint8Array(32)
  for (let k = 0; k < n; k++) {
    if (done[k]) continue
    tmp.set(nodes.subarray(base + k * 32, base + k * 32 + 32))
    let j = k
    for (;;) {
      done[j] = 1
      const from = order[n - 1 - j]
      if (from === k) {
        nodes.set(tmp, base + j * 32)
        break
      }
      nodes.copyWithin(base + j * 32, base + from * 32, base + from * 32 + 32)
      j = from
    }
  }
  hashInnerNodes(nodes, n)
  return toHex(nodes, 0, 32)
}

/** The root StandardMerkleTree.of(leaves, ['bytes32', 'address']) computes. */
export function merkleRoot(leaves: ReadonlyArray<MerkleLeaf>): Hex {
  return MerkleTree.of(leaves).root
}

/** The proof StandardMerkleTree.getProof(leaf) gives for `leaf` in the tree of `leaves`. */
export function merkleProof(leaves: ReadonlyArray<MerkleLeaf>, leaf: MerkleLeaf): Hex[] {
  const want = leaf[0].toLowerCase() + ':' + leaf[1].toLowerCase()
  const index = leaves.findIndex(([h, a]) => h.toLowerCase() + ':' + a.toLowerCase() === want)
  if (index < 0) throw new MerkleInputError(`leaf [${leaf[0]}, ${leaf[1]}] is not in the tree`)
  return MerkleTree.of(leaves).proof(index)
}

/** Folds a proof onto a leaf hash with sorted-pair hashing: the root it proves. */
export function processProof(leafHashHex: Hex, proof: ReadonlyArray<Hex>): Hex {
  const acc = new Uint8Array(64)
  if (!hexInto(leafHashHex, 32, acc, 0)) throw new MerkleInputError(`${leafHashHex} is not a 32-byte hash`)
  const sib = new Uint8Array(32)
  for (const p of proof) {
    if (!hexInto(p, 32, sib, 0)) throw new MerkleInputError(`proof element ${p} is not a 32-byte hash`)
    if (compare32(acc, 0, sib, 0) <= 0) acc.set(sib, 32)
    else {
      acc.copyWithin(32, 0, 32)
      acc.set(sib, 0)
    }
    keccak256x64Into(acc, 0, acc, 0)
  }
  return toHex(acc, 0, 32)
}

/** Whether `proof` proves `leaf` under `root`. */
export function verifyMerkleProof(root: Hex, leaf: MerkleLeaf, proof: ReadonlyArray<Hex>): boolean {
  const address = checksumAddress(leaf[1])
  if (!address) throw new MerkleInputError(`${leaf[1]} is not an address`)
  return processProof(leafHash([leaf[0], address]), proof) === root.toLowerCase()
}
