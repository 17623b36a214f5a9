import type {Hex} from 'viem'

import {contractAddress, type ChainContext} from '../chain/context.js'
import {DatanetRegistry} from '../contracts/artifacts/index.js'
import {DatanetStore} from '../datanet/store.js'
import type {TrainingManifest} from '../model/artifact.js'
import {type DatanetRefOnChain, ZERO_ROOT, datanetVersionRoot} from './registry.js'

/**
 * Where the datanet version a model was trained on sits on this chain. A version is identified by
 * its Merkle root: training.json's (id, version) is tried first, but after a devnet restart the same
 * records are published again under new numbers, so the root is also looked up among the versions of
 * that datanet id and of the id this folder's datanet now has on this chain.
 */
export async function resolveDatanetRef(
  ctx: ChainContext,
  d: TrainingManifest['datanet'],
  stateDir?: string,
): Promise<DatanetRefOnChain | undefined> {
  if (d.id === null || d.id === undefined || d.version === 'draft') return undefined
  const root = d.root.toLowerCase() as Hex
  const direct = await datanetVersionRoot(ctx, BigInt(d.id), d.version).catch(() => ZERO_ROOT)
  if (direct.toLowerCase() === root) return {datanetId: BigInt(d.id), version: d.version, root}
  const ids = new Set<bigint>([BigInt(d.id)])
  try {
    const m = new DatanetStore(d.name, stateDir).readManifest()
    if (m.chain && m.chain.chainId === ctx.chain.id) ids.add(BigInt(m.chain.datanetId))
  } catch {
    // No local datanet of that name: only training.json's id can be searched.
  }
  const registry = contractAddress(ctx, 'DatanetRegistry')
  for (const datanetId of ids) {
    const events = await ctx.publicClient.getContractEvents({
      address: registry,
      abi: DatanetRegistry.abi,
      eventName: 'VersionPublished',
      args: {datanetId},
      fromBlock: 0n,
    })
    const hit = events.find((e) => e.args.root?.toLowerCase() === root)
    if (hit) return {datanetId, version: Number(hit.args.version), root}
  }
  return undefined
}
