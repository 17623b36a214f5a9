/**
 * publish: artifact folder → content store (CID) → ModelRegistry (model, then version with its
 * lineage). A journal in `.openledger/publish/<cid>.json` records each finished step, and every
 * on-chain step first looks for its own effect (the model name, a version with this CID), so a
 * publish interrupted anywhere finishes when run again and never registers anything twice.
 */
import {join} from 'node:path'

import {type Address, type Hex, parseEventLogs} from 'viem'

import {type ChainContext, type SignerContext, contractAddress} from '../chain/context.js'
import {ModelRegistry} from '../contracts/artifacts/index.js'
import {UsageError} from '../errors.js'
import {writeContract} from '../chain/contract.js'
import {readJsonFile, writeJsonAtomic} from '../store/atomic.js'
import {withLock} from '../store/lock.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {type ArtifactInfo, readArtifactFolder, recomputeConfigHash} from './artifact.js'
import {CID} from './blockstore.js'
import {LineageError} from './errors.js'
import {type PushReturnType, pushBlocks} from './ipfs-api.js'
import {resolveDatanetRef} from './lineage.js'
import {type DatanetRefOnChain, getModel, getModelVersion, modelIdByName, versionsByCid} from './registry.js'
import {addFolder, blockstore, nameRoot} from './store.js'

export type PublishStep = 'stored' | 'pushed' | 'model' | 'version'

export type PublishJournal = {
  version: 1
  cid: string
  folder: string
  name: string
  chain: {chainId: number; registry: Address; account: Address}
  steps: {
    stored?: {at: string}
    pushed?: {at: string; api: string; blocks: number}
    model?: {modelId: string; txHash: Hex | null; at: string}
    version?: {version: number; txHash: Hex | null; at: string}
  }
}

export type PublishModelParameters = {
  folder: string
  /** Registered model name (default: training.json's datanet name + "-classifier"). */
  name?: string
  /** Kubo RPC API to push the blocks to. */
  ipfsApi?: string
  stateDir?: string
  /** Called after each step is journaled (progress; tests interrupt here). */
  onStep?: (step: PublishStep, journal: PublishJournal) => void
}

export type PublishModelReturnType = {
  cid: string
  modelId: string
  version: number
  /** The registerVersion transaction (the earlier one when the version already existed). */
  txHash: Hex | null
  name: string
  owner: Address
  baseModel: string
  configHash: Hex
  datanets: Array<{datanetId: string; version: number; root: Hex}>
  /** Steps this run did (the others were done before, by an interrupted run or another machine). */
  did: PublishStep[]
  alreadyRegistered: boolean
  ipfs?: PushReturnType
}

export function journalPath(cid: string, dir = defaultStateDir()): string {
  return join(dir, 'publish', `${cid}.json`)
}

export function defaultModelName(info: ArtifactInfo): string {
  return `${info.training.datanet.name}-${info.kind === 'generate' ? 'lora' : 'classifier'}`
}

/** The lineage to register, checked against DatanetRegistry before anything is sent. */
export async function checkLineage(ctx: ChainContext, info: ArtifactInfo, stateDir?: string): Promise<DatanetRefOnChain[]> {
  const d = info.training.datanet
  if (d.id === null || d.id === undefined || d.version === 'draft') {
    throw new LineageError(
      `${info.path} was trained on ${d.version === 'draft' ? 'the unpublished draft' : 'a local-only version'} of datanet ${d.name}: its root is not on-chain`,
      ['Publish the datanet (`openledger datanet publish`), train on the published version, then publish the model.'],
    )
  }
  const ref = await resolveDatanetRef(ctx, d, stateDir)
  if (!ref) {
    throw new LineageError(
      `datanet ${d.name} (id ${d.id}) version ${d.version} is not on-chain: training.json's root ${d.root} cannot be registered`,
      ['Publish that datanet version on this chain first, or publish on the chain it was published to.'],
    )
  }
  return [ref]
}

export async function publishModel(ctx: SignerContext, params: PublishModelParameters): Promise<PublishModelReturnType> {
  const dir = params.stateDir ?? defaultStateDir()
  const info = readArtifactFolder(params.folder)
  const hash = recomputeConfigHash(info.training)
  if (hash !== info.training.configHash) {
    throw new UsageError(
      `${join(params.folder, 'training.json')}: configHash ${info.training.configHash} is not the hash of its config (${hash})`,
    )
  }
  if (params.name !== undefined && params.name.trim() === '') throw new UsageError('--name is empty')
  const datanets = await checkLineage(ctx, info, dir)
  const registry = contractAddress(ctx, 'ModelRegistry')
  const baseModel = info.training.encoder.id

  const added = await addFolder(info.path, {stateDir: dir})
  const cid = added.cid
  return withLock(join(dir, 'publish', `${cid}.lock`), async () => {
    const path = journalPath(cid, dir)
    const prior = readJsonFile<PublishJournal>(path)
    const sameChain =
      prior &&
      prior.chain.chainId === ctx.chain.id &&
      prior.chain.registry.toLowerCase() === registry.toLowerCase() &&
      prior.chain.account?.toLowerCase() === ctx.account.address.toLowerCase()
    const name = params.name ?? (sameChain ? prior.name : undefined) ?? defaultModelName(info)
    const journal: PublishJournal = {
      version: 1,
      cid,
      folder: info.path,
      name,
      chain: {chainId: ctx.chain.id, registry, account: ctx.account.address},
      steps: sameChain && prior.name === name ? prior.steps : {},
    }
    const did: PublishStep[] = []
    const save = (step: PublishStep) => {
      writeJsonAtomic(path, journal)
      params.onStep?.(step, journal)
    }
    if (!journal.steps.stored) {
      journal.steps.stored = {at: new Date().toISOString()}
      did.push('stored')
      save('stored')
    }
    let ipfs: PushReturnType | undefined
    if (params.ipfsApi) {
      ipfs = await pushBlocks(params.ipfsApi, CID.parse(cid), added.blocks, blockstore({stateDir: dir}))
      journal.steps.pushed = {at: new Date().toISOString(), api: ipfs.api, blocks: ipfs.blocks}
      did.push('pushed')
      save('pushed')
    }

    // Model: the journal's, else one of this name already on-chain (ours), else register it.
    let modelId = journal.steps.model ? BigInt(journal.steps.model.modelId) : 0n
    if (modelId !== 0n) {
      // The chain can have moved on since the journal was written (a devnet restarted from its
      // genesis has the same chain id and addresses): trust the journal only if the chain agrees.
      const onChain = await getModel(ctx, modelId).catch(() => undefined)
      if (!onChain || onChain.name !== name || onChain.owner.toLowerCase() !== ctx.account.address.toLowerCase()) {
        modelId = 0n
        delete journal.steps.model
        delete journal.steps.version
      }
    }
    if (modelId === 0n) {
      const existing = await modelIdByName(ctx, name)
      if (existing !== 0n) {
        const m = await getModel(ctx, existing)
        if (m.owner.toLowerCase() !== ctx.account.address.toLowerCase()) {
          throw new UsageError(`model name "${name}" is registered to ${m.owner} (model ${existing}), not to ${ctx.account.address}`, {
            metaMessages: ['Choose another name with --name.'],
          })
        }
        modelId = existing
        journal.steps.model = {modelId: existing.toString(), txHash: null, at: new Date().toISOString()}
      } else {
        const {receipt} = await writeContract(ctx, {contract: 'ModelRegistry', functionName: 'registerModel', args: [name, baseModel]})
        const [ev] = parseEventLogs({abi: ModelRegistry.abi, logs: receipt.logs, eventName: 'ModelRegistered'})
        modelId = ev.args.modelId
        journal.steps.model = {modelId: modelId.toString(), txHash: receipt.transactionHash, at: new Date().toISOString()}
        did.push('model')
      }
      save('model')
    }

    // Version: the journal's (confirmed on-chain), else an existing version with this CID, else register.
    let version = journal.steps.version?.version ?? 0
    let txHash: Hex | null = journal.steps.version?.txHash ?? null
    let alreadyRegistered = version !== 0
    if (version !== 0) {
      const v = await getModelVersion(ctx, modelId, version).catch(() => undefined)
      if (v?.artifactCid !== cid) version = 0
    }
    if (version === 0) {
      const m = await getModel(ctx, modelId)
      for (let v = m.versionCount; v >= 1 && version === 0; v--) {
        const reg = await getModelVersion(ctx, modelId, v)
        if (reg.artifactCid === cid) {
          version = v
          alreadyRegistered = true
        }
      }
      if (version === 0) {
        const {receipt} = await writeContract(ctx, {
          contract: 'ModelRegistry',
          functionName: 'registerVersion',
          args: [modelId, cid, info.training.configHash as Hex, datanets],
        })
        const [ev] = parseEventLogs({abi: ModelRegistry.abi, logs: receipt.logs, eventName: 'ModelVersionRegistered'})
        version = Number(ev.args.version)
        txHash = receipt.transactionHash
        alreadyRegistered = false
        did.push('version')
      }
      if (!txHash) txHash = (await versionsByCid(ctx, cid)).find((v) => v.modelId === modelId && v.version === version)?.txHash ?? null
      journal.steps.version = {version, txHash, at: new Date().toISOString()}
      save('version')
    }
    await nameRoot(cid, name, {stateDir: dir})
    return {
      cid,
      modelId: modelId.toString(),
      version,
      txHash,
      name,
      owner: ctx.account.address,
      baseModel,
      configHash: info.training.configHash as Hex,
      datanets: datanets.map((d) => ({datanetId: d.datanetId.toString(), version: d.version, root: d.root})),
      did,
      alreadyRegistered,
      ...(ipfs ? {ipfs} : {}),
    }
  })
}
