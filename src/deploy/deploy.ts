/**
 * Deploys the protocol to the chain a SignerContext names, with Ignition's engine: its journal
 * (deployments/<id>/journal.jsonl, written before each send) makes a rerun resume where the last run
 * stopped, and src/deploy/sent-log.ts closes the window between a send and its journal line.
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {type Address, type Hex, getContractAddress} from 'viem'

import {
  type DeploymentResult,
  DeploymentResultType,
  type ExecutionEventListener,
  ExecutionEventType,
  deploy as ignitionDeploy,
} from '@nomicfoundation/ignition-core'

import type {SignerContext} from '../chain/context.js'
import {journalChainId} from '../chain/deployments.js'
import {formatOpen} from '../chain/amounts.js'
import {UsageError, messageOf} from '../errors.js'
import {readJsonFile} from '../store/atomic.js'
import {withLock} from '../store/lock.js'
import {DeployFailedError, InsufficientFundsError} from './errors.js'
import {type FeeEstimate, estimateDeployment} from './fees.js'
import {
  MODULE_ID,
  OPEN_NATIVE_CHAIN_IDS,
  type ProtocolRoles,
  projectArtifactResolver,
  protocolDeployments,
  protocolModule,
} from './module.js'
import {type SignedTransaction, signingProvider} from './provider.js'
import {type Reconciled, readJournal, reconcileJournal, recordSigned} from './sent-log.js'

export type DeployProgress =
  | {type: 'estimate'; estimate: FeeEstimate}
  | {type: 'reconciled'; tx: Reconciled}
  | {type: 'sent'; name: string; hash: Hex}
  | {type: 'deployed'; name: string; address: Address}

export type DeployOptions = {
  /** The project's deployments/ folder (src/chain/deployments.ts, deploymentsRoot). */
  deploymentsRoot: string
  /** deployments/<id>/; the chain id when not given. */
  deploymentId?: string
  /** Deploy OPEN's ERC-20 too (for a chain whose native token is not OPEN). */
  withOpenToken: boolean
  /** Who administers the contracts and receives the platform's fees; the deployer when not given. */
  admin?: Address
  treasury?: Address
  /** Blocks a transaction must be under before it counts as done; Ignition's default (5) when not given, 1 on an automining node. */
  confirmations?: number
  /** Estimate and check the balance, send nothing. */
  dryRun?: boolean
  onProgress?: (event: DeployProgress) => void
  /** Called after each transaction the node accepted (fault injection in tests). */
  afterSend?: (tx: SignedTransaction) => void | Promise<void>
}

export type DeployResult = {
  chainId: number
  deploymentId: string
  deploymentDir: string
  deployer: Address
  /** Contract name → address, every contract of the deployment (earlier runs' too). */
  contracts: Record<string, Address>
  /** The creation transaction of each contract, as the journal records it. */
  transactions: Array<{name: string; hash: Hex}>
  /** Transactions a killed run had sent and this run found and recorded instead of sending again. */
  reconciled: Reconciled[]
  /** Whether this run found an earlier run's journal. */
  resumed: boolean
  estimate: FeeEstimate
  balance: bigint
  dryRun: boolean
}

/** A deployment id names a folder under deployments/: letters, digits, '.', '_' or '-'. */
export const DEPLOYMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

export async function deployProtocol(ctx: SignerContext, opts: DeployOptions): Promise<DeployResult> {
  const chainId = ctx.chain.id
  const deploymentId = opts.deploymentId ?? String(chainId)
  if (!DEPLOYMENT_ID.test(deploymentId)) {
    throw new UsageError(`deployment id "${deploymentId}" must be letters, digits, '.', '_' or '-'`)
  }
  if (opts.withOpenToken && OPEN_NATIVE_CHAIN_IDS.has(chainId)) {
    throw new UsageError(`chain ${chainId} pays gas in OPEN: it needs no OPEN token contract`)
  }
  const dir = join(opts.deploymentsRoot, deploymentId)
  const recordedChain = journalChainId(dir)
  if (recordedChain !== undefined && recordedChain !== chainId) {
    throw new UsageError(`${dir} is a deployment on chain ${recordedChain}, not ${chainId}: choose another deployment id`)
  }
  return withLock(join(opts.deploymentsRoot, `.${deploymentId}.lock`), () => run(ctx, opts, {chainId, deploymentId, dir}))
}

async function run(
  ctx: SignerContext,
  opts: DeployOptions,
  where: {chainId: number; deploymentId: string; dir: string},
): Promise<DeployResult> {
  const {chainId, deploymentId, dir} = where
  const deployer = ctx.account.address
  const roles: ProtocolRoles = {admin: opts.admin ?? deployer, treasury: opts.treasury ?? deployer}
  const deployments = protocolDeployments(opts.withOpenToken)
  const resumed = existsSync(join(dir, 'journal.jsonl'))
  const provider = signingProvider({
    rpcUrl: ctx.chain.rpcUrls.default.http[0],
    chainId,
    account: ctx.account as Parameters<typeof signingProvider>[0]['account'],
    beforeSend: (tx) => recordSigned(dir, tx),
    afterSend: opts.afterSend,
  })

  const reconciled = opts.dryRun ? [] : await reconcileJournal(dir, provider)
  for (const tx of reconciled) opts.onProgress?.({type: 'reconciled', tx})

  // What is left to pay for: contracts with no address yet and no transaction already sent.
  const deployed = namesToAddresses(readJsonFile<Record<string, Address>>(join(dir, 'deployed_addresses.json')) ?? {})
  // A creation transaction sent but not yet confirmed puts its contract where its nonce says.
  const inFlight: Record<string, Address> = {}
  for (const m of readJournal(dir)) {
    if (m.type === 'TRANSACTION_SEND' && m.futureId && m.nonce !== undefined && !deployed[futureName(m.futureId)]) {
      inFlight[futureName(m.futureId)] = getContractAddress({from: deployer, nonce: BigInt(m.nonce)})
    }
  }
  const remaining = deployments.filter((d) => !deployed[d.name] && !inFlight[d.name])
  const [nonce, balance] = await Promise.all([
    ctx.publicClient.getTransactionCount({address: deployer, blockTag: 'pending'}),
    ctx.publicClient.getBalance({address: deployer}),
  ])
  let estimate: FeeEstimate
  try {
    estimate = await estimateDeployment(ctx.publicClient, {from: deployer, nonce, roles, remaining, deployed: {...inFlight, ...deployed}})
  } catch (err) {
    if (err instanceof DeployFailedError) throw err
    throw new DeployFailedError(`estimating the deployment's gas on chain ${chainId} failed: ${messageOf(err)}`, {cause: err, hints: []})
  }
  opts.onProgress?.({type: 'estimate', estimate})
  if (balance < estimate.maximum) {
    throw new InsufficientFundsError(
      `${deployer} holds ${formatOpen(balance)} on chain ${chainId}; deploying ${remaining.map((d) => d.name).join(', ')} may cost up to ${formatOpen(estimate.maximum)} (expected ${formatOpen(estimate.expected)}${estimate.l1FeeApplies ? ', L1 data fee included' : ''})`,
    )
  }
  if (opts.dryRun) {
    return {
      chainId,
      deploymentId,
      deploymentDir: dir,
      deployer,
      contracts: deployed,
      transactions: [],
      reconciled,
      resumed,
      estimate,
      balance,
      dryRun: true,
    }
  }

  let result: DeploymentResult
  try {
    result = await ignitionDeploy({
      config: opts.confirmations === undefined ? {} : {requiredConfirmations: opts.confirmations},
      artifactResolver: await projectArtifactResolver(),
      provider,
      executionEventListener: progressListener(opts.onProgress),
      deploymentDir: dir,
      ignitionModule: protocolModule(roles, deployments),
      deploymentParameters: {},
      accounts: [deployer],
      defaultSender: deployer,
    })
  } catch (err) {
    // Ignition's own errors (a nonce used outside the deployment, fees above the limit) are whole sentences.
    throw new DeployFailedError(`deploying to chain ${chainId} stopped: ${messageOf(err).replace(/^HHE\d+: /, '')}`, {cause: err})
  }
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) throw resultError(result, dir)
  const contracts: Record<string, Address> = {}
  for (const c of Object.values(result.contracts)) contracts[futureName(c.id)] = c.address as Address
  return {
    chainId,
    deploymentId,
    deploymentDir: dir,
    deployer,
    contracts,
    transactions: creationTransactions(dir),
    reconciled,
    resumed,
    estimate,
    balance,
    dryRun: false,
  }
}

/** "OpenLedger#Staking" → "Staking". */
export function futureName(futureId: string): string {
  return futureId.startsWith(`${MODULE_ID}#`) ? futureId.slice(MODULE_ID.length + 1) : futureId
}

export function namesToAddresses(deployedAddresses: Record<string, Address>): Record<string, Address> {
  return Object.fromEntries(Object.entries(deployedAddresses).map(([id, a]) => [futureName(id), a]))
}

/** The last transaction the journal records for each contract: the one that deployed it. */
function creationTransactions(dir: string): Array<{name: string; hash: Hex}> {
  const last = new Map<string, Hex>()
  for (const m of readJournal(dir))
    if (m.type === 'TRANSACTION_SEND' && m.futureId && m.transaction) last.set(futureName(m.futureId), m.transaction.hash)
  return [...last].map(([name, hash]) => ({name, hash}))
}

function resultError(
  result: Exclude<DeploymentResult, {type: DeploymentResultType.SUCCESSFUL_DEPLOYMENT}>,
  dir: string,
): DeployFailedError {
  const lines = (errors: Record<string, string[]>) => Object.entries(errors).map(([id, es]) => `${futureName(id)}: ${es.join('; ')}`)
  switch (result.type) {
    case DeploymentResultType.VALIDATION_ERROR:
      return new DeployFailedError(`the deployment is invalid: ${lines(result.errors).join(' | ')}`, {hints: []})
    case DeploymentResultType.RECONCILIATION_ERROR:
      return new DeployFailedError(
        `${dir} records a different deployment than the contracts now compiled: ${lines(result.errors).join(' | ')}`,
        {
          hints: ['Deploy afresh under another deployment id, or restore the contracts that deployment was made from.'],
        },
      )
    case DeploymentResultType.PREVIOUS_RUN_ERROR:
      return new DeployFailedError(`an earlier run of ${dir} failed: ${lines(result.errors).join(' | ')}`, {
        hints: ['Deploy afresh under another deployment id.'],
      })
    case DeploymentResultType.EXECUTION_ERROR: {
      const parts = [
        ...result.failed.map((f) => `${futureName(f.futureId)} failed: ${f.error}`),
        ...result.timedOut.map((f) => `${futureName(f.futureId)} timed out`),
        ...result.held.map((f) => `${futureName(f.futureId)} held: ${f.reason}`),
      ]
      return new DeployFailedError(`deployment incomplete: ${parts.join(' | ') || 'nothing finished'}`)
    }
  }
}

/** Ignition's events, reduced to what a person follows: each send and each contract deployed. */
function progressListener(onProgress: DeployOptions['onProgress']): ExecutionEventListener {
  const handlers: Partial<Record<string, (e: any) => void>> = {
    [ExecutionEventType.TRANSACTION_SEND]: (e: {futureId: string; hash: Hex}) =>
      onProgress?.({type: 'sent', name: futureName(e.futureId), hash: e.hash}),
    // A deployment's successful result is the contract's address.
    [ExecutionEventType.DEPLOYMENT_EXECUTION_STATE_COMPLETE]: (e: {futureId: string; result: {type: string; result?: string}}) => {
      if (e.result.type === 'SUCCESS' && e.result.result)
        onProgress?.({type: 'deployed', name: futureName(e.futureId), address: e.result.result as Address})
    },
  }
  // The listener has one method per event type; every one we do not show is a no-op.
  return new Proxy({} as ExecutionEventListener, {
    get: (_t, method: string) => (event: {type: string}) => handlers[event?.type]?.(event),
  })
}
