/** Reads of ModelRegistry and DatanetRegistry that publish, verify and resolve need. */
import {type Address, type Hex, parseEventLogs} from 'viem'

import {type ChainContext, contractAddress} from '../chain/context.js'
import {ModelRegistry} from '../contracts/artifacts/index.js'
import {readContract} from '../chain/contract.js'

export type DatanetRefOnChain = {datanetId: bigint; version: number; root: Hex}
export type RegisteredVersion = {
  modelId: bigint
  version: number
  artifactCid: string
  configHash: Hex
  datanets: DatanetRefOnChain[]
  txHash?: Hex
  blockNumber?: bigint
}

export async function modelIdByName(ctx: ChainContext, name: string): Promise<bigint> {
  return readContract(ctx, 'ModelRegistry', 'modelIdByName', [name])
}

export async function getModel(
  ctx: ChainContext,
  modelId: bigint,
): Promise<{owner: Address; name: string; baseModel: string; versionCount: number}> {
  const [owner, name, baseModel, versionCount] = await readContract(ctx, 'ModelRegistry', 'getModel', [modelId])
  return {owner, name, baseModel, versionCount: Number(versionCount)}
}

export async function getModelVersion(ctx: ChainContext, modelId: bigint, version: number): Promise<RegisteredVersion> {
  const [artifactCid, configHash, datanets] = await readContract(ctx, 'ModelRegistry', 'getModelVersion', [modelId, version])
  return {
    modelId,
    version,
    artifactCid,
    configHash,
    datanets: datanets.map((d) => ({datanetId: d.datanetId, version: Number(d.version), root: d.root})),
  }
}

/** Every ModelVersionRegistered event whose artifact CID is `cid`, oldest first, with its lineage. */
export async function versionsByCid(ctx: ChainContext, cid: string): Promise<RegisteredVersion[]> {
  const address = contractAddress(ctx, 'ModelRegistry')
  const logs = await ctx.publicClient.getLogs({address, fromBlock: 0n, toBlock: 'latest'})
  const events = parseEventLogs({abi: ModelRegistry.abi, logs, eventName: 'ModelVersionRegistered'}).filter(
    (e) => e.args.artifactCid === cid,
  )
  const out: RegisteredVersion[] = []
  for (const e of events) {
    const v = await getModelVersion(ctx, e.args.modelId, Number(e.args.version))
    out.push({...v, txHash: e.transactionHash, blockNumber: e.blockNumber})
  }
  return out
}

/** The root DatanetRegistry holds for a datanet version (zero when unpublished). */
export async function datanetVersionRoot(ctx: ChainContext, datanetId: bigint, version: number): Promise<Hex> {
  return readContract(ctx, 'DatanetRegistry', 'versionRoot', [datanetId, version])
}

export const ZERO_ROOT = ('0x' + '00'.repeat(32)) as Hex
