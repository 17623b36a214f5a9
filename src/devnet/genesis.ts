import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import type {Abi, Address, Hex} from 'viem'

import {type DevAccount, DEV_ROLES} from '../chain/dev-accounts.js'
import {DEVNET_L1_CHAIN_ID, DEVNET_L2_CHAIN_ID} from '../chain/network-names.js'
import {artifacts, artifactsHash} from '../contracts/artifacts/index.js'
import {bedrockHash} from '../contracts/bedrock/index.js'
import {readJsonFile, writeFileAtomic, writeJsonAtomic} from '../store/atomic.js'
import {cacheDir} from '../store/paths.js'
import type {LayerClients} from './clients.js'
import {DEPLOYMENTS, type DeployContext} from './deployments.js'
import type {DevnetDeployment} from './state.js'

/** OPEN each dev account holds on L1 at genesis (the treasury, account 0, keeps the rest). */
export const GENESIS_L1_OPEN = 100_000n * 10n ** 18n
/** Native OPEN each dev account holds on the L2 at genesis: delivered by real bridge deposits. */
export const GENESIS_L2_OPEN = 10_000n * 10n ** 18n

/**
 * Seconds between an output's proposal (or a withdrawal's proof) and its finalization on the devnet:
 * OP's 7 days, shortened so `bridge withdraw` completes in seconds; `devnet time advance` can pass
 * longer ones on purpose.
 */
export const DEFAULT_FINALIZATION_PERIOD_SECONDS = 3

/** L2 gas a genesis funding deposit may use: a plain value transfer needs 21,000. */
const FUNDING_DEPOSIT_GAS = 100_000n

/** Bump when what the genesis build does changes, so old cached states are not loaded. */
const GENESIS_FORMAT = 3

export type GenesisOptions = {finalizationPeriodSeconds?: number}

export type GenesisMeta = {format: number; key: string; deployments: DevnetDeployment[]}

/**
 * The cache key of the deployed genesis state: every input that changes what the build produces
 * (contract bytecode, deployment list, chain ids, funding, anvil's version).
 */
export function genesisKey(accounts: DevAccount[], options: GenesisOptions = {}): string {
  const require = createRequire(import.meta.url)
  let anvilVersion = 'unknown'
  try {
    anvilVersion = require('@foundry-rs/anvil/package.json').version
  } catch {}
  const input = {
    format: GENESIS_FORMAT,
    artifactsHash,
    bedrockHash,
    finalizationPeriodSeconds: options.finalizationPeriodSeconds ?? DEFAULT_FINALIZATION_PERIOD_SECONDS,
    deployments: DEPLOYMENTS.map((d) => `${d.chain}:${d.name}`),
    chains: [DEVNET_L1_CHAIN_ID, DEVNET_L2_CHAIN_ID],
    funding: [GENESIS_L1_OPEN.toString(), GENESIS_L2_OPEN.toString()],
    accounts: accounts.map((a) => a.address),
    anvilVersion,
  }
  return createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 16)
}

export const genesisCacheDir = (key: string) => join(cacheDir(), 'devnet-genesis', key)

export type CachedGenesis = {meta: GenesisMeta; l1StatePath: string; l2StatePath: string}

/** The cached genesis for `key`, when one was built before and is complete. */
export function findCachedGenesis(key: string): CachedGenesis | undefined {
  const dir = genesisCacheDir(key)
  const meta = readJsonFile<GenesisMeta>(join(dir, 'meta.json'))
  const l1StatePath = join(dir, 'l1.json')
  const l2StatePath = join(dir, 'l2.json')
  if (!meta || meta.format !== GENESIS_FORMAT || meta.key !== key) return undefined
  if (!existsSync(l1StatePath) || !existsSync(l2StatePath)) return undefined
  return {meta, l1StatePath, l2StatePath}
}

/**
 * Builds the devnet's genesis on two fresh anvils: the predeploys, OpenToken and the OP Stack bridge
 * on L1 (OptimismPortal with OPEN as the custom gas token), OPEN to every dev account on L1, native
 * OPEN to every dev account on the L2 through real `depositERC20Transaction` deposits relayed as OP
 * deposit transactions, then the L2 contracts. No balance is ever set by a cheat code: the L2
 * supply equals the OPEN locked in the portal.
 */
export async function buildGenesis(
  l1: LayerClients,
  l2: LayerClients,
  accounts: DevAccount[],
  options: GenesisOptions = {},
): Promise<DevnetDeployment[]> {
  // Loaded here, not at the top: a devnet started from the cached genesis never needs them.
  const [
    {erc20Abi},
    {privateKeyToAccount},
    {viemBridgeChains},
    {Relayer},
    {deployOpStackL1, placePredeploys},
    {OptimismPortal},
    addresses,
  ] = await Promise.all([
    import('viem'),
    import('viem/accounts'),
    import('./bridge/chain-handles.js'),
    import('./bridge/relayer.js'),
    import('./bridge/op-stack-l1.js'),
    import('../contracts/bedrock/index.js'),
    import('./bridge/addresses.js'),
  ])
  const admin = privateKeyToAccount(accounts[DEV_ROLES.admin].privateKey)
  const relayer = privateKeyToAccount(accounts[DEV_ROLES.relayer].privateKey)
  const ctx: DeployContext = {admin: admin.address, treasury: admin.address, relayer: relayer.address, addresses: {}}
  const deployed: DevnetDeployment[] = []

  const deploy = async (layer: LayerClients, chain: 'l1' | 'l2') => {
    for (const d of DEPLOYMENTS.filter((x) => x.chain === chain)) {
      const artifact = artifacts[d.name]
      // Each DEPLOYMENTS row builds its constructor arguments for its own contract; viem's generics
      // cannot follow a contract chosen by name, so the call is typed over the plain Abi.
      const abi: Abi = artifact.abi
      const hash = await layer.wallet(admin).deployContract({abi, bytecode: artifact.bytecode as Hex, args: d.args(ctx)})
      const receipt = await layer.public.waitForTransactionReceipt({hash, pollingInterval: 5})
      if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deploying ${d.name} on ${chain} failed`)
      ctx.addresses[d.name] = receipt.contractAddress
      deployed.push({name: d.name, chain, address: receipt.contractAddress})
    }
  }

  await placePredeploys(l1, l2)
  await deploy(l1, 'l1')
  const token = ctx.addresses.OpenToken as Address
  const bridge = await deployOpStackL1(l1, admin, {
    gasPayingToken: token,
    owner: admin.address,
    proposer: relayer.address,
    finalizationPeriodSeconds: BigInt(options.finalizationPeriodSeconds ?? DEFAULT_FINALIZATION_PERIOD_SECONDS),
  })
  for (const [name, address] of Object.entries(bridge)) deployed.push({name, chain: 'l1', address})
  deployed.push(
    {name: 'L2ToL1MessagePasser', chain: 'l2', address: addresses.L2_TO_L1_MESSAGE_PASSER},
    {name: 'L1Block', chain: 'l2', address: addresses.L1_BLOCK},
  )

  const portal = bridge.OptimismPortal
  const l1Admin = l1.wallet(admin)
  // One transaction at a time, each mined before the next: same-sender transactions sent back to
  // back can strand under anvil's instant mining (foundry #10122), and a lost funding deposit would
  // leave an account unfunded in every devnet started from this genesis.
  const send = async (hash: Hex, what: string) => {
    const receipt = await l1.public.waitForTransactionReceipt({hash, pollingInterval: 5})
    if (receipt.status !== 'success') throw new Error(`${what} reverted on L1 (${hash})`)
  }
  for (const a of accounts) {
    if (a.address === admin.address) continue
    await send(
      await l1Admin.writeContract({address: token, abi: erc20Abi, functionName: 'transfer', args: [a.address, GENESIS_L1_OPEN]}),
      `funding ${a.address} on L1`,
    )
  }
  await send(
    await l1Admin.writeContract({
      address: token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [portal, GENESIS_L2_OPEN * BigInt(accounts.length)],
    }),
    'approving the portal',
  )
  for (const a of accounts) {
    await send(
      await l1Admin.writeContract({
        address: portal,
        abi: OptimismPortal.abi,
        functionName: 'depositERC20Transaction',
        args: [a.address, GENESIS_L2_OPEN, GENESIS_L2_OPEN, FUNDING_DEPOSIT_GAS, false, '0x'],
      }),
      `the funding deposit for ${a.address}`,
    )
  }

  const locked = await l1.public.readContract({address: portal, abi: OptimismPortal.abi, functionName: 'balance'})
  if (locked !== GENESIS_L2_OPEN * BigInt(accounts.length))
    throw new Error(`the portal holds ${locked} wei of OPEN after the funding deposits`)

  // Relay the system deposit (OPEN as L1Block's gas paying token) and the funding deposits now, so
  // the L2 deployer has gas; then deploy the L2 contracts and propose their outputs too.
  const relay = new Relayer(viemBridgeChains(l1, l2, {portal, oracle: bridge.L2OutputOracle}, relayer), {maxOutputsPerTick: 1_000})
  await relay.tick()
  await deploy(l2, 'l2')
  await relay.tick()
  return deployed
}

/** Saves both chains' state (anvil_dumpState) and the deployments into the genesis cache. */
export async function saveGenesis(key: string, l1: LayerClients, l2: LayerClients, deployments: DevnetDeployment[]): Promise<void> {
  const dir = genesisCacheDir(key)
  const {anvilClient} = await import('../chain/anvil.js')
  for (const [name, layer] of [
    ['l1', l1],
    ['l2', l2],
  ] as const) {
    const dump = await anvilClient(layer.chain).dumpState()
    writeFileAtomic(join(dir, `${name}.json`), gunzipSync(Buffer.from(dump.slice(2), 'hex')))
  }
  writeJsonAtomic(join(dir, 'meta.json'), {format: GENESIS_FORMAT, key, deployments} satisfies GenesisMeta)
}
