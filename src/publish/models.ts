/**
 * The models a network's ModelRegistry holds, with the ones this project published (the publish
 * journals under .openledger/publish/) marked, and those it published to other chains or registries
 * listed from the journals alone.
 */
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import type {Address, Hex} from 'viem'

import {toChecksumAddress} from '../chain/address.js'
import {type ChainContext, contractAddress} from '../chain/context.js'
import {readContract} from '../chain/contract.js'
import {readJsonFile} from '../store/atomic.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import type {PublishJournal} from './publish.js'

export type ListedModelVersion = {
  version: number
  cid: string
  /** null when known only from a journal (the chain was not asked). */
  configHash: Hex | null
  datanets: Array<{datanetId: string; version: number; root: Hex}>
  /** Unix seconds it was registered; null when known only from a journal. */
  registeredAt: string | null
}

export type ListedModel = {
  /** The chain the model is registered on. */
  chainId: number
  registry: Address
  modelId: string
  name: string
  /** null when known only from a journal. */
  owner: Address | null
  baseModel: string | null
  versions: ListedModelVersion[]
  /** In the current network's ModelRegistry (false: known from this project's journal of another chain). */
  onChain: boolean
  /** Published from this project (a journal under .openledger/publish/ names it). */
  publishedHere: boolean
}

export type ModelsList = {
  /** The network asked; null when none could be (no devnet running): then only this project's journals. */
  network: {name: string; chainId: number; registry: Address; modelCount: number} | null
  models: ListedModel[]
}

/** Every publish journal of this project (resumable publishes write one per artifact CID). */
export function publishJournals(dir = defaultStateDir()): PublishJournal[] {
  const folder = join(dir, 'publish')
  if (!existsSync(folder)) return []
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readJsonFile<PublishJournal>(join(folder, f)))
    .filter((j): j is PublishJournal => j?.version === 1 && typeof j.cid === 'string' && typeof j.chain?.chainId === 'number')
}

/** At most this many reads in flight: a public RPC endpoint rate-limits bursts. */
const CONCURRENCY = 8

async function mapLimited<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({length: Math.min(CONCURRENCY, items.length)}, worker))
  return out
}

/** The registry's models (ids 1…modelCount) with every version, and this project's journals beside them. */
export async function listModels(ctx: ChainContext | undefined, p: {stateDir?: string} = {}): Promise<ModelsList> {
  const journals = publishJournals(p.stateDir)
  const key = (chainId: number, registry: string, modelId: string) => `${chainId}:${registry.toLowerCase()}:${modelId}`
  const ours = new Set(journals.filter((j) => j.steps.model).map((j) => key(j.chain.chainId, j.chain.registry, j.steps.model!.modelId)))
  const models: ListedModel[] = []
  let network: ModelsList['network'] = null
  if (ctx) {
    const registry = toChecksumAddress(contractAddress(ctx, 'ModelRegistry'))
    const count = Number(await readContract(ctx, 'ModelRegistry', 'modelCount'))
    network = {name: ctx.network, chainId: ctx.chain.id, registry, modelCount: count}
    const ids = Array.from({length: count}, (_, i) => BigInt(i + 1))
    const listed = await mapLimited(ids, async (id): Promise<ListedModel> => {
      const [owner, name, baseModel, versionCount] = await readContract(ctx, 'ModelRegistry', 'getModel', [id])
      const versions = await mapLimited(
        Array.from({length: Number(versionCount)}, (_, i) => i + 1),
        async (v): Promise<ListedModelVersion> => {
          const [cid, configHash, datanets, registeredAt] = await readContract(ctx, 'ModelRegistry', 'getModelVersion', [id, v])
          return {
            version: v,
            cid,
            configHash,
            datanets: datanets.map((d) => ({datanetId: d.datanetId.toString(), version: Number(d.version), root: d.root})),
            registeredAt: registeredAt.toString(),
          }
        },
      )
      return {
        chainId: ctx.chain.id,
        registry,
        modelId: id.toString(),
        name,
        owner: toChecksumAddress(owner),
        baseModel,
        versions,
        onChain: true,
        publishedHere: ours.has(key(ctx.chain.id, registry, id.toString())),
      }
    })
    models.push(...listed)
  }
  // What this project published elsewhere (another network, or a devnet since reset): from the journals.
  const onThisChain = new Set(models.map((m) => key(m.chainId, m.registry, m.modelId)))
  const elsewhere = new Map<string, ListedModel>()
  for (const j of journals) {
    if (!j.steps.model) continue
    const k = key(j.chain.chainId, j.chain.registry, j.steps.model.modelId)
    if (
      onThisChain.has(k) ||
      (network && j.chain.chainId === network.chainId && j.chain.registry.toLowerCase() === network.registry.toLowerCase())
    )
      continue
    const m = elsewhere.get(k) ?? {
      chainId: j.chain.chainId,
      registry: toChecksumAddress(j.chain.registry),
      modelId: j.steps.model.modelId,
      name: j.name,
      owner: null,
      baseModel: null,
      versions: [],
      onChain: false,
      publishedHere: true,
    }
    if (j.steps.version) m.versions.push({version: j.steps.version.version, cid: j.cid, configHash: null, datanets: [], registeredAt: null})
    m.versions.sort((a, b) => a.version - b.version)
    elsewhere.set(k, m)
  }
  return {network, models: [...models, ...elsewhere.values()]}
}
