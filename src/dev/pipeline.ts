import {existsSync, mkdirSync, readdirSync, renameSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'

import type {Address} from 'viem'

import {parseOpen} from '../chain/amounts.js'
import {resolveSigner} from '../chain/context.js'
import {
  ConfigError,
  type DatanetEntry,
  type LoadedProjectConfig,
  type ModelEntry,
  type ProjectConfig,
  loadProjectConfig,
  modelConfigOf,
} from '../config/index.js'
import {
  type DatanetChain,
  addToDatanet,
  createDatanet,
  datanetChain,
  datanetsDir,
  ingestPaths,
  onChainState,
  publishDatanet,
  showDatanet,
} from '../datanet/index.js'
import {startDetached} from '../devnet/detach.js'
import {type DevnetState, devnetStatePath, readRunningDevnet} from '../devnet/state.js'
import {OpenledgerError} from '../errors.js'
import {configHash} from '../model/config.js'
import {loadDatanetSource} from '../model/datanet-source.js'
import type {TrainProgressEvent} from '../model/progress.js'
import {trainModel} from '../model/train.js'
import {deposit, stakeStatus} from '../protocol/stake.js'
import {readArtifactFolder} from '../publish/artifact.js'
import {publishModel} from '../publish/publish.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {expandFiles} from './files.js'
import {type DevState, readDevState, writeDevState} from './state.js'

export type DevEventScope = 'config' | 'devnet' | 'datanet' | 'model' | 'agent' | 'serve' | 'watch'
export type DevEvent = {at: string; scope: DevEventScope; name?: string; message: string}

export type DevDevnetSummary = {
  /** Whether this run started it (false: one was already running for this folder). */
  started: boolean
  l1: {rpcUrl: string; chainId: number}
  l2: {rpcUrl: string; chainId: number}
  supervisorPid: number
  stateFile: string
}

export type DevDatanetSummary = {
  name: string
  version: number
  root: string
  records: number
  /** Records this run published (0 when nothing changed). */
  added: number
  /** A new version was published by this run. */
  changed: boolean
  datanetId?: string
  txHash?: string
}

export type DevModelSummary = {
  name: string
  datanet: string
  artifact: string
  configHash: string
  /** Trained by this run (false: the artifact for this datanet root and config hash was there). */
  trained: boolean
  valAccuracy: number | null
  /** The artifact's content id, once published. */
  cid?: string
  /** Registered by this run (false: it already was). */
  published?: boolean
  modelId?: string
  txHash?: string
}

export type DevAgentSummary = {address: Address; account: number; staked: string; deposited: string; txHash?: string}

export type DevSummary = {
  project: string
  network: string
  devnet: DevDevnetSummary | null
  datanets: DevDatanetSummary[]
  models: DevModelSummary[]
  agent?: DevAgentSummary
  /** Whether anything was published, trained or staked. */
  changed: boolean
  seconds: number
}

/** Publishes a trained artifact (content store + ModelRegistry); must be idempotent. */
export type PublishModelHook = (p: {
  name: string
  artifact: string
  stateDir: string
  network: string
  account?: number
}) => Promise<{cid: string; published: boolean; modelId?: string; txHash?: string}>

/** The content store and ModelRegistry (src/publish): idempotent, a registered CID is not registered again. */
export const registryPublish: PublishModelHook = async (p) => {
  const ctx = await resolveSigner({network: p.network as 'devnet' | 'testnet' | 'mainnet', account: p.account, stateDir: p.stateDir})
  const r = await publishModel(ctx, {folder: p.artifact, name: p.name, stateDir: p.stateDir})
  return {cid: r.cid, published: r.did.includes('version'), modelId: r.modelId, ...(r.txHash ? {txHash: r.txHash} : {})}
}

export type RunDevParameters = {
  projectDir?: string
  configFile?: string
  /** The config, already loaded (watch mode reloads it itself). */
  loaded?: LoadedProjectConfig
  l1Port?: number
  l2Port?: number
  /** Dev account that publishes datanets and models (devnet only). */
  account?: number
  onEvent?: (e: DevEvent) => void
  /** Called once the devnet runs: whether this pass started it (watch mode stops what it started). */
  onDevnet?: (d: DevDevnetSummary & {stateDir: string}) => void
  onTrainProgress?: (model: string, e: TrainProgressEvent) => void
  publishModel?: PublishModelHook
}

class Emitter {
  constructor(private readonly fn?: (e: DevEvent) => void) {}
  emit(scope: DevEventScope, message: string, name?: string) {
    this.fn?.({at: new Date().toISOString(), scope, ...(name ? {name} : {}), message})
  }
}

/** The devnet this folder runs, started in the background when none is. */
export async function ensureDevnet(p: {
  stateDir: string
  l1Port?: number
  l2Port?: number
}): Promise<{state: DevnetState; started: boolean}> {
  const running = readRunningDevnet(p.stateDir)
  if (running) return {state: running, started: false}
  const state = await startDetached({stateDir: p.stateDir, l1Port: p.l1Port, l2Port: p.l2Port})
  return {state, started: true}
}

/** Whether the chain's DatanetRegistry holds the datanet's latest local version with the same root. */
async function chainHasLatest(name: string, stateDir: string, chain: DatanetChain): Promise<boolean> {
  const show = await showDatanet({name, stateDir})
  const last = show.versionHistory.at(-1)
  if (!last) return true
  try {
    const on = await onChainState({name, stateDir, chain})
    return on?.versions.find((v) => v.version === last.chainVersion)?.matchesLocal === true
  } catch {
    return false
  }
}

function checkLabels(entry: DatanetEntry, paths: string[], contributor: Address, where: string, configFile: string): void {
  if (!entry.labelField) return
  const {files} = ingestPaths(paths, {modality: entry.modality ?? 'text', textField: entry.textField, defaultContributor: contributor})
  for (const f of files) {
    const missing = f.records.filter(
      (r) => r.fields[entry.labelField!] === undefined || r.fields[entry.labelField!] === null || r.fields[entry.labelField!] === '',
    )
    if (missing.length) {
      throw new ConfigError(
        configFile,
        `${where}.labelField`,
        `"${entry.labelField}" is missing in ${missing.length} of ${f.records.length} records of ${f.path}`,
      )
    }
  }
}

async function syncDatanet(
  entry: DatanetEntry,
  index: number,
  ctx: {
    loaded: LoadedProjectConfig
    stateDir: string
    chain: DatanetChain
    contributor: Address
    onDevnet: boolean
    events: Emitter
    shown: string
  },
): Promise<DevDatanetSummary> {
  const where = `$.datanets[${index}]`
  const files = expandFiles(ctx.loaded.dir, entry.files, `${where}.files`, ctx.shown)
  const paths = files.map((f) => relative(process.cwd(), resolve(ctx.loaded.dir, f)) || '.')
  checkLabels(entry, paths, ctx.contributor, where, ctx.shown)
  const exists = () => listDatanetsSync(ctx.stateDir).includes(entry.name)

  if (exists() && !(await chainHasLatest(entry.name, ctx.stateDir, ctx.chain))) {
    if (!ctx.onDevnet) {
      throw new OpenledgerError(
        'E_DEV_DATANET_NOT_ON_CHAIN',
        `datanet ${entry.name}: its latest version is not on this chain's DatanetRegistry`,
        {exitCode: 3},
      )
    }
    // A devnet started afresh forgets what was published: build the datanet again from the files.
    const aside = join(ctx.stateDir, 'dev', 'replaced', `${entry.name}-${Date.now()}`)
    mkdirSync(join(aside, '..'), {recursive: true})
    renameSync(join(datanetsDir(ctx.stateDir), entry.name), aside)
    ctx.events.emit(
      'datanet',
      `this devnet does not know it (started afresh?): publishing it again (old state kept in ${relative(process.cwd(), aside)})`,
      entry.name,
    )
  }
  if (!exists()) {
    await createDatanet({name: entry.name, description: entry.description, modality: entry.modality, stateDir: ctx.stateDir})
    ctx.events.emit('datanet', 'created', entry.name)
  }
  const add = await addToDatanet({
    name: entry.name,
    paths,
    contributor: ctx.contributor,
    textField: entry.textField,
    stateDir: ctx.stateDir,
  })
  if (add.added)
    ctx.events.emit(
      'datanet',
      `${add.added} new record${add.added === 1 ? '' : 's'} staged from ${files.length} file${files.length === 1 ? '' : 's'}`,
      entry.name,
    )
  if (add.staged > 0) {
    const r = await publishDatanet({name: entry.name, chain: ctx.chain, stateDir: ctx.stateDir})
    ctx.events.emit(
      'datanet',
      `published version ${r.version}: ${r.records} records (${r.added} new), root ${r.root.slice(0, 10)}…`,
      entry.name,
    )
    return {
      name: entry.name,
      version: r.version,
      root: r.root,
      records: r.records,
      added: r.added,
      changed: true,
      datanetId: r.datanetId,
      txHash: r.txHash,
    }
  }
  const show = await showDatanet({name: entry.name, stateDir: ctx.stateDir})
  const last = show.versionHistory.at(-1)
  if (!last)
    throw new OpenledgerError('E_DEV_EMPTY_DATANET', `${ctx.shown}: ${where}.files give datanet ${entry.name} no records`, {exitCode: 2})
  ctx.events.emit('datanet', `unchanged: version ${last.version}, ${last.records} records`, entry.name)
  return {
    name: entry.name,
    version: last.version,
    root: last.root,
    records: last.records,
    added: 0,
    changed: false,
    ...(last.datanetId ? {datanetId: last.datanetId} : {}),
  }
}

function listDatanetsSync(stateDir: string): string[] {
  const dir = datanetsDir(stateDir)
  return existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(join(dir, n, 'datanet.json'))) : []
}

async function trainOne(
  entry: ModelEntry,
  ctx: {stateDir: string; state: DevState; events: Emitter; onTrainProgress?: RunDevParameters['onTrainProgress']},
): Promise<DevModelSummary> {
  const source = await loadDatanetSource({name: entry.datanet, stateDir: ctx.stateDir})
  if (entry.task === 'generate') return trainGenerateOne(entry, source, ctx)
  const config = modelConfigOf(entry)
  const hash = configHash(config)
  const artifact = join(ctx.stateDir, 'models', `${entry.name}-${source.root.slice(2, 10)}-${hash.slice(2, 10)}`)
  const shownArtifact = relative(process.cwd(), artifact)
  const prev = ctx.state.models[entry.name]
  const existing = intactArtifact(artifact, source.root, hash)
  if (existing) {
    const same = prev && prev.artifact === shownArtifact && prev.root === source.root && prev.configHash === hash
    ctx.events.emit(
      'model',
      `unchanged: datanet root and config hash as before${same ? '' : ' (artifact found)'}, not retrained`,
      entry.name,
    )
    return {
      name: entry.name,
      datanet: entry.datanet,
      artifact: shownArtifact,
      configHash: hash,
      trained: false,
      valAccuracy: existing.valAccuracy,
    }
  }
  ctx.events.emit('model', `training on ${source.name} v${source.version} (${source.records.length} records)`, entry.name)
  const t0 = performance.now()
  const r = await trainModel({
    source,
    config,
    out: artifact,
    allowRemote: config.encoder === 'builtin' ? false : undefined,
    onProgress: (e) => ctx.onTrainProgress?.(entry.name, e),
  })
  const acc = r.metrics.valAccuracy
  ctx.events.emit(
    'model',
    `trained in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${r.device}${acc === null ? '' : `, val accuracy ${(acc * 100).toFixed(1)}%`}`,
    entry.name,
  )
  return {name: entry.name, datanet: entry.datanet, artifact: shownArtifact, configHash: hash, trained: true, valAccuracy: acc}
}

/** A generate model: a LoRA adapter on its base, retrained only when the datanet root or its config changed. */
async function trainGenerateOne(
  entry: ModelEntry,
  source: Awaited<ReturnType<typeof loadDatanetSource>>,
  ctx: {stateDir: string; events: Emitter},
): Promise<DevModelSummary> {
  const {trainLmArtifact, lmConfigHash, DEFAULT_BASE_DIR} = await import('../lm/artifact.js')
  const {baseWeightsSha256} = await import('../lm/peft.js')
  const {name, datanet, task, base, device, text_field, label_field, ...hyperparameters} = entry as ModelEntry & Record<string, unknown>
  const baseDir = resolve(base ?? DEFAULT_BASE_DIR)
  const {configHash: hash} = lmConfigHash(hyperparameters, baseWeightsSha256(baseDir))
  const artifact = join(ctx.stateDir, 'models', `${entry.name}-${source.root.slice(2, 10)}-${hash.slice(2, 10)}`)
  const shownArtifact = relative(process.cwd(), artifact)
  if (intactArtifact(artifact, source.root, hash)) {
    ctx.events.emit('model', 'unchanged: datanet root and config hash as before, not retrained', entry.name)
    return {name: entry.name, datanet: entry.datanet, artifact: shownArtifact, configHash: hash, trained: false, valAccuracy: null}
  }
  ctx.events.emit('model', `training a LoRA adapter on ${source.name} v${source.version} (${source.records.length} records)`, entry.name)
  const t0 = performance.now()
  const r = await trainLmArtifact({
    source,
    baseDir,
    hyperparameters,
    device: device === 'cpu' || device === 'webgpu' ? device : 'auto',
    out: artifact,
  })
  const m = r.metrics
  ctx.events.emit(
    'model',
    `trained in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${r.device}, val loss ${m.bestValLoss?.toFixed(4) ?? 'n/a'} (base ${m.baseValLoss?.toFixed(4) ?? 'n/a'})`,
    entry.name,
  )
  return {name: entry.name, datanet: entry.datanet, artifact: shownArtifact, configHash: hash, trained: true, valAccuracy: null}
}

function intactArtifact(path: string, root: string, hash: string): {valAccuracy: number | null} | undefined {
  if (!existsSync(path)) return undefined
  try {
    const a = readArtifactFolder(path)
    if (a.training.datanet.root.toLowerCase() !== root.toLowerCase() || a.training.configHash !== hash) return undefined
    return {valAccuracy: a.training.metrics?.best?.valAccuracy ?? null}
  } catch {
    return undefined
  }
}

async function syncAgent(
  config: ProjectConfig,
  loaded: LoadedProjectConfig,
  stateDir: string,
  events: Emitter,
  shown: string,
): Promise<DevAgentSummary | undefined> {
  const agent = config.agent
  if (!agent) return undefined
  const account = agent.account ?? 0
  const target = parseOpen(agent.stake, `${shown}: $.agent.stake`)
  const ctx = await resolveSigner({network: config.network, account, stateDir})
  const address = ctx.account.address
  const st = await stakeStatus(ctx, {address})
  if (st.role === 'validator')
    throw new ConfigError(shown, '$.agent.account', `${account} (${address}) stakes as a validator, not as an agent`)
  if (st.staked >= target) {
    events.emit('agent', `stake unchanged: ${fmt(st.staked)} OPEN staked as agent`, address)
    return {address, account, staked: st.staked.toString(), deposited: '0'}
  }
  const r = await deposit(ctx, {amount: target - st.staked, role: 'agent'})
  events.emit('agent', `staked ${fmt(r.amount)} OPEN as agent (now ${fmt(r.staked)})`, address)
  return {address, account, staked: r.staked.toString(), deposited: r.amount.toString(), txHash: r.transactionHash}
}

const fmt = (wei: bigint) => (Number(wei / 10n ** 14n) / 1e4).toString()

/**
 * One pass of `openledger dev`: validate the config, make sure a devnet runs, publish the datanets
 * whose records changed, train the models whose datanet root or config hash changed, publish them,
 * top up the agent's stake. Everything unchanged is skipped, and said so in the events.
 */
export async function runDevOnce(p: RunDevParameters = {}): Promise<DevSummary> {
  const t0 = performance.now()
  const events = new Emitter(p.onEvent)
  const loaded = p.loaded ?? loadProjectConfig(p.projectDir ?? process.cwd(), p.configFile)
  const {config} = loaded
  const shown = relative(process.cwd(), loaded.path) || 'openledger.config.json'
  const stateDir = defaultStateDir(loaded.dir)
  const network = config.network ?? 'devnet'
  const onDevnet = network === 'devnet'

  let devnet: DevDevnetSummary | null = null
  if (onDevnet) {
    const {state, started} = await ensureDevnet({stateDir, l1Port: p.l1Port, l2Port: p.l2Port})
    devnet = {
      started,
      l1: {rpcUrl: state.l1.rpcUrl, chainId: state.l1.chainId},
      l2: {rpcUrl: state.l2.rpcUrl, chainId: state.l2.chainId},
      supervisorPid: state.supervisorPid,
      stateFile: relative(process.cwd(), devnetStatePath(stateDir)),
    }
    p.onDevnet?.({...devnet, stateDir})
    events.emit('devnet', started ? `started: L2 ${state.l2.rpcUrl}` : `reusing the running devnet: L2 ${state.l2.rpcUrl}`)
  }

  const state = readDevState(stateDir)
  const datanets: DevDatanetSummary[] = []
  const entries = config.datanets ?? []
  if (entries.length) {
    const chain = await datanetChain({network, account: p.account, stateDir})
    const contributor = chain.account.address
    for (const [i, entry] of entries.entries()) {
      const d = await syncDatanet(entry, i, {loaded, stateDir, chain, contributor, onDevnet, events, shown})
      datanets.push(d)
      state.datanets[d.name] = {
        version: d.version,
        root: d.root,
        records: d.records,
        chainId: chain.chainId,
        ...(d.datanetId ? {datanetId: d.datanetId} : {}),
        updatedAt: new Date().toISOString(),
      }
    }
  }

  const models: DevModelSummary[] = []
  for (const entry of config.models ?? []) {
    const m = await trainOne(entry, {stateDir, state, events, onTrainProgress: p.onTrainProgress})
    const publish = p.publishModel ?? registryPublish
    const r = await publish({name: m.name, artifact: resolve(process.cwd(), m.artifact), stateDir, network, account: p.account})
    Object.assign(m, {
      cid: r.cid,
      published: r.published,
      ...(r.modelId ? {modelId: r.modelId} : {}),
      ...(r.txHash && r.published ? {txHash: r.txHash} : {}),
    })
    events.emit(
      'model',
      r.published ? `published ${r.cid}${r.modelId ? ` as model ${r.modelId}` : ''}` : `already published: ${r.cid}`,
      m.name,
    )
    state.models[m.name] = {
      datanet: m.datanet,
      root: datanets.find((d) => d.name === m.datanet)?.root ?? '',
      configHash: m.configHash,
      artifact: m.artifact,
      ...(m.cid ? {cid: m.cid} : {}),
      ...(m.modelId ? {modelId: m.modelId} : {}),
      ...(m.txHash ? {txHash: m.txHash} : {}),
      updatedAt: new Date().toISOString(),
    }
    models.push(m)
  }

  const agent = await syncAgent(config, loaded, stateDir, events, shown)
  if (agent) state.agent = {address: agent.address, staked: agent.staked, updatedAt: new Date().toISOString()}
  writeDevState(stateDir, state)

  const changed =
    datanets.some((d) => d.changed) || models.some((m) => m.trained || m.published) || (agent !== undefined && agent.deposited !== '0')
  return {
    project: config.name,
    network,
    devnet,
    datanets,
    models,
    ...(agent ? {agent} : {}),
    changed,
    seconds: Math.round((performance.now() - t0) / 10) / 100,
  }
}
