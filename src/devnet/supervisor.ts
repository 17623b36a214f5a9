import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {toChecksumAddress} from '../chain/address.js'
import {DEV_ROLES, devAccounts} from '../chain/dev-accounts.js'
import {DEVNET_L1_CHAIN_ID, DEVNET_L2_CHAIN_ID} from '../chain/network-names.js'
import {acquireLock} from '../store/lock.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {AnvilInstance} from './anvil-instance.js'
import type {Relayer} from './bridge/relayer.js'
import {DevnetAlreadyRunningError} from './errors.js'
import type {ForkOptions, ForkPlan} from './fork.js'
import {processIdentity} from './process-identity.js'
import {RpcProxy} from './proxy/rpc-proxy.js'
import {StateKeeper, findSavedDevnet, removeSavedDevnet} from './recovery.js'
import {blockNumber, jsonRpc, takeSnapshot} from './rpc.js'
import {buildGenesis, findCachedGenesis, genesisKey, saveGenesis} from './genesis.js'
import {
  type DevnetDeployment,
  type DevnetState,
  devnetDir,
  isSupervisorAlive,
  readDevnetState,
  removeDevnetState,
  writeDevnetState,
} from './state.js'

export const DEFAULT_L1_PORT = 8545
export const DEFAULT_L2_PORT = 9545

export type StartDevnetOptions = {
  stateDir?: string
  l1Port?: number
  l2Port?: number
  /** Seconds between blocks; instant mining (a block per transaction) when undefined. */
  blockTime?: number
  /** Build the genesis again instead of loading the cached one, and ignore a crashed devnet's saved state. */
  fresh?: boolean
  /** Milliseconds between checks for a new block to save for crash recovery (default 100). */
  saveIntervalMs?: number
  /** Fork both chains from live endpoints instead of starting from the genesis (src/devnet/fork.ts). */
  fork?: ForkOptions
  /** The bridge's withdrawal finalization period in seconds (part of the genesis). */
  finalizationPeriodSeconds?: number
  startTimeoutMs?: number
  onProgress?: (event: DevnetProgress) => void
}

export type DevnetProgress =
  | {stage: 'anvil'; chain: 'l1' | 'l2'; rpcUrl: string}
  | {
      stage: 'genesis'
      fromCache: boolean
      resumed?: {l1BlockNumber: string; l2BlockNumber: string}
      /** Why a crashed devnet's saved state was not resumed. */
      discarded?: string
      forked?: true
    }
  | {stage: 'ready'; ms: number}
  | {stage: 'relayed'; deposits: number; outputs: number}
  | {stage: 'relayer-error'; message: string}
  | {stage: 'save-error'; message: string}

export type RunningDevnet = {
  state: DevnetState
  /** Resolves when the devnet has stopped: by stop(), or because a chain died (then with its reason). */
  done: Promise<{reason: 'stopped' | 'chain-exited'; detail?: string}>
  stop(): Promise<void>
}

/**
 * Starts the devnet: an L1 anvil and an OP-style L2 anvil, the genesis (contracts, funded
 * accounts) loaded from cache or built, the bridge relayer, and `.openledger/devnet.json`.
 * If either anvil dies, everything is torn down (fail fast) and `done` says why.
 */
export async function startDevnet(options: StartDevnetOptions = {}): Promise<RunningDevnet> {
  const t0 = performance.now()
  const dir = options.stateDir ?? defaultStateDir()
  const emit = options.onProgress ?? (() => {})
  const existing = readDevnetState(dir)
  if (existing && isSupervisorAlive(existing) && existing.supervisorPid !== process.pid) {
    throw new DevnetAlreadyRunningError(existing.supervisorPid, existing.l2.rpcUrl)
  }
  const release = acquireLock(join(dir, 'devnet.lock'))
  const logs = devnetDir(dir)
  mkdirSync(logs, {recursive: true})

  const accounts = devAccounts()
  const fork = options.fork
  let forkPlan: ForkPlan | undefined
  if (fork) {
    try {
      forkPlan = await (await import('./fork.js')).planFork(fork)
    } catch (err) {
      release()
      throw err
    }
  }
  const genesisOptions = {finalizationPeriodSeconds: options.finalizationPeriodSeconds}
  const key = forkPlan ? `fork:${fork!.network}@${forkPlan.l2Block}` : genesisKey(accounts, genesisOptions)
  // A devnet that crashed (an anvil or its supervisor killed) left its last state: resume it.
  // (Not a fork: its state lives partly on the remote chains.)
  const {saved, discarded} = options.fresh || fork ? {} : findSavedDevnet(key, dir)
  if (discarded) removeSavedDevnet(dir)
  const cached =
    options.fresh || fork
      ? undefined
      : saved
        ? {meta: saved.meta, l1StatePath: saved.l1StatePath, l2StatePath: saved.l2StatePath}
        : findCachedGenesis(key)
  const common = {startTimeoutMs: options.startTimeoutMs}
  const l1 = new AnvilInstance({
    ...common,
    label: 'L1',
    port: options.l1Port ?? DEFAULT_L1_PORT,
    portFlag: '--l1-port',
    chainId: DEVNET_L1_CHAIN_ID,
    loadState: cached?.l1StatePath,
    blockTime: cached || fork ? options.blockTime : undefined,
    forkUrl: fork?.l1RpcUrl,
    forkBlockNumber: forkPlan?.l1Block,
    logFile: join(logs, 'l1.log'),
  })
  // The L2 anvil listens on a private port; the public L2 port is our RPC proxy, which refuses
  // deposit transactions from clients (src/devnet/proxy/). Only the relayer talks to anvil itself.
  const l2 = new AnvilInstance({
    ...common,
    label: 'L2',
    port: 0,
    portFlag: '--l2-port',
    chainId: DEVNET_L2_CHAIN_ID,
    optimism: true,
    // No free money on the L2: every native OPEN there is minted by a bridge deposit.
    balance: 0,
    loadState: cached?.l2StatePath,
    blockTime: cached || fork ? options.blockTime : undefined,
    forkUrl: fork?.l2RpcUrl,
    forkBlockNumber: forkPlan?.l2Block,
    logFile: join(logs, 'l2.log'),
  })

  const proxy = new RpcProxy({upstream: () => l2.rpcUrl, port: options.l2Port ?? DEFAULT_L2_PORT, portFlag: '--l2-port'})

  let relayer: Relayer | undefined
  let keeper: StateKeeper | undefined
  let stopping: Promise<void> | undefined
  let resolveDone!: (v: {reason: 'stopped' | 'chain-exited'; detail?: string}) => void
  const done = new Promise<{reason: 'stopped' | 'chain-exited'; detail?: string}>((r) => (resolveDone = r))

  /** `forget`: a stop asked for, after which the next start is a fresh genesis (not a crash to resume). */
  const stop = (reason: 'stopped' | 'chain-exited' = 'stopped', detail?: string, forget = false): Promise<void> => {
    stopping ??= (async () => {
      const results = await Promise.allSettled([relayer?.stop(), keeper?.stop()])
      // Reverse order of start; all are attempted even if one fails.
      const stops = await Promise.allSettled([proxy.stop(), l2.stop(), l1.stop()])
      if (forget) removeSavedDevnet(dir)
      const state = readDevnetState(dir)
      if (state?.supervisorPid === process.pid) removeDevnetState(dir)
      release()
      resolveDone({reason, detail})
      const failed = [...results, ...stops].find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined
      if (failed) throw failed.reason
    })()
    return stopping
  }

  try {
    // The public port first: when it is taken, nothing has been spawned yet.
    await proxy.start()
    await Promise.all([l1.start(), l2.start()])
    emit({stage: 'anvil', chain: 'l1', rpcUrl: l1.rpcUrl})
    emit({stage: 'anvil', chain: 'l2', rpcUrl: proxy.rpcUrl})
    for (const [instance, label] of [
      [l1, 'L1'],
      [l2, 'L2'],
    ] as const) {
      instance.onUnexpectedExit((code, signal) => {
        void stop('chain-exited', `${label} anvil exited (${signal ?? `code ${code}`}): ${instance.lastLines.at(-1) ?? ''}`).catch(() => {})
      })
    }
    let deployments: DevnetDeployment[]
    if (fork && forkPlan) {
      deployments = await forkedDevnet(fork, forkPlan, {l1: l1.rpcUrl, l2: l2.rpcUrl}, accounts, dir)
    } else if (cached) {
      deployments = cached.meta.deployments
    } else {
      const {layerClients} = await loadChainModules()
      const l1Clients = layerClients('l1', DEVNET_L1_CHAIN_ID, l1.rpcUrl)
      const l2Clients = layerClients('l2', DEVNET_L2_CHAIN_ID, l2.rpcUrl)
      deployments = await buildGenesis(l1Clients, l2Clients, accounts, genesisOptions)
      await saveGenesis(key, l1Clients, l2Clients, deployments)
      if (options.blockTime !== undefined)
        await Promise.all([setIntervalMining(l1.rpcUrl, options.blockTime), setIntervalMining(l2.rpcUrl, options.blockTime)])
    }
    const resumed = saved
      ? {l1BlockNumber: (await blockNumber(l1.rpcUrl)).toString(), l2BlockNumber: (await blockNumber(l2.rpcUrl)).toString()}
      : undefined
    emit({
      stage: 'genesis',
      fromCache: Boolean(cached),
      ...(resumed ? {resumed} : {}),
      ...(discarded ? {discarded} : {}),
      ...(fork ? {forked: true as const} : {}),
    })

    // Checksummed (receipts and older genesis caches give lower case): every address printed is.
    deployments = deployments.map((d) => ({...d, address: toChecksumAddress(d.address)}))
    const contracts = Object.fromEntries(deployments.map((d) => [d.name, d.address]))
    const genesisSnapshot = await takeSnapshot(l1.rpcUrl, l2.rpcUrl)
    const admin = accounts[DEV_ROLES.admin].address
    const state: DevnetState = {
      version: 1,
      supervisorPid: process.pid,
      supervisor: processIdentity(process.pid),
      startedAt: new Date().toISOString(),
      l1: {rpcUrl: l1.rpcUrl, chainId: DEVNET_L1_CHAIN_ID, port: l1.port, pid: l1.pid!, process: processIdentity(l1.pid!)},
      l2: {
        rpcUrl: proxy.rpcUrl,
        chainId: DEVNET_L2_CHAIN_ID,
        port: proxy.port,
        pid: l2.pid!,
        internalRpcUrl: l2.rpcUrl,
        process: processIdentity(l2.pid!),
      },
      contracts,
      deployments,
      accounts: accounts.map((a) => ({address: a.address, privateKey: a.privateKey})),
      roles: {admin, treasury: admin, relayer: accounts[DEV_ROLES.relayer].address},
      ...(options.blockTime !== undefined ? {blockTime: options.blockTime} : {}),
      ...(fork && forkPlan
        ? {
            fork: {
              network: fork.network,
              l1: {rpcUrl: fork.l1RpcUrl, blockNumber: forkPlan.l1Block.toString()},
              l2: {rpcUrl: fork.l2RpcUrl, blockNumber: forkPlan.l2Block.toString()},
            },
          }
        : {}),
      genesis: {key, fromCache: Boolean(cached), ...(resumed ? {resumed} : {})},
      snapshots: {genesis: genesisSnapshot},
    }
    writeDevnetState(state, dir)
    emit({stage: 'ready', ms: Math.round(performance.now() - t0)})

    // A fork is not saved for recovery (its state lives partly on the remote chains) and has no
    // relayer yet: the remote's portal is not known to the devnet.
    if (fork) return {state, done, stop: () => stop('stopped', undefined, true)}

    keeper = new StateKeeper(
      {l1: l1.rpcUrl, l2: l2.rpcUrl},
      {genesisKey: key, deployments, stateDir: dir},
      {
        intervalMs: options.saveIntervalMs,
        onError: (err) => {
          if (!stopping) emit({stage: 'save-error', message: (err as Error).message?.split('\n')[0] ?? String(err)})
        },
      },
    )
    keeper.start()

    // viem, the clients and the relayer (about 600 modules, 0.2 s) load only now, after ready: a start
    // from the cached genesis needs none of them, and loading them earlier, even while the anvils
    // boot, holds up the event loop that answers them. The relayer scans both chains from block 0 rather than from the
    // heads: a deposit sent between ready and its first pass is relayed too, and the genesis's own
    // deposits are found already credited (every relay step checks first, so a rescan is free of
    // side effects).
    void loadChainModules().then(
      ({devnetRelayer}) => {
        if (stopping) return
        relayer = devnetRelayer(state, accounts[DEV_ROLES.relayer].privateKey, {
          onError: (err) => emit({stage: 'relayer-error', message: (err as Error).message?.split('\n')[0] ?? String(err)}),
          onRelay: (r) => emit({stage: 'relayed', deposits: r.deposits.length, outputs: r.outputs.length}),
        })
        relayer.start()
      },
      (err) => emit({stage: 'relayer-error', message: `the bridge relayer could not load: ${(err as Error).message}`}),
    )
    return {state, done, stop: () => stop('stopped', undefined, true)}
  } catch (err) {
    // A failed start keeps a crashed devnet's saved state: the next start can still resume it.
    await stop('stopped').catch(() => {})
    throw err
  }
}

async function loadChainModules() {
  const [{layerClients}, {devnetRelayer}] = await Promise.all([import('./clients.js'), import('./bridge/devnet-relayer.js')])
  return {layerClients, devnetRelayer}
}

/** Mines a block every `seconds` from now on (anvil mines per transaction until told otherwise). */
async function setIntervalMining(rpcUrl: string, seconds: number): Promise<void> {
  await jsonRpc(rpcUrl, 'evm_setIntervalMining', [seconds])
}

/**
 * The forked chains made a devnet: dev accounts funded on both (native balance, and OPEN on L1 when
 * the L2 names its gas paying token), and the contracts known for the remote L2 (its recorded
 * deployment) listed as the devnet's.
 */
async function forkedDevnet(
  fork: ForkOptions,
  plan: ForkPlan,
  chains: {l1: string; l2: string},
  accounts: ReturnType<typeof devAccounts>,
  dir: string,
): Promise<DevnetDeployment[]> {
  const [{fundForkedAccounts}, {GENESIS_L1_OPEN, GENESIS_L2_OPEN}, {deployedAddresses}] = await Promise.all([
    import('./fork.js'),
    import('./genesis.js'),
    import('../chain/deployments.js'),
  ])
  await fundForkedAccounts(
    chains,
    accounts.map((a) => a.address),
    {l1Native: 10_000n * 10n ** 18n, l2Native: GENESIS_L2_OPEN, l1Open: GENESIS_L1_OPEN},
    plan.l1Token,
  )
  const remoteChainId = Number.parseInt(await jsonRpc<string>(fork.l2RpcUrl, 'eth_chainId'), 16)
  const deployments: DevnetDeployment[] = Object.entries(deployedAddresses(dir, remoteChainId)).map(([name, address]) => ({
    name,
    chain: 'l2',
    address,
  }))
  if (plan.l1Token && !deployments.some((d) => d.name === 'OpenToken'))
    deployments.unshift({name: 'OpenToken', chain: 'l1', address: plan.l1Token})
  return deployments
}
