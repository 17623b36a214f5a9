import {join} from 'node:path'

import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  createPublicClient,
  createWalletClient,
  http,
  isHex,
} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {UsageError} from '../errors.js'
import {DevnetNotRunningError} from '../devnet/errors.js'
import {type DevnetState, devnetStatePath, readRunningDevnet} from '../devnet/state.js'
import {readJsonFile} from '../store/atomic.js'
import {stateDir} from '../store/paths.js'
import {devAccounts, isDevAddress} from './dev-accounts.js'
import {DevKeyRefusedError, NoSignerError, UnknownContractError, invalidPrivateKey} from './errors.js'
import {decryptKeystore} from './keystore.js'
import {type NetworkName, devnetChain, openledgerMainnet, openledgerTestnet} from './networks.js'

export type ChainSelection = {
  /** devnet (default when this folder runs one), testnet or mainnet. */
  network?: NetworkName
  /** A custom RPC endpoint; its chain id is asked from the node. */
  rpcUrl?: string
  /** Devnet dev account index (devnet only). */
  account?: number
  /** Folder holding .openledger/ state; defaults to the current one. */
  stateDir?: string
}

export type ChainContext = {
  network: NetworkName | 'custom'
  chain: Chain
  publicClient: PublicClient<Transport, Chain>
  /** The running devnet of this folder, when the L2 is the devnet's. */
  devnet?: DevnetState
  /** Contract name → address on this chain. */
  contracts: Record<string, Address>
  /** Where the signer comes from, for messages: never the key itself. */
  signerSource?: string
}

export type SignerContext = ChainContext & {
  account: Account
  walletClient: WalletClient<Transport, Chain, Account>
}

/**
 * Resolves which L2 to talk to: `--rpc-url`, else `--network`, else the devnet this folder runs.
 * Every command that touches the chain goes through here, so the devnet-key rule is enforced once.
 */
export async function resolveChain(sel: ChainSelection = {}): Promise<ChainContext> {
  const dir = sel.stateDir ?? stateDir()
  const network = sel.network ?? (sel.rpcUrl ? undefined : 'devnet')
  if (network === 'devnet' && !sel.rpcUrl) {
    const devnet = readRunningDevnet(dir)
    if (!devnet) throw new DevnetNotRunningError(devnetStatePath(dir))
    const chain = devnetChain(devnet.l2.chainId, devnet.l2.rpcUrl, 'l2')
    return {network: 'devnet', chain, publicClient: createPublicClient({chain, transport: http()}), devnet, contracts: devnet.contracts}
  }
  let chain: Chain
  if (sel.rpcUrl) {
    const probe = createPublicClient({transport: http(sel.rpcUrl)})
    let chainId: number
    try {
      chainId = await probe.getChainId()
    } catch (err) {
      throw new UsageError(`--rpc-url ${sel.rpcUrl} does not answer eth_chainId`, {cause: err})
    }
    const devnet = readRunningDevnet(dir)
    if (devnet && devnet.l2.chainId === chainId) {
      const c = devnetChain(chainId, sel.rpcUrl, 'l2')
      return {network: 'devnet', chain: c, publicClient: createPublicClient({chain: c, transport: http()}), devnet, contracts: devnet.contracts}
    }
    chain = {...(chainId === openledgerMainnet.id ? openledgerMainnet : chainId === openledgerTestnet.id ? openledgerTestnet : devnetChain(chainId, sel.rpcUrl, 'l2')), rpcUrls: {default: {http: [sel.rpcUrl]}}}
  } else {
    chain = network === 'mainnet' ? openledgerMainnet : openledgerTestnet
  }
  const contracts = readJsonFile<Record<string, Address>>(join(dir, 'deployments', `${chain.id}.json`)) ?? {}
  return {
    network: sel.rpcUrl ? 'custom' : (network as NetworkName),
    chain,
    publicClient: createPublicClient({chain, transport: http(sel.rpcUrl)}),
    contracts,
  }
}

/**
 * Adds a signer: OPENLEDGER_PRIVATE_KEY, else OPENLEDGER_KEYSTORE (+ _PASSWORD), else on the devnet
 * the dev account `--account N`. A well-known dev key is refused on any chain but the devnet.
 */
export async function resolveSigner(sel: ChainSelection = {}, env: NodeJS.ProcessEnv = process.env): Promise<SignerContext> {
  const ctx = await resolveChain(sel)
  const onDevnet = ctx.devnet !== undefined && ctx.devnet.l2.chainId === ctx.chain.id
  let key: Hex
  let source: string
  if (env.OPENLEDGER_PRIVATE_KEY) {
    source = 'OPENLEDGER_PRIVATE_KEY'
    const k = env.OPENLEDGER_PRIVATE_KEY.trim()
    if (!isHex(k) || k.length !== 66) throw invalidPrivateKey(source)
    key = k
  } else if (env.OPENLEDGER_KEYSTORE) {
    source = `keystore ${env.OPENLEDGER_KEYSTORE}`
    if (env.OPENLEDGER_KEYSTORE_PASSWORD === undefined) {
      throw new UsageError('OPENLEDGER_KEYSTORE is set but OPENLEDGER_KEYSTORE_PASSWORD is not')
    }
    key = decryptKeystore(env.OPENLEDGER_KEYSTORE, env.OPENLEDGER_KEYSTORE_PASSWORD)
  } else if (onDevnet) {
    const index = sel.account ?? 0
    const accounts = ctx.devnet!.accounts
    if (!Number.isInteger(index) || index < 0 || index >= accounts.length) {
      throw new UsageError(`--account ${index} is out of range: the devnet has dev accounts 0 to ${accounts.length - 1}`)
    }
    source = `--account ${index}`
    key = accounts[index].privateKey
  } else {
    if (sel.account !== undefined) throw new DevKeyRefusedError(ctx.chain.id, `--account ${sel.account}`)
    throw new NoSignerError(ctx.network)
  }
  const account = privateKeyToAccount(key)
  if (!onDevnet && isDevAddress(account.address)) throw new DevKeyRefusedError(ctx.chain.id, source)
  const walletClient = createWalletClient({account, chain: ctx.chain, transport: http(ctx.chain.rpcUrls.default.http[0])})
  return {...ctx, account, walletClient, signerSource: source}
}

/** A contract's address on the resolved chain, or a clear error. */
export function contractAddress(ctx: ChainContext, name: string): Address {
  const address = ctx.contracts[name]
  if (!address) throw new UnknownContractError(name, ctx.devnet ? 'the devnet (restart it to deploy new contracts)' : `chain ${ctx.chain.id}`)
  return address
}

export {devAccounts}
