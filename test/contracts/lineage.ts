/**
 * A datanet version of real leaves (twelve records per contributor, so one may be paid several times in a settlement) published on the protocol chain,
 * and a model version trained on it: what settlements prove their contributors against.
 */
import {type Address, type Hex, keccak256, parseEventLogs, toHex} from 'viem'

import {DatanetRegistry, ModelRegistry} from '../../src/contracts/artifacts/index.js'
import type {MerkleLeaf} from '../../src/datanet/merkle.js'
import {DatanetVersionTree, attributionProofs} from '../../src/protocol/proofs.js'
import {type Protocol, send} from '../helpers/contracts.js'

export const RECORDS_PER_CONTRIBUTOR = 12

export const recordHashOf = (contributor: Address, j: number): Hex => keccak256(toHex(`record/${contributor.toLowerCase()}/${j}`))

export type Lineage = {datanetId: bigint; datanetVersion: number; modelId: bigint; modelVersion: number; tree: DatanetVersionTree}

/** Publishes a datanet of `contributors` (owner `datanetOwner`) and registers a model version on it. */
export async function publishLineage(
  p: Protocol,
  o: {datanetOwner: number; modelOwner: number; contributors: Address[]; name: string; modelId?: bigint},
): Promise<Lineage> {
  const leaves: MerkleLeaf[] = o.contributors.flatMap((c) =>
    Array.from({length: RECORDS_PER_CONTRIBUTOR}, (_, j) => [recordHashOf(c, j), c] as const),
  )
  const tree = new DatanetVersionTree(leaves)
  const registry = {address: p.addresses.DatanetRegistry, abi: DatanetRegistry.abi}
  const created = await send(p, o.datanetOwner, {...registry, functionName: 'createDatanet', args: [o.name, '', 0]})
  const datanetId = parseEventLogs({abi: DatanetRegistry.abi, logs: created.logs, eventName: 'DatanetCreated'})[0].args.datanetId
  const fee = await p.publicClient.readContract({...registry, functionName: 'versionFee', args: [datanetId]})
  const published = await send(p, o.datanetOwner, {
    ...registry,
    functionName: 'publishVersion',
    args: [datanetId, tree.root, BigInt(leaves.length), 1000n, ''],
    value: fee,
  })
  const datanetVersion = parseEventLogs({abi: DatanetRegistry.abi, logs: published.logs, eventName: 'VersionPublished'})[0].args.version
  const models = {address: p.addresses.ModelRegistry, abi: ModelRegistry.abi}
  let modelId = o.modelId
  if (modelId === undefined) {
    const reg = await send(p, o.modelOwner, {...models, functionName: 'registerModel', args: [`${o.name}-model`, 'glove']})
    modelId = parseEventLogs({abi: ModelRegistry.abi, logs: reg.logs, eventName: 'ModelRegistered'})[0].args.modelId
  }
  const v = await send(p, o.modelOwner, {
    ...models,
    functionName: 'registerVersion',
    args: [modelId, `bafy-${o.name}`, keccak256(toHex(o.name)), [{datanetId, version: datanetVersion, root: tree.root}]],
  })
  const modelVersion = parseEventLogs({abi: ModelRegistry.abi, logs: v.logs, eventName: 'ModelVersionRegistered'})[0].args.version
  return {datanetId, datanetVersion, modelId, modelVersion, tree}
}

/** The Settlement struct paying `contributors` by `weights`, each proven by a record of theirs. */
export function provenSettlement(
  l: Lineage,
  s: {
    fee: bigint
    contributors: readonly Address[]
    weights: readonly bigint[]
    responseHash: Hex
    modelId?: bigint
    modelVersion?: number
  },
) {
  const records = [...new Set(s.contributors)].flatMap((c) =>
    Array.from({length: RECORDS_PER_CONTRIBUTOR}, (_, j) => ({recordHash: recordHashOf(c, j), contributor: c})),
  )
  return {
    modelId: s.modelId ?? l.modelId,
    modelVersion: s.modelVersion ?? l.modelVersion,
    responseHash: s.responseHash,
    fee: s.fee,
    contributors: [...s.contributors],
    weights: [...s.weights],
    proofs: attributionProofs({contributors: s.contributors.map((address) => ({address})), records}, [l.tree]),
  }
}
