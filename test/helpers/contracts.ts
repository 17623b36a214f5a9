/**
 * A real anvil with every contract in DEPLOYMENTS deployed in order, for contract and protocol
 * tests. One per test file: start it in beforeAll, stop it in afterAll, and isolate tests with
 * `snapshot()` / `revert()` (evm_snapshot / evm_revert) instead of redeploying.
 */
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type PublicClient,
  type TestClient,
  type Transport,
  type TransactionReceipt,
  type WalletClient,
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'
import {afterAll, afterEach, beforeAll, beforeEach, expect} from 'vitest'

import {writeContractAt} from '../../src/chain/contract.js'
import type {SignerContext} from '../../src/chain/context.js'
import {type DecodedRevert, decodeRevert} from '../../src/chain/revert.js'
import {OpenledgerError} from '../../src/errors.js'
import {DEV_ROLES, devAccounts} from '../../src/chain/dev-accounts.js'
import {type DevnetState, writeDevnetState} from '../../src/devnet/state.js'
import {DEVNET_L2_CHAIN_ID, devnetChain} from '../../src/chain/networks.js'
import {type ContractName, artifacts} from '../../src/contracts/artifacts/index.js'
import {AnvilInstance} from '../../src/devnet/anvil-instance.js'
import {DEPLOYMENTS, type DeployContext} from '../../src/devnet/deployments.js'

export type ProtocolOptions = {
  /** Dev account index of the treasury; the devnet uses the admin (0), tests may pick another to see its balance move alone. */
  treasuryIndex?: number
}

export type Protocol = {
  anvil: AnvilInstance
  chain: Chain
  publicClient: PublicClient<Transport, Chain>
  testClient: TestClient<'anvil', Transport, Chain>
  /** Dev accounts 0..9 as viem accounts. */
  accounts: Account[]
  admin: Address
  treasury: Address
  addresses: Record<ContractName, Address>
  wallet(index: number): WalletClient<Transport, Chain, Account>
  /** A SignerContext for src/protocol functions, signing with dev account `index`. */
  signer(index: number): SignerContext
  snapshot(): Promise<Hex>
  revert(id: Hex): Promise<void>
  stop(): Promise<void>
}

export async function startProtocol(options: ProtocolOptions = {}): Promise<Protocol> {
  const anvil = new AnvilInstance({label: 'test L2', port: 0, portFlag: '--port', chainId: DEVNET_L2_CHAIN_ID, optimism: true})
  await anvil.start()
  try {
    const chain = devnetChain(DEVNET_L2_CHAIN_ID, anvil.rpcUrl, 'l2')
    const transport = http(anvil.rpcUrl)
    const publicClient = createPublicClient({chain, transport, pollingInterval: 5})
    const testClient = createTestClient({chain, transport, mode: 'anvil'})
    const accounts = devAccounts().map((a) => privateKeyToAccount(a.privateKey))
    const wallets = accounts.map((account) => createWalletClient({account, chain, transport}))
    const admin = accounts[DEV_ROLES.admin].address
    const treasury = accounts[options.treasuryIndex ?? DEV_ROLES.admin].address
    const ctx: DeployContext = {admin, treasury, relayer: accounts[DEV_ROLES.relayer].address, addresses: {}}

    for (const d of DEPLOYMENTS) {
      const artifact = artifacts[d.name]
      const hash = await wallets[DEV_ROLES.admin].deployContract({
        abi: artifact.abi as Abi,
        bytecode: artifact.bytecode as Hex,
        args: d.args(ctx) as unknown[],
      })
      const receipt = await publicClient.waitForTransactionReceipt({hash})
      if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deploying ${d.name} failed`)
      ctx.addresses[d.name] = receipt.contractAddress
    }
    const addresses = ctx.addresses as Record<ContractName, Address>

    return {
      anvil,
      chain,
      publicClient,
      testClient,
      accounts,
      admin,
      treasury,
      addresses,
      wallet: (i) => wallets[i],
      signer: (i) => ({network: 'devnet', chain, publicClient, contracts: {...addresses}, account: accounts[i], walletClient: wallets[i]}),
      snapshot: () => testClient.snapshot(),
      revert: (id) => testClient.revert({id}),
      stop: () => anvil.stop(),
    }
  } catch (err) {
    await anvil.stop()
    throw err
  }
}

/**
 * Sends a contract call from dev account `from` and waits for it to be mined. It is simulated
 * first, so a revert surfaces as a decoded ContractFunctionRevertedError.
 */
export async function send<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, 'nonpayable' | 'payable'>,
  args extends ContractFunctionArgs<abi, 'nonpayable' | 'payable', functionName>,
>(
  p: Protocol,
  from: number,
  call: {address: Address; abi: abi; functionName: functionName; args?: args; value?: bigint},
): Promise<TransactionReceipt> {
  // The call is typed against its ABI above; the chain layer sends it (simulate, send, receipt).
  const name = (Object.keys(p.addresses) as ContractName[]).find((n) => p.addresses[n] === call.address)
  return (await writeContractAt(p.signer(from), {...call, contract: name})).receipt
}

/** Everything a transaction cost its sender: execution gas, plus the L1 data fee on an OP chain. */
export function gasCost(receipt: TransactionReceipt): bigint {
  const l1Fee = (receipt as TransactionReceipt & {l1Fee?: bigint | null}).l1Fee ?? 0n
  return receipt.gasUsed * receipt.effectiveGasPrice + l1Fee
}

/** The decoded custom error a call reverted with (name and arguments), or undefined. */
export function revertOf(err: unknown): DecodedRevert | undefined {
  // The chain layer wraps viem's error in an OpenledgerError; the decoded revert is in its cause.
  return decodeRevert(err) ?? (err instanceof OpenledgerError ? decodeRevert(err.cause) : undefined)
}

/** Asserts that `promise` rejects with the custom error `errorName` (and these args, when given). */
export async function expectRevert(promise: Promise<unknown>, errorName: string, args?: readonly unknown[]): Promise<void> {
  let caught: unknown
  try {
    await promise
  } catch (err) {
    caught = err
  }
  if (caught === undefined) throw new Error(`expected a revert with ${errorName}, but the call succeeded`)
  const revert = revertOf(caught)
  expect(revert?.errorName, String((caught as Error).message).split('\n')[0]).toBe(errorName)
  if (args) expect(revert?.args).toEqual(args)
}

/** Latest block timestamp, in seconds. */
export async function chainTime(p: Protocol): Promise<bigint> {
  return (await p.publicClient.getBlock()).timestamp
}

/** Moves chain time forward and mines a block, so calls against "latest" see the new time. */
export async function advanceTime(p: Protocol, seconds: bigint | number): Promise<void> {
  await p.testClient.increaseTime({seconds: Number(seconds)})
  await p.testClient.mine({blocks: 1})
}

/**
 * Writes a devnet state file that points at this protocol chain (as both L1 and L2), so the CLI's
 * commands, run in-process, talk to it as they would to `openledger devnet start`.
 */
export function writeProtocolDevnetState(p: Protocol, stateDir: string): void {
  const chainInfo = {rpcUrl: p.anvil.rpcUrl, chainId: p.chain.id, port: p.anvil.port, pid: p.anvil.pid ?? 0}
  const state: DevnetState = {
    version: 1,
    supervisorPid: process.pid,
    startedAt: new Date().toISOString(),
    l1: chainInfo,
    l2: chainInfo,
    contracts: {...p.addresses},
    deployments: Object.entries(p.addresses).map(([name, address]) => ({name, chain: 'l2' as const, address})),
    accounts: devAccounts().map((a) => ({address: a.address, privateKey: a.privateKey})),
    roles: {admin: p.admin, treasury: p.treasury, relayer: p.accounts[9].address},
    genesis: {key: 'test', fromCache: false},
    snapshots: {},
  }
  writeDevnetState(state, stateDir)
}

/**
 * A protocol chain for one test file: started before its tests, stopped after them, and every test
 * runs against a snapshot taken before it (reverted after). The returned object stands for the
 * Protocol once it has started.
 */
export function useProtocol(options: ProtocolOptions = {}): Protocol {
  let p: Protocol | undefined
  let snap: Hex
  beforeAll(async () => {
    p = await startProtocol(options)
  })
  afterAll(async () => p?.stop())
  beforeEach(async () => {
    snap = await p!.snapshot()
  })
  afterEach(async () => p!.revert(snap))
  return new Proxy({} as Protocol, {get: (_, key) => (p as unknown as Record<PropertyKey, unknown>)[key]})
}
